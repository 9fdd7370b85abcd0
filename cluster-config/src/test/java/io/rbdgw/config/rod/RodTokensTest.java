package io.rbdgw.config.rod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.config.ZkTestSupport;
import io.rbdgw.config.store.ZkLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cluster's ROD tokens against a real ZooKeeper: sharing, expiry, bounds, a creator's session loss. */
class RodTokensTest {
    static final String LU1 = "600a524700000000000000000000000a";
    static final String LU2 = "600a524700000000000000000000000b";

    private TestingServer zk;
    private ZkLayout layout;
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        zk = ZkTestSupport.server();
        layout = new ZkLayout(ZkTestSupport.newRoot());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        zk.close();
    }

    private CuratorFramework client() {
        CuratorFramework c = ZkTestSupport.client(zk.getConnectString());
        closeables.add(c);
        return c;
    }

    private RodTokens store(CuratorFramework c, RodTokens.Limits limits) {
        RodTokens t = new RodTokens(c, layout, limits, null, now::get);
        closeables.add(t);
        return t;
    }

    private static RodTokenRecord token(String lu, String id, int inactivitySeconds) {
        return new RodTokenRecord(
                id,
                lu,
                512,
                List.of(new RodTokenRecord.Range(8, 16), new RodTokenRecord.Range(100, 4)),
                "ab",
                0,
                0,
                inactivitySeconds,
                3600);
    }

    @Test
    void aTokenCreatedThroughOneGatewayIsFoundThroughAnotherAndMarkedUsed() throws Exception {
        RodTokens a = store(client(), RodTokens.Limits.DEFAULT);
        RodTokens b = store(client(), RodTokens.Limits.DEFAULT);
        RodTokenRecord created = a.create(token(LU1, "00ff", 30));
        assertThat(created.lastUsedMillis()).isEqualTo(now.get());
        now.addAndGet(10_000);
        RodTokens.Lookup l = b.use(LU1, "00ff");
        assertThat(l).isInstanceOf(RodTokens.Found.class);
        RodTokenRecord found = ((RodTokens.Found) l).token();
        assertThat(found.ranges()).isEqualTo(created.ranges());
        assertThat(found.lastUsedMillis()).isEqualTo(now.get());
        assertThat(b.use(LU1, "0000")).isInstanceOf(RodTokens.Unknown.class);
        assertThat(b.use(LU2, "00ff")).as("another unit's id space").isInstanceOf(RodTokens.Unknown.class);
    }

    @Test
    void aTokenExpiresItsInactivityTimeoutAfterItsLastUseAndIsDeleted() throws Exception {
        RodTokens a = store(client(), RodTokens.Limits.DEFAULT);
        a.create(token(LU1, "01", 5));
        now.addAndGet(4_000);
        assertThat(a.use(LU1, "01")).as("a use moves the expiry").isInstanceOf(RodTokens.Found.class);
        now.addAndGet(4_000);
        assertThat(a.use(LU1, "01")).isInstanceOf(RodTokens.Found.class);
        now.addAndGet(5_000);
        assertThat(a.use(LU1, "01")).isInstanceOf(RodTokens.Expired.class);
        assertThat(a.use(LU1, "01")).as("deleted once found expired").isInstanceOf(RodTokens.Unknown.class);

        // however often it is used, a token ends with its lifetime
        a.create(new RodTokenRecord("09", LU1, 512, List.of(), "ab", 0, 0, 5, 12));
        for (int i = 0; i < 2; i++) {
            now.addAndGet(4_000);
            assertThat(a.use(LU1, "09")).isInstanceOf(RodTokens.Found.class);
        }
        now.addAndGet(4_000); // used 4 s ago, but created 12 s ago
        assertThat(a.use(LU1, "09")).isInstanceOf(RodTokens.Expired.class);

        a.create(token(LU1, "02", 5));
        a.create(token(LU2, "03", 60));
        now.addAndGet(6_000);
        assertThat(a.sweep()).as("the sweep deletes the expired token only").isEqualTo(1);
        assertThat(a.count(LU1)).isZero();
        assertThat(a.count(LU2)).isEqualTo(1);
    }

    @Test
    void creationBeyondTheBoundsFailsUntilTokensExpireOrAreDeleted() throws Exception {
        RodTokens a = store(client(), new RodTokens.Limits(2, 3));
        a.create(token(LU1, "01", 5));
        a.create(token(LU1, "02", 50));
        assertThatThrownBy(() -> a.create(token(LU1, "03", 5)))
                .isInstanceOf(RodTokens.TooManyTokens.class)
                .hasMessageContaining("logical unit");
        a.create(token(LU2, "04", 50));
        assertThatThrownBy(() -> a.create(token(LU2, "05", 50)))
                .isInstanceOf(RodTokens.TooManyTokens.class)
                .hasMessageContaining("cluster");
        now.addAndGet(6_000); // token 01 expired: the bound check sweeps it
        a.create(token(LU1, "03", 50));
        assertThat(a.delete(LU1, "02")).isTrue();
        assertThat(a.delete(LU1, "02")).isFalse();
        assertThat(a.total()).isEqualTo(2);
        a.create(token(LU2, "05", 50));
        assertThat(a.total()).isEqualTo(3);
    }

    @Test
    void aTokenOutlivesTheZooKeeperSessionOfTheGatewayThatCreatedIt() throws Exception {
        CuratorFramework creator = client();
        RodTokens a = store(creator, RodTokens.Limits.DEFAULT);
        RodTokens b = store(client(), RodTokens.Limits.DEFAULT);
        a.create(token(LU1, "0a", 30));
        KillSession.kill(creator.getZookeeperClient().getZooKeeper());
        creator.close();
        assertThat(b.use(LU1, "0a")).isInstanceOf(RodTokens.Found.class);
    }
}
