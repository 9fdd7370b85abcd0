package io.rbdgw.config.zk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.Fixtures;
import io.rbdgw.config.ZkTestSupport;
import io.rbdgw.config.alua.AluaCoordinator;
import io.rbdgw.config.membership.GatewayMembership;
import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.config.watch.ConfigWatcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Digest authentication and ACLs: nothing under the root is readable or writable without the credentials. */
class ZkCredentialsTest {
    private static final ZkCredentials CREDS = new ZkCredentials("rbdgw", "s3cret-zk-password");
    private static final ZkCredentials WRONG = new ZkCredentials("rbdgw", "not-the-password");

    private TestingServer zk;
    private final List<AutoCloseable> closeLast = new ArrayList<>();
    private final List<AutoCloseable> closeFirst = new ArrayList<>();
    private String root;

    @TempDir
    Path tmp;

    @BeforeEach
    void setUp() throws Exception {
        zk = ZkTestSupport.server();
        root = ZkTestSupport.newRoot();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeFirst) {
            c.close();
        }
        for (AutoCloseable c : closeLast) {
            c.close();
        }
        zk.close();
    }

    private CuratorFramework client(ZkCredentials creds) {
        CuratorFramework c = creds == null
                ? ZkTestSupport.client(zk.getConnectString())
                : ZkTestSupport.client(zk.getConnectString(), creds);
        closeLast.add(c);
        return c;
    }

    /** Everything the project writes, through the real components: config, members, status, alua, latch, and more. */
    private List<String> populate(CuratorFramework secured) throws Exception {
        ZkLayout layout = new ZkLayout(root);
        ConfigStore store = new ConfigStore(secured, root);
        store.initialize();
        store.apply(0, Fixtures.basicTarget());
        GatewayMembership membership =
                new GatewayMembership(secured, layout, new MemberInfo("gw-a", List.of(), "10.0.0.1:0/1", "test", 1));
        membership.start();
        assertThat(membership.awaitRegistered(Duration.ofSeconds(10))).isTrue();
        membership.reportStatus(1, GatewayStatus.Health.OK, "");
        AluaCoordinator coordinator =
                new AluaCoordinator(secured, layout, "gw-a", (g, a) -> {}, Duration.ZERO, Duration.ofMillis(100));
        coordinator.start();
        closeFirst.add(coordinator);
        closeFirst.add(membership);
        await().atMost(Duration.ofSeconds(15))
                .until(() -> secured.checkExists().forPath(layout.alua()) != null
                        && secured.getChildren().forPath(layout.alua()).size() == 2
                        && secured.checkExists().forPath(layout.status("gw-a")) != null);
        // znodes of other features (drain, fencing, audit) are made the same way: any znode under the root
        secured.create().creatingParentsIfNeeded().forPath(layout.drain("gw-b"));
        secured.create().creatingParentsIfNeeded().forPath(layout.fence("gw-b"), "{}".getBytes());
        secured.create().creatingParentsIfNeeded().forPath(root + "/audit/0000000001", "{}".getBytes());
        return all(secured, root);
    }

    private static List<String> all(CuratorFramework c, String path) throws Exception {
        List<String> out = new ArrayList<>();
        out.add(path);
        for (String child : c.getChildren().forPath(path)) {
            out.addAll(all(c, path + "/" + child));
        }
        return out;
    }

    @Test
    void withoutCredentialsNothingUnderTheRootCanBeReadOrWritten() throws Exception {
        CuratorFramework secured = client(CREDS);
        List<String> nodes = populate(secured);
        ZkLayout layout = new ZkLayout(root);
        assertThat(nodes)
                .contains(
                        root,
                        layout.epoch(),
                        layout.target(Fixtures.T1),
                        layout.client(Fixtures.T1, Fixtures.WIN),
                        layout.member("gw-a"),
                        layout.status("gw-a"),
                        layout.aluaDisk("rbd/a"),
                        layout.coordinator(),
                        layout.drain("gw-b"),
                        layout.fence("gw-b"),
                        root + "/audit/0000000001");
        assertThat(nodes.stream().filter(n -> n.startsWith(layout.coordinator() + "/")))
                .isNotEmpty();

        for (ZkCredentials intruder : new ZkCredentials[] {null, WRONG}) {
            CuratorFramework other = client(intruder);
            for (String n : nodes) {
                assertNoAuth(() -> other.getData().forPath(n), n);
                assertNoAuth(() -> other.getChildren().forPath(n), n);
                assertNoAuth(() -> other.setData().forPath(n, "x".getBytes()), n);
                assertNoAuth(() -> other.create().forPath(n + "/intruder"), n);
                assertNoAuth(
                        () -> other.setACL()
                                .withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE)
                                .forPath(n),
                        n);
                if (!n.equals(root)) {
                    assertNoAuth(() -> other.delete().forPath(n), n);
                }
            }
        }
        // and the rightful owner still reads, watches and writes everything
        ConfigStore store = new ConfigStore(secured, root);
        assertThat(store.read().clients()).hasSize(2);
        java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong(-1);
        ConfigWatcher watcher = new ConfigWatcher(store);
        watcher.addListener(snapshot -> seen.set(snapshot.epoch()));
        watcher.start();
        closeFirst.add(0, watcher);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.get() == 1);
        store.apply(1, new io.rbdgw.config.model.ConfigChange.DeleteClient(Fixtures.T1, Fixtures.ESX1));
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.get() == 2);
    }

    private static void assertNoAuth(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String node) {
        assertThatThrownBy(call).as(node).isInstanceOf(KeeperException.NoAuthException.class);
    }

    @Test
    void anOpenTreeFromAnOlderVersionIsClosedOnStart() throws Exception {
        CuratorFramework old = client(null);
        ConfigStore store = new ConfigStore(old, root);
        store.initialize();
        store.apply(0, Fixtures.basicTarget());
        assertThat(old.getData().forPath(new ZkLayout(root).client(Fixtures.T1, Fixtures.WIN)))
                .isNotEmpty();

        CuratorFramework secured = client(CREDS);
        int changed = CREDS.secureTree(secured, root);
        assertThat(changed).isEqualTo(all(secured, root).size());
        assertThat(CREDS.secureTree(secured, root)).as("once only").isZero();

        for (String n : all(secured, root)) {
            assertNoAuth(() -> old.getData().forPath(n), n);
            assertNoAuth(() -> old.setData().forPath(n, new byte[0]), n);
            assertThat(secured.getACL().forPath(n)).isEqualTo(CREDS.acl());
        }
        assertThat(new ConfigStore(secured, root).read().epoch()).isEqualTo(1);
    }

    @Test
    void secureTreeWhenConnectedClosesTheTreeInTheBackground() throws Exception {
        CuratorFramework old = client(null);
        new ConfigStore(old, root).initialize();
        CuratorFramework secured = client(CREDS);
        CREDS.secureTreeWhenConnected(secured, root);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertNoAuth(() -> old.getData().forPath(new ZkLayout(root).epoch()), "epoch"));
    }

    @Test
    void authFileMustBePrivateAndWellFormed() throws Exception {
        Path file = tmp.resolve("zk-auth");
        Files.writeString(file, "rbdgw:s3cret-zk-password\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> ZkCredentials.fromFile(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chmod 600")
                .hasMessageNotContaining("s3cret");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(ZkCredentials.fromFile(file).acl()).isEqualTo(CREDS.acl());

        Files.writeString(file, "no-colon\n");
        assertThatThrownBy(() -> ZkCredentials.fromFile(file)).hasMessageContaining("user:password");

        Path generated = tmp.resolve("generated");
        ZkCredentials g = ZkCredentials.generateIfAbsent(generated, "standalone");
        assertThat(Files.getPosixFilePermissions(generated)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(ZkCredentials.generateIfAbsent(generated, "standalone").acl())
                .isEqualTo(g.acl());
    }
}
