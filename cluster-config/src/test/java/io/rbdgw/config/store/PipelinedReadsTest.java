package io.rbdgw.config.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.rbdgw.config.PausableProxy;
import io.rbdgw.config.ZkTestSupport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PipelinedReadsTest {
    private static TestingServer server;
    private static CuratorFramework client;

    @BeforeAll
    static void startZk() throws Exception {
        server = ZkTestSupport.server();
        client = ZkTestSupport.client(server.getConnectString());
    }

    @AfterAll
    static void stopZk() throws Exception {
        client.close();
        server.close();
    }

    /** {@code n} children of a new parent, each holding its own name; returns their paths. */
    private static List<String> nodes(int n) throws Exception {
        String root = ZkTestSupport.newRoot();
        client.create().forPath(root);
        List<String> paths = new ArrayList<>();
        List<CuratorOp> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String path = root + "/n" + i;
            paths.add(path);
            ops.add(client.transactionOp().create().forPath(path, ("n" + i).getBytes(StandardCharsets.UTF_8)));
        }
        client.transaction().forOperations(ops);
        return paths;
    }

    @Test
    void readsEveryNodeWithItsVersionAndTellsAMissingOneAsAsked() throws Exception {
        List<String> paths = nodes(3000); // more than the window
        client.setData().forPath(paths.get(7), "changed".getBytes(StandardCharsets.UTF_8));

        Map<String, PipelinedReads.Node> read = PipelinedReads.data(client, paths, false);
        assertThat(read).hasSize(3000);
        assertThat(new String(read.get(paths.get(2999)).data(), StandardCharsets.UTF_8))
                .isEqualTo("n2999");
        assertThat(read.get(paths.get(7)).stat().getVersion()).isEqualTo(1);
        assertThat(read.get(paths.get(8)).stat().getVersion()).isZero();

        String parent = paths.get(0).substring(0, paths.get(0).lastIndexOf('/'));
        assertThat(PipelinedReads.children(client, List.of(parent), false).get(parent))
                .hasSize(3000);

        List<String> withGone = new ArrayList<>(paths.subList(0, 10));
        withGone.add(parent + "/gone");
        assertThat(PipelinedReads.data(client, withGone, true)).hasSize(10).doesNotContainKey(parent + "/gone");
        assertThatThrownBy(() -> PipelinedReads.data(client, withGone, false))
                .isInstanceOfSatisfying(
                        KeeperException.NoNodeException.class,
                        e -> assertThat(e.getPath()).isEqualTo(parent + "/gone"));
        assertThatThrownBy(() -> PipelinedReads.children(client, List.of(parent + "/gone"), false))
                .isInstanceOf(KeeperException.NoNodeException.class);
    }

    /** 2,000 reads behind 10 ms per hop: one at a time that is 40 s, pipelined a few round trips. */
    @Test
    void manyReadsShareRoundTrips() throws Exception {
        List<String> paths = nodes(2000);
        try (PausableProxy proxy = new PausableProxy(new InetSocketAddress("127.0.0.1", server.getPort()))) {
            CuratorFramework far = ZkTestSupport.client(proxy.connectString());
            try {
                assertThat(far.checkExists().forPath(paths.get(0))).isNotNull(); // connected before the latency
                proxy.delay(10);
                Map<String, PipelinedReads.Node> read =
                        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> PipelinedReads.data(far, paths, false));
                assertThat(read).hasSize(2000);
            } finally {
                far.close();
            }
        }
    }
}
