package io.rbdgw.config.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.ZkTestSupport;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.store.ZkLayout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GatewayMembershipTest {
    // generous: a session expiry and re-registration took over 15 s on a 2-core host at load 10
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static TestingServer server;

    @BeforeAll
    static void startZk() throws Exception {
        server = ZkTestSupport.server();
    }

    @AfterAll
    static void stopZk() throws Exception {
        server.close();
    }

    private static MemberInfo info(String name, String portal) {
        return new MemberInfo(name, List.of(Portal.parse(portal)), "10.1.0.1:0/12345", "0.1.0", 1000);
    }

    @Test
    @SuppressWarnings("try") // gw-b leaves early on purpose
    void membersAreListedWithTheEpochsTheyApplied() throws Exception {
        ZkLayout layout = new ZkLayout(ZkTestSupport.newRoot());
        try (CuratorFramework a = ZkTestSupport.client(server.getConnectString());
                CuratorFramework b = ZkTestSupport.client(server.getConnectString());
                GatewayMembership gwA = new GatewayMembership(a, layout, info("gw-a", "10.0.0.1:3260"));
                GatewayMembership gwB = new GatewayMembership(b, layout, info("gw-b", "10.0.0.2:3260"))) {
            gwA.start();
            gwB.start();
            assertThat(gwA.awaitRegistered(WAIT)).isTrue();
            assertThat(gwB.awaitRegistered(WAIT)).isTrue();

            gwA.reportStatus(7, GatewayStatus.Health.OK, null);
            gwB.reportStatus(6, GatewayStatus.Health.DEGRADED, "disk rbd/x: image not found");
            await().atMost(WAIT)
                    .until(() -> gwA.unpublishedStatus().isEmpty()
                            && gwB.unpublishedStatus().isEmpty());

            MembershipView view = gwA.view();
            assertThat(view.members())
                    .containsExactlyInAnyOrder(info("gw-a", "10.0.0.1:3260"), info("gw-b", "10.0.0.2:3260"));
            assertThat(view.appliedAtLeast(6)).containsExactly("gw-a", "gw-b");
            assertThat(view.appliedAtLeast(7)).containsExactly("gw-a");
            assertThat(view.pending(7)).containsExactly("gw-b");
            assertThat(view.status("gw-b").orElseThrow().detail()).contains("image not found");

            gwB.close(); // leaves: its status stays, but it no longer counts
            await().atMost(WAIT).until(() -> view.members().size() == 1);
            MemberState b2 = view.states().get("gw-b");
            assertThat(b2.alive()).isFalse();
            assertThat(b2.status().orElseThrow().appliedEpoch()).isEqualTo(6);
            assertThat(view.pending(7)).isEmpty();
        }
    }

    @Test
    void aStatusReportedWhileZooKeeperIsDownIsPublishedWhenItReturns() throws Exception {
        ZkLayout layout = new ZkLayout(ZkTestSupport.newRoot());
        try (TestingServer own = ZkTestSupport.server();
                CuratorFramework a = ZkTestSupport.client(own.getConnectString());
                GatewayMembership gw = new GatewayMembership(a, layout, info("gw-a", "10.0.0.1"))) {
            gw.start();
            assertThat(gw.awaitRegistered(WAIT)).isTrue();
            gw.reportStatus(1, GatewayStatus.Health.OK, null);
            await().atMost(WAIT).until(() -> gw.unpublishedStatus().isEmpty());

            own.stop();
            await().atMost(WAIT).until(() -> !a.getZookeeperClient().isConnected());
            gw.reportStatus(2, GatewayStatus.Health.OK, null);
            gw.reportStatus(3, GatewayStatus.Health.DEGRADED, "ZooKeeper was away");
            assertThat(gw.unpublishedStatus()).map(GatewayStatus::appliedEpoch).contains(3L);

            own.restart();
            await().atMost(WAIT).until(() -> gw.unpublishedStatus().isEmpty());
            GatewayStatus s = gw.view().status("gw-a").orElseThrow();
            assertThat(s.appliedEpoch()).isEqualTo(3);
            assertThat(s.health()).isEqualTo(GatewayStatus.Health.DEGRADED);
        }
    }

    @Test
    void reportsRacingAReconnectionNeverLeaveAnOlderStatusPublished() throws Exception {
        // Curator delivers RECONNECTED on its event thread, which writes the pending status while the reconciler
        // reports a newer one: the node must end with the newest, not with whichever write ZooKeeper got last
        ZkLayout layout = new ZkLayout(ZkTestSupport.newRoot());
        try (CuratorFramework a = ZkTestSupport.client(server.getConnectString());
                GatewayMembership gw = new GatewayMembership(a, layout, info("gw-a", "10.0.0.1"))) {
            gw.start();
            assertThat(gw.awaitRegistered(WAIT)).isTrue();
            AtomicBoolean stop = new AtomicBoolean();
            Thread eventThread = new Thread(() -> {
                while (!stop.get()) {
                    gw.flush(); // what the membership's listener does on RECONNECTED
                    LockSupport.parkNanos(20_000);
                }
            });
            eventThread.start();
            try {
                long epoch = 0;
                for (int round = 0; round < 20; round++) {
                    for (int i = 0; i < 50; i++) {
                        gw.reportStatus(++epoch, GatewayStatus.Health.OK, null);
                    }
                    await().atMost(WAIT).until(() -> gw.unpublishedStatus().isEmpty());
                    assertThat(gw.view().status("gw-a").orElseThrow().appliedEpoch())
                            .as("round %d", round)
                            .isEqualTo(epoch);
                }
            } finally {
                stop.set(true);
                eventThread.join();
            }
        }
    }

    @Test
    void theMemberNodeComesBackAfterSessionExpiry() throws Exception {
        ZkLayout layout = new ZkLayout(ZkTestSupport.newRoot());
        try (CuratorFramework a = ZkTestSupport.client(server.getConnectString());
                CuratorFramework observer = ZkTestSupport.client(server.getConnectString());
                GatewayMembership gw = new GatewayMembership(a, layout, info("gw-a", "10.0.0.1"))) {
            gw.start();
            assertThat(gw.awaitRegistered(WAIT)).isTrue();
            long ownerBefore =
                    observer.checkExists().forPath(layout.member("gw-a")).getEphemeralOwner();

            KillSession.kill(a.getZookeeperClient().getZooKeeper());

            await().atMost(WAIT).until(() -> {
                var stat = observer.checkExists().forPath(layout.member("gw-a"));
                return stat != null && stat.getEphemeralOwner() != ownerBefore;
            });
            gw.update(gw.self().withRadosAddress("10.1.0.1:0/999"));
            await().atMost(WAIT)
                    .until(() -> new MembershipView(observer, layout)
                            .members()
                            .get(0)
                            .radosAddress()
                            .endsWith("/999"));
        }
    }

    @Test
    void anUpdateBeforeTheNodeIsFirstCreatedIsPublishedWhenItIs() throws Exception {
        // the RADOS address is published as soon as Ceph is connected, which can be before the member node exists;
        // losing it would leave the coordinator nothing to fence
        ZkLayout layout = new ZkLayout(ZkTestSupport.newRoot());
        try (CuratorFramework a = ZkTestSupport.client(server.getConnectString());
                CuratorFramework observer = ZkTestSupport.client(server.getConnectString());
                GatewayMembership gw = new GatewayMembership(a, layout, info("gw-a", "10.0.0.1"))) {
            gw.update(gw.self().withRadosAddress("10.1.0.1:0/4242"));
            gw.start();
            assertThat(gw.awaitRegistered(WAIT)).isTrue();
            await().atMost(WAIT).until(() -> {
                List<MemberInfo> members = new MembershipView(observer, layout).members();
                return members.size() == 1 && members.get(0).radosAddress().endsWith("/4242");
            });
        }
    }
}
