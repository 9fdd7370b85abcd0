package io.rbdgw.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.config.alua.AluaSnapshot;
import io.rbdgw.config.alua.FailoverEvent;
import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.node.LogicalUnits;
import io.rbdgw.node.Reconciler;
import io.rbdgw.scsi.ClusterTargetPortGroups;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.LunStats;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.SenseData;
import io.rbdgw.scsi.TargetPortGroups;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.state.ConnectionState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GatewayMetricsTest {
    static final String T = "iqn.2026-11.io.rbdgw:t";

    final GatewayMetrics metrics = new GatewayMetrics("gw-a");
    final MemoryBlockDevice device = new MemoryBlockDevice(1 << 20, 512, "memory:m");

    @AfterEach
    void close() {
        metrics.close();
        device.close();
    }

    @Test
    void opcodesAreClassifiedAsReadWriteOrOther() {
        for (int op : new int[] {0x08, 0x28, 0xA8, 0x88}) {
            assertThat(LunMeters.kind(op)).as("0x%02x", op).isEqualTo(LunMeters.READ);
        }
        for (int op : new int[] {0x0A, 0x2A, 0xAA, 0x8A, 0x2E, 0xAE, 0x8E, 0x41, 0x93, 0x89, 0x9C}) {
            assertThat(LunMeters.kind(op)).as("0x%02x", op).isEqualTo(LunMeters.WRITE);
        }
        for (int op : new int[] {0x00, 0x12, 0x25, 0x9E, 0x35, 0x91, 0x42, 0xA3, 0x83}) {
            assertThat(LunMeters.kind(op)).as("0x%02x", op).isEqualTo(LunMeters.OTHER);
        }
        // the gateway-wide histogram splits them further
        assertThat(OperationLatency.kind(0x42)).isEqualTo(OperationLatency.UNMAP);
        assertThat(OperationLatency.kind(0x41)).isEqualTo(OperationLatency.WRITE_SAME);
        assertThat(OperationLatency.kind(0x93)).isEqualTo(OperationLatency.WRITE_SAME);
        assertThat(OperationLatency.kind(0x89)).isEqualTo(OperationLatency.COMPARE_AND_WRITE);
        assertThat(OperationLatency.kind(0x83)).isEqualTo(OperationLatency.XCOPY);
        assertThat(OperationLatency.kind(0x2A)).isEqualTo(OperationLatency.WRITE);
        assertThat(OperationLatency.kind(0x28)).isEqualTo(OperationLatency.READ);
        assertThat(OperationLatency.kind(0x12)).isEqualTo(OperationLatency.OTHER);
    }

    /** The issue's budget: a pair of gateways with 4096 LUNs stays under 100,000 series. */
    @Test
    void aLunCostsElevenSeriesAndAPairWith4096LunsStaysUnderTheBudget() {
        Reconciler.Observer o = metrics.reconcilerObserver();
        String before = metrics.scrape();
        int luns = 64;
        for (int i = 0; i < luns; i++) {
            LogicalUnit lu = LogicalUnits.create(i, device);
            o.lunAdded(T, i, "rbd/img" + i, lu, new ClusterTargetPortGroups(1, 10));
            LunStats stats = lu.stats();
            stats.completed(0x28, ScsiStatus.GOOD, null, 4096, 1_000_000);
            stats.completed(0x2A, ScsiStatus.GOOD, null, 4096, 2_000_000);
            stats.completed(0x89, ScsiStatus.GOOD, null, 512, 3_000_000);
            stats.completed(0x42, ScsiStatus.GOOD, null, 0, 500_000);
        }
        long perLun = (series(metrics.scrape()) - series(before)) / luns;
        // read and write x (count, sum, max) + other (count, sum) + 2 byte counters + the LUN's ALUA state gauge
        assertThat(perLun).isEqualTo(11);
        // every gateway also reports each disk's owner (rbdgw_lun_owner, one per disk: a disk per LUN here)
        // and about 240 gateway-wide series
        assertThat(2 * (4096 * (perLun + 1) + 240)).isLessThan(100_000);
        String text = metrics.scrape();
        assertThat(text)
                .contains("rbdgw_scsi_operation_latency_seconds_count{gateway=\"gw-a\",kind=\"compare_and_write\"} 64");
        assertThat(text).contains("rbdgw_scsi_operation_latency_seconds_count{gateway=\"gw-a\",kind=\"unmap\"} 64");
    }

    private static long series(String text) {
        return text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).count();
    }

    @Test
    void lunMetersCountOutcomesAndLeaveWithTheLun() {
        Reconciler.Observer o = metrics.reconcilerObserver();
        LogicalUnit lu = LogicalUnits.create(3, device);
        ClusterTargetPortGroups alua = new ClusterTargetPortGroups(2, 10);
        o.lunAdded(T, 3, "rbd/img", lu, alua);
        LunStats stats = lu.stats();
        assertThat(stats).isInstanceOf(LunMeters.class);

        stats.completed(0x28, ScsiStatus.GOOD, null, 4096, 1_000_000);
        stats.completed(0x2A, ScsiStatus.GOOD, null, 8192, 2_000_000);
        stats.completed(0x2A, ScsiStatus.BUSY, null, 0, 1_000);
        stats.completed(0x89, ScsiStatus.CHECK_CONDITION, SenseData.fixed(SenseData.MISCOMPARE, 0x1D, 0), 0, 1_000);
        stats.completed(0x89, ScsiStatus.CHECK_CONDITION, SenseData.fixed(SenseData.MISCOMPARE, 0x1D, 0), 0, 1_000);
        stats.completed(0x2A, ScsiStatus.RESERVATION_CONFLICT, null, 0, 1_000);
        stats.aborted(0x28);

        var r = metrics.registry();
        String[] lun = {"target", T, "lun", "3", "disk", "rbd/img"};
        assertThat(r.get("rbdgw.scsi.latency")
                        .tags(lun)
                        .tag("kind", "read")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(r.get("rbdgw.scsi.latency")
                        .tags(lun)
                        .tag("kind", "write")
                        .timer()
                        .count())
                .isEqualTo(5);
        assertThat(r.get("rbdgw.scsi.bytes")
                        .tags(lun)
                        .tag("kind", "write")
                        .counter()
                        .count())
                .isEqualTo(8192);
        assertThat(r.get("rbdgw.scsi.latency")
                        .tags(lun)
                        .tag("kind", "read")
                        .timer()
                        .totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(1.0);
        assertThat(r.get("rbdgw.scsi.errors")
                        .tags(lun)
                        .tags("outcome", "busy")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(r.get("rbdgw.scsi.errors")
                        .tags(lun)
                        .tags("outcome", "check_condition", "sense_key", "miscompare")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(r.get("rbdgw.scsi.errors")
                        .tags(lun)
                        .tags("outcome", "reservation_conflict")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(r.get("rbdgw.scsi.errors")
                        .tags(lun)
                        .tags("outcome", "aborted")
                        .counter()
                        .count())
                .isEqualTo(1);

        // this gateway's ALUA state of the LUN follows its port groups
        var state = r.get("rbdgw.lun.alua.state").tags(lun).gauge();
        assertThat(state.value()).isEqualTo(TargetPortGroups.ACTIVE_OPTIMIZED);
        alua.update(
                2,
                List.of(
                        new ClusterTargetPortGroups.Port(1, true, true),
                        new ClusterTargetPortGroups.Port(2, true, false)));
        assertThat(state.value()).isEqualTo(TargetPortGroups.ACTIVE_NON_OPTIMIZED);

        o.lunRemoved(T, 3, "rbd/img", lu);
        assertThat(r.find("rbdgw.scsi.latency").tags(lun).timers()).isEmpty();
        assertThat(r.find("rbdgw.lun.alua.state").tags(lun).gauges()).isEmpty();
    }

    @Test
    void ownersTransitionsAndFailoversAreRecorded() {
        Reconciler.Observer o = metrics.reconcilerObserver();
        var r = metrics.registry();
        o.aluaApplied(
                new AluaSnapshot(
                        Map.of(
                                "rbd/a",
                                new LunOwnership("rbd/a", "gw-a", 1, null),
                                "rbd/b",
                                new LunOwnership("rbd/b", "gw-b", 1, null)),
                        Set.of("gw-a", "gw-b"),
                        Set.of()),
                2,
                3_000_000);
        assertThat(r.get("rbdgw.lun.owner")
                        .tags("disk", "rbd/a", "owner", "gw-a")
                        .gauge()
                        .value())
                .isEqualTo(1);
        assertThat(r.get("rbdgw.lun.owner")
                        .tags("disk", "rbd/b", "owner", "gw-b")
                        .gauge()
                        .value())
                .isEqualTo(1);
        o.aluaApplied(
                new AluaSnapshot(
                        Map.of(
                                "rbd/a",
                                new LunOwnership("rbd/a", "gw-a", 1, null),
                                "rbd/b",
                                new LunOwnership("rbd/b", "gw-a", 2, null)),
                        Set.of("gw-a"),
                        Set.of()),
                1,
                1_000_000);
        assertThat(r.find("rbdgw.lun.owner")
                        .tags("disk", "rbd/b", "owner", "gw-b")
                        .gauges())
                .isEmpty();
        assertThat(r.get("rbdgw.lun.owner")
                        .tags("disk", "rbd/b", "owner", "gw-a")
                        .gauge()
                        .value())
                .isEqualTo(1);
        o.aluaApplied(new AluaSnapshot(Map.of(), Set.of("gw-a"), Set.of()), 0, 1_000);
        assertThat(r.find("rbdgw.lun.owner").gauges()).isEmpty();
        assertThat(r.get("rbdgw.alua.transitions").counter().count()).isEqualTo(3);
        assertThat(r.get("rbdgw.alua.apply").timer().count()).isEqualTo(2); // snapshots that changed something
        assertThat(r.get("rbdgw.alua.apply").timer().max(TimeUnit.MILLISECONDS)).isEqualTo(3.0);

        metrics.failoverListener()
                .moved(List.of(
                        new FailoverEvent(
                                "rbd/b",
                                "gw-b",
                                "gw-a",
                                FailoverEvent.Reason.GATEWAY_LOST,
                                2,
                                1000L,
                                1400L,
                                2500L,
                                1500L,
                                "gw-a"),
                        new FailoverEvent(
                                "rbd/c",
                                "gw-b",
                                "gw-a",
                                FailoverEvent.Reason.DRAINED,
                                3,
                                null,
                                null,
                                2600L,
                                null,
                                "gw-a")));
        assertThat(r.get("rbdgw.failover.moves")
                        .tag("reason", "gateway_lost")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(r.get("rbdgw.failover.moves")
                        .tag("reason", "drained")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(r.get("rbdgw.failover.duration").timer().totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(1500);
        assertThat(r.get("rbdgw.failover.fencing").timer().totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(400);

        metrics.zookeeperState(ConnectionState.CONNECTED);
        assertThat(r.get("rbdgw.zookeeper.connected").gauge().value()).isEqualTo(1);
        metrics.zookeeperState(ConnectionState.SUSPENDED);
        assertThat(r.get("rbdgw.zookeeper.connected").gauge().value()).isZero();
        assertThat(r.get("rbdgw.zookeeper.state.changes")
                        .tag("state", "suspended")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    /** A rolling upgrade (and a dashboard) tells the builds apart by this series. */
    @Test
    void theBuildVersionIsOneSeriesWithAVersionLabel() {
        metrics.buildInfo("0.2.0-rc1");
        assertThat(metrics.scrape())
                .containsPattern("(?m)^rbdgw_build_info\\{gateway=\"gw-a\",version=\"0\\.2\\.0-rc1\"} 1(\\.0)?$");
    }

    @Test
    void loginReasonsAreNamedAfterTheirStatus() {
        assertThat(GatewayMetrics.loginReason(2, 1)).isEqualTo("authentication_failure");
        assertThat(GatewayMetrics.loginReason(2, 3)).isEqualTo("not_found");
        assertThat(GatewayMetrics.loginReason(3, 0x7f)).isEqualTo("0x037f");
    }

    @Test
    void metricsServerServesTheTextFormatOnGetOnly() throws Exception {
        metrics.iscsiStats().pduRejected(0x04);
        try (MetricsServer s = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), metrics::scrape)) {
            String base = "http://127.0.0.1:" + s.address().getPort();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> ok = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("Content-Type")).contains(MetricsServer.CONTENT_TYPE);
            assertThat(ok.body()).contains("rbdgw_iscsi_pdu_rejects_total{gateway=\"gw-a\",reason=\"0x04\"} 1.0");
            assertThat(ok.body()).contains("# TYPE rbdgw_iscsi_pdu_rejects_total counter");
            HttpResponse<String> post = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/metrics"))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            HttpResponse<String> other = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(other.statusCode()).isEqualTo(404);
            assertThat(other.body()).contains("/metrics");
        }
    }
}
