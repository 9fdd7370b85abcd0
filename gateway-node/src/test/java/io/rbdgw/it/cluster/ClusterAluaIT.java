package io.rbdgw.it.cluster;

import static io.rbdgw.it.cluster.ClusterFixtures.states;
import static io.rbdgw.it.cluster.ClusterFixtures.testUnitReady;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.membership.MembershipView;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.Documents;
import io.rbdgw.iscsi.session.TestInitiator;
import io.rbdgw.it.GatewayProcess;
import io.rbdgw.it.ZkConfig;
import io.rbdgw.scsi.TargetPortGroups;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ALUA across two {@code run} gateways: REPORT TARGET PORT GROUPS on either portal shows the LUN's owner
 * Active/Optimized and the other gateway Active/Non-optimized; when the owner is killed (SIGKILL) the survivor
 * becomes the owner, reports the dead gateway Unavailable and tells its live sessions with 2A/06.
 */
class ClusterAluaIT {

    static final String IQN = "iqn.2026-11.io.rbdgw:alua";
    static final String HOST1 = "iqn.1993-08.org.debian:host1";

    @TempDir
    Path dir;

    ZkConfig zk;
    CuratorFramework client;
    ConfigStore store;
    int portA;
    int portB;

    @BeforeEach
    void setUp() throws Exception {
        zk = new ZkConfig();
        client = zk.client();
        store = zk.store();
        portA = GatewayProcess.freePort();
        portB = GatewayProcess.freePort();
    }

    @AfterEach
    void tearDown() throws Exception {
        zk.close();
    }

    private GatewayProcess start(String name, int port) throws Exception {
        // no NOP-In pings: the test initiator does not answer them
        return GatewayProcess.run(
                name,
                port,
                dir.resolve(name),
                zk,
                "--retry-interval",
                "1",
                "--alua-settle",
                "1",
                "--zk-session-timeout",
                "4",
                "--nop-interval",
                "600",
                "--nop-timeout",
                "600");
    }

    private LunOwnership owner() throws Exception {
        String path = store.layout().aluaDisk("local/disk0");
        return new Documents()
                .read(path, client.getData().forPath(path), LunOwnership.class)
                .value();
    }

    @Test
    void theOwnerIsOptimizedOnEveryPortalAndTheSurvivorTakesOverWhenItIsKilled() throws Exception {
        long epoch = store.update(
                c -> List.of(
                        new ConfigChange.PutGateway(new Gateway("gw-a", List.of(new Portal("127.0.0.1", portA)), 1)),
                        new ConfigChange.PutGateway(new Gateway("gw-b", List.of(new Portal("127.0.0.1", portB)), 2)),
                        new ConfigChange.PutTarget(Target.of(IQN)),
                        new ConfigChange.PutDisk(Disk.file("local", "disk0", 16 << 20, "disk0.img")),
                        new ConfigChange.PutLun(new Lun(IQN, 0, "local/disk0")),
                        new ConfigChange.PutClient(Client.allLuns(IQN, HOST1))),
                5);
        try (GatewayProcess a = start("gw-a", portA);
                GatewayProcess b = start("gw-b", portB)) {
            MembershipView view = new MembershipView(client, store.layout());
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(view.appliedAtLeast(epoch)).contains("gw-a", "gw-b"));
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> owner() != null);
            LunOwnership initial = owner();
            boolean aOwns = initial.owner().equals("gw-a");
            int ownerGroup = aOwns ? 1 : 2;
            int otherGroup = aOwns ? 2 : 1;
            GatewayProcess ownerProcess = aOwns ? a : b;
            int survivorPort = aOwns ? portB : portA;

            for (int port : List.of(portA, portB)) {
                try (TestInitiator host = new TestInitiator(new InetSocketAddress("127.0.0.1", port))) {
                    host.login(TestInitiator.normalKeys(HOST1, IQN));
                    await().atMost(Duration.ofSeconds(15))
                            .ignoreExceptions()
                            .untilAsserted(() -> assertThat(states(host))
                                    .as("REPORT TARGET PORT GROUPS on port " + port)
                                    .isEqualTo(Map.of(
                                            ownerGroup,
                                            TargetPortGroups.ACTIVE_OPTIMIZED,
                                            otherGroup,
                                            TargetPortGroups.ACTIVE_NON_OPTIMIZED)));
                }
            }

            try (TestInitiator host = new TestInitiator(new InetSocketAddress("127.0.0.1", survivorPort))) {
                host.login(TestInitiator.normalKeys(HOST1, IQN));
                // 29/00 for a new nexus (not when the previous session with this ISID is not torn down yet)
                int first = testUnitReady(host);
                if (first != 0) {
                    assertThat(first).isEqualTo(0x062900);
                    assertThat(testUnitReady(host)).isZero();
                }

                ownerProcess.process().destroyForcibly();
                ownerProcess.process().waitFor();
                long killed = System.nanoTime();
                // the first command after the change gets 2A/06, then the new states are reported
                await().atMost(Duration.ofSeconds(40))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> testUnitReady(host) == 0x062A06);
                double seconds = (System.nanoTime() - killed) / 1e9;
                assertThat(states(host))
                        .isEqualTo(Map.of(
                                otherGroup,
                                TargetPortGroups.ACTIVE_OPTIMIZED,
                                ownerGroup,
                                TargetPortGroups.UNAVAILABLE));
                // (a dead owner alone already makes the survivor optimized; the record moves right after fencing)
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> !owner().owner().equals(initial.owner()));
                LunOwnership after = owner();
                assertThat(after.owner()).isEqualTo(aOwns ? "gw-b" : "gw-a");
                assertThat(after.epoch()).isGreaterThan(initial.epoch());
                System.out.printf("owner moved %.1f s after SIGKILL%n", seconds);
            }
            GatewayProcess survivor = aOwns ? b : a;
            assertThat(survivor.output())
                    .contains("is lost")
                    .contains("nothing to fence")
                    .contains("ALUA owner of local/disk0: " + initial.owner() + " -> " + owner().owner());
            assertThat(survivor.stop()).isZero();
            assertThat(survivor.output()).doesNotContain("LEAK");
        }
    }
}
