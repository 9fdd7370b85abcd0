package io.rbdgw.it.cluster;

import static io.rbdgw.it.cluster.ClusterFixtures.states;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.rbdgw.admin.AdminServer;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.admin.cli.RbdgwCli;
import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.membership.MembershipView;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import io.rbdgw.it.GatewayProcess;
import io.rbdgw.it.ZkConfig;
import io.rbdgw.scsi.TargetPortGroups;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
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
 * Maintenance of a gateway pair through the admin CLI, observed through the gateways' /metrics: I/O on the owner
 * shows in its per-LUN meters; {@code rbdgw gateway drain OWNER --wait} moves the LUN to the other gateway while
 * both run (hosts see the states flip on both portals), the failover history records it, and the drained
 * gateway then stops and restarts without any ownership move.
 */
class ClusterDrainIT {
    static final String IQN = "iqn.2026-11.io.rbdgw:drain";
    static final String HOST1 = "iqn.1993-08.org.debian:host1";
    static final String PASSWORD = "it-admin-password";
    static final String DISK = "local/disk0";

    @TempDir
    Path dir;

    ZkConfig zk;
    CuratorFramework client;
    ConfigStore store;

    @BeforeEach
    void setUp() throws Exception {
        zk = new ZkConfig();
        client = zk.client();
        store = zk.store();
    }

    @AfterEach
    void tearDown() throws Exception {
        zk.close();
    }

    private static String[] options() {
        return new String[] {
            "--retry-interval",
            "1",
            "--alua-settle",
            "1",
            "--zk-session-timeout",
            "4",
            "--nop-interval",
            "600",
            "--nop-timeout",
            "600"
        };
    }

    /**
     * Starts a gateway on a free port below the ephemeral range, so that it can be restarted on it. One data
     * directory: a file disk both gateways reach stands in for a shared RBD image.
     */
    private GatewayProcess start(String name) throws Exception {
        return GatewayProcess.runOnFreePort(name, dir.resolve("shared"), zk, options());
    }

    /** Restarts a stopped gateway on its port. */
    private GatewayProcess restart(String name, int port) throws Exception {
        return GatewayProcess.run(name, port, dir.resolve("shared"), zk, options());
    }

    /** Runs the CLI in this JVM; returns its output, failing on a non-zero exit. */
    private static String cli(URI api, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--url";
        all[1] = api.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = RbdgwCli.run(
                all, new PrintStream(out, true), new PrintStream(err, true), Map.of("RBDGW_ADMIN_PASSWORD", PASSWORD));
        assertThat(code).as(String.join(" ", args) + "\n" + out + err).isZero();
        return out.toString();
    }

    private LunOwnership owner() throws Exception {
        return zk.owner(DISK);
    }

    @Test
    void drainingTheOwnerMovesItsLunWhileBothRunAndMetricsShowIt() throws Exception {
        try (AdminServer api = AdminServer.start(AdminServer.Options.of(store, PasswordHash.hash(PASSWORD))
                        .withListen("127.0.0.1", 0)
                        .withDataDir(dir.resolve("shared")));
                GatewayProcess a = start("gw-a");
                GatewayProcess b = start("gw-b")) {
            URI url = api.uri();
            cli(url, "gateway", "add", "gw-a", "--portal", a.portal(), "--tpg", "1");
            cli(url, "gateway", "add", "gw-b", "--portal", b.portal(), "--tpg", "2");
            cli(url, "target", "create", IQN);
            cli(url, "disk", "create", "--backstore", "file", DISK, "--size", "16M");
            cli(url, "lun", "add", IQN, DISK);
            cli(url, "client", "create", IQN, HOST1, "--all-luns");
            long epoch = store.epoch();
            MembershipView view = new MembershipView(client, store.layout());
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(view.appliedAtLeast(epoch)).contains("gw-a", "gw-b"));
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> owner() != null);
            LunOwnership initial = owner();
            String from = initial.owner();
            String to = from.equals("gw-a") ? "gw-b" : "gw-a";
            GatewayProcess fromProcess = from.equals("gw-a") ? a : b;
            GatewayProcess toProcess = from.equals("gw-a") ? b : a;
            int fromGroup = from.equals("gw-a") ? 1 : 2;
            int toGroup = from.equals("gw-a") ? 2 : 1;
            String lun = "disk=\"" + DISK + "\"";

            assertThat(cli(url, "alua"))
                    .contains(DISK)
                    .contains(from + "=ACTIVE_OPTIMIZED")
                    .contains(to + "=ACTIVE_NON_OPTIMIZED");

            try (TestInitiator onFrom = new TestInitiator(new InetSocketAddress("127.0.0.1", fromProcess.port()));
                    TestInitiator onTo = new TestInitiator(new InetSocketAddress("127.0.0.1", toProcess.port()))) {
                onFrom.login(TestInitiator.normalKeys(HOST1, IQN));
                onTo.login(TestInitiator.normalKeys(HOST1, IQN));
                await().atMost(Duration.ofSeconds(15))
                        .ignoreExceptions()
                        .untilAsserted(() -> assertThat(states(onFrom))
                                .isEqualTo(Map.of(
                                        fromGroup,
                                        TargetPortGroups.ACTIVE_OPTIMIZED,
                                        toGroup,
                                        TargetPortGroups.ACTIVE_NON_OPTIMIZED)));

                // I/O on the optimized path shows in the owner's meters of this LUN
                byte[] data = TestInitiator.random(4096, 7);
                for (int i = 0; i < 5; i++) {
                    assertThat(write(onFrom, 8L * i, data)).isZero();
                }
                String m = fromProcess.scrapeMetrics();
                assertThat(GatewayProcess.sample(m, "rbdgw_scsi_operation_latency_seconds_count", "kind=\"write\""))
                        .isEqualTo(5);
                assertThat(GatewayProcess.sample(m, "rbdgw_scsi_bytes_total", lun, "kind=\"write\""))
                        .isEqualTo(5 * 4096);
                assertThat(GatewayProcess.sample(m, "rbdgw_scsi_latency_seconds_count", lun, "kind=\"write\""))
                        .isEqualTo(5);
                assertThat(GatewayProcess.sample(m, "rbdgw_lun_alua_state", lun))
                        .isEqualTo(TargetPortGroups.ACTIVE_OPTIMIZED);
                assertThat(GatewayProcess.sample(m, "rbdgw_lun_owner", lun, "owner=\"" + from + "\""))
                        .isEqualTo(1);
                assertThat(GatewayProcess.sample(m, "rbdgw_iscsi_sessions")).isGreaterThanOrEqualTo(1);
                assertThat(GatewayProcess.sample(m, "rbdgw_zookeeper_connected"))
                        .isEqualTo(1);
                assertThat(GatewayProcess.sample(m, "jvm_threads_live_threads")).isPositive();
                assertThat(GatewayProcess.sample(toProcess.scrapeMetrics(), "rbdgw_lun_alua_state", lun))
                        .isEqualTo(TargetPortGroups.ACTIVE_NON_OPTIMIZED);

                // drain the owner: the LUN moves while both run
                String drained = cli(url, "gateway", "drain", from, "--wait", "30");
                assertThat(drained).contains("complete: true").contains("draining: true");
                assertThat(owner().owner()).isEqualTo(to);
                assertThat(owner().epoch()).isEqualTo(initial.epoch() + 1);
                // hosts learn it on both portals: 2A/06, then the new states
                for (TestInitiator host : List.of(onFrom, onTo)) {
                    await().atMost(Duration.ofSeconds(15))
                            .ignoreExceptions()
                            .untilAsserted(() -> assertThat(states(host))
                                    .isEqualTo(Map.of(
                                            toGroup,
                                            TargetPortGroups.ACTIVE_OPTIMIZED,
                                            fromGroup,
                                            TargetPortGroups.ACTIVE_NON_OPTIMIZED)));
                }
                assertThat(cli(url, "alua"))
                        .contains(to + "=ACTIVE_OPTIMIZED")
                        .contains(from + "=ACTIVE_NON_OPTIMIZED(draining)");
                // both gateways report in their status that they applied the new ownership, and when
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    var ports = new com.fasterxml.jackson.databind.ObjectMapper()
                            .readTree(cli(url, "--json", "alua"))
                            .get(0)
                            .get("ports");
                    assertThat(ports).hasSize(2).allSatisfy(p -> {
                        assertThat(p.get("appliedEpoch").asLong()).isEqualTo(initial.epoch() + 1);
                        assertThat(p.get("appliedAtMillis").asLong()).isGreaterThan(0);
                    });
                });
                assertThat(cli(url, "failovers", "--reason", "drained"))
                        .contains(DISK)
                        .contains(from)
                        .contains(to)
                        .contains("DRAINED");
                // the new owner serves the data written through the old one
                assertThat(TestInitiator.read(onTo, 0, 8, 262144)).isEqualTo(data);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                String mf = fromProcess.scrapeMetrics();
                String mt = toProcess.scrapeMetrics();
                assertThat(GatewayProcess.sample(mf, "rbdgw_lun_alua_state", lun))
                        .isEqualTo(TargetPortGroups.ACTIVE_NON_OPTIMIZED);
                assertThat(GatewayProcess.sample(mt, "rbdgw_lun_alua_state", lun))
                        .isEqualTo(TargetPortGroups.ACTIVE_OPTIMIZED);
                assertThat(GatewayProcess.sample(mt, "rbdgw_lun_owner", lun, "owner=\"" + to + "\""))
                        .isEqualTo(1);
                assertThat(GatewayProcess.sample(mf, "rbdgw_alua_transitions_total"))
                        .isGreaterThanOrEqualTo(1);
                assertThat(GatewayProcess.sample(mt, "rbdgw_alua_transitions_total"))
                        .isGreaterThanOrEqualTo(1);
                // the coordinator (one of the two) counted the drain
                double moves = nan0(GatewayProcess.sample(mf, "rbdgw_failover_moves_total", "reason=\"drained\""))
                        + nan0(GatewayProcess.sample(mt, "rbdgw_failover_moves_total", "reason=\"drained\""));
                assertThat(moves).isEqualTo(1);
            });

            // maintenance: stop the drained gateway, start it again, undrain: no ownership move on the way
            assertThat(fromProcess.stop()).isZero();
            assertThat(fromProcess.output()).doesNotContain("LEAK");
            try (GatewayProcess again = restart(from, fromProcess.port())) {
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(
                                () -> assertThat(view.appliedAtLeast(epoch)).contains(from));
                assertThat(cli(url, "gateway", "drain-status", from))
                        .contains("draining: true")
                        .contains("alive: true");
                assertThat(cli(url, "gateway", "undrain", from)).contains("draining: false");
                Thread.sleep(2500); // longer than --alua-settle: a rebalance would have happened by now
                assertThat(owner().owner()).isEqualTo(to);
                assertThat(owner().epoch()).isEqualTo(initial.epoch() + 1);
                assertThat(cli(url, "failovers", "--disk", DISK)).doesNotContain("GATEWAY_LOST");
                assertThat(again.stop()).isZero();
            }
            assertThat(toProcess.stop()).isZero();
            assertThat(toProcess.output()).doesNotContain("LEAK");
        }
    }

    private static double nan0(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    /** WRITE(10) with immediate data; returns 0 for GOOD, else sense key/ASC/ASCQ as 0xKKAAQQ. */
    private static int write(TestInitiator host, long lba, byte[] data) throws Exception {
        while (true) {
            host.send(host.command(
                    TestInitiator.rw10(0x2A, lba, data.length / 512),
                    false,
                    true,
                    data.length,
                    Unpooled.wrappedBuffer(data),
                    true));
            ScsiResponse r = host.expect(ScsiResponse.class, 5000);
            try {
                if (r.status() == 0) {
                    return 0;
                }
                int s = TestInitiator.senseKeyAscAscq(r);
                if (s >> 16 != 0x06) {
                    return s;
                }
                // unit attentions (power on, ALUA change): retried like a host does
            } finally {
                r.release();
            }
        }
    }
}
