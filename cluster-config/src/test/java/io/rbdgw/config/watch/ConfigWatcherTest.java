package io.rbdgw.config.watch;

import static io.rbdgw.config.Fixtures.disk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.Fixtures;
import io.rbdgw.config.ZkTestSupport;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.store.ConfigStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConfigWatcherTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    private TestingServer server;
    private CuratorFramework admin; // the admin's session
    private CuratorFramework gateway; // the watching gateway's session
    private ConfigStore adminStore;
    private ConfigWatcher watcher;
    private final List<ClusterConfig> seen = new CopyOnWriteArrayList<>();
    private final List<Boolean> connectivity = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        server = ZkTestSupport.server();
        admin = ZkTestSupport.client(server.getConnectString());
        gateway = ZkTestSupport.client(server.getConnectString());
        String root = ZkTestSupport.newRoot();
        adminStore = new ConfigStore(admin, root);
        watcher = new ConfigWatcher(new ConfigStore(gateway, root));
        watcher.addListener(new ConfigWatcher.Listener() {
            @Override
            public void configChanged(ClusterConfig snapshot) {
                seen.add(snapshot);
            }

            @Override
            public void connectionChanged(boolean connected) {
                connectivity.add(connected);
            }
        });
    }

    @AfterEach
    void tearDown() throws Exception {
        watcher.close();
        gateway.close();
        admin.close();
        server.close();
    }

    @Test
    void deliversTheFirstSnapshotOnceTheConfigurationExistsThenEveryEpochInOrder() throws Exception {
        watcher.start();
        assertThat(watcher.state()).isEqualTo(ConfigWatcher.State.STARTED);
        Thread.sleep(200);
        assertThat(watcher.current()).isEmpty(); // nothing stored yet

        adminStore.initialize();
        assertThat(watcher.awaitEpoch(0, WAIT)).isEqualTo(ClusterConfig.EMPTY);

        long e = adminStore.apply(0, Fixtures.basicTarget());
        for (int i = 0; i < 20; i++) { // a burst: events coalesce, snapshots must not
            e = adminStore.apply(e, new ConfigChange.PutDisk(disk("burst" + i)));
        }
        ClusterConfig last = watcher.awaitEpoch(e, WAIT);

        assertThat(last).isEqualTo(adminStore.read());
        assertThat(seen).extracting(ClusterConfig::epoch).isSorted().doesNotHaveDuplicates();
        assertThat(seen.get(seen.size() - 1).epoch()).isEqualTo(21);
    }

    @Test
    void keepsTheLastSnapshotWhileZooKeeperIsDownAndCatchesUpAfterRestart() throws Exception {
        adminStore.initialize();
        long e = adminStore.apply(0, Fixtures.basicTarget());
        watcher.start();
        ClusterConfig before = watcher.awaitEpoch(e, WAIT);

        server.stop();
        await().atMost(WAIT).until(() -> !watcher.isConnected());
        await().atMost(WAIT).until(() -> connectivity.contains(false)); // listeners are told on the watcher's thread
        assertThat(watcher.current()).contains(before);

        server.restart();
        await().atMost(WAIT).until(watcher::isConnected);
        admin.blockUntilConnected();
        long next = adminStore.apply(adminStore.epoch(), new ConfigChange.PutDisk(disk("after-restart")));

        assertThat(watcher.awaitEpoch(next, WAIT).disk("rbd/after-restart")).isPresent();
        assertThat(connectivity).containsSubsequence(false, true);
    }

    @Test
    void reRegistersItsWatchAfterSessionExpiry() throws Exception {
        adminStore.initialize();
        watcher.start();
        watcher.awaitEpoch(0, WAIT);
        long sessionBefore = gateway.getZookeeperClient().getZooKeeper().getSessionId();

        KillSession.kill(gateway.getZookeeperClient().getZooKeeper());
        await().atMost(WAIT)
                .until(() -> watcher.isConnected()
                        && gateway.getZookeeperClient().getZooKeeper().getSessionId() != sessionBefore);

        // a change after the new session exists must arrive through the re-registered watch
        long e = adminStore.apply(0, new ConfigChange.PutDisk(disk("after-expiry")));
        assertThat(watcher.awaitEpoch(e, WAIT).disk("rbd/after-expiry")).isPresent();
    }

    @Test
    void aChangeCommittedWhileTheGatewayIsCutOffArrivesWhenItReconnects() throws Exception {
        adminStore.initialize();
        watcher.start();
        watcher.awaitEpoch(0, WAIT);

        KillSession.kill(gateway.getZookeeperClient().getZooKeeper());
        long e = adminStore.apply(0, new ConfigChange.PutDisk(disk("while-away")));

        assertThat(watcher.awaitEpoch(e, WAIT).disk("rbd/while-away")).isPresent();
    }

    @Test
    void closedWatchersDeliverNothing() throws Exception {
        adminStore.initialize();
        watcher.start();
        watcher.awaitEpoch(0, WAIT);
        watcher.close();
        int delivered = seen.size();

        adminStore.apply(0, new ConfigChange.PutDisk(disk("late")));
        Thread.sleep(300);

        assertThat(watcher.state()).isEqualTo(ConfigWatcher.State.CLOSED);
        assertThat(seen).hasSize(delivered);
    }
}
