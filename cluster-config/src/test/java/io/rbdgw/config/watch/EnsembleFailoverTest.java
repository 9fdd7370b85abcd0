package io.rbdgw.config.watch;

import static io.rbdgw.config.Fixtures.disk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.ZkTestSupport;
import io.rbdgw.config.membership.GatewayMembership;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.membership.MembershipView;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.store.ConfigStore;
import java.time.Duration;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.Test;

/** A three-server ensemble: losing the server a gateway is connected to moves it to another, config and membership intact. */
class EnsembleFailoverTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @Test
    void watcherAndMembershipSurviveTheLossOfTheirServer() throws Exception {
        try (TestingCluster cluster =
                new TestingCluster(ZkTestSupport.loopback(), ZkTestSupport.loopback(), ZkTestSupport.loopback())) {
            cluster.start();
            String root = ZkTestSupport.newRoot();
            try (CuratorFramework admin = ZkTestSupport.client(cluster.getConnectString());
                    CuratorFramework gw = ZkTestSupport.client(cluster.getConnectString());
                    ConfigStore adminStore = new ConfigStore(admin, root);
                    ConfigWatcher watcher = new ConfigWatcher(new ConfigStore(gw, root));
                    GatewayMembership member = new GatewayMembership(
                            gw, adminStore.layout(), new MemberInfo("gw-a", List.of(), null, "0.1.0", 0))) {
                adminStore.initialize();
                watcher.start();
                member.start();
                assertThat(member.awaitRegistered(WAIT)).isTrue();
                watcher.awaitEpoch(0, WAIT);
                long sessionBefore = gw.getZookeeperClient().getZooKeeper().getSessionId();

                InstanceSpec connectedTo =
                        cluster.findConnectionInstance(gw.getZookeeperClient().getZooKeeper());
                assertThat(cluster.killServer(connectedTo)).isTrue();

                long e = adminStore.update(c -> List.of(new ConfigChange.PutDisk(disk("after-failover"))), 10);
                assertThat(watcher.awaitEpoch(e, WAIT).disk("rbd/after-failover"))
                        .isPresent();
                // the session moved to another server instead of expiring: the member node never went away
                await().atMost(WAIT).until(watcher::isConnected);
                assertThat(gw.getZookeeperClient().getZooKeeper().getSessionId())
                        .isEqualTo(sessionBefore);
                assertThat(new MembershipView(admin, adminStore.layout()).members())
                        .extracting(MemberInfo::name)
                        .containsExactly("gw-a");
            }
        }
    }
}
