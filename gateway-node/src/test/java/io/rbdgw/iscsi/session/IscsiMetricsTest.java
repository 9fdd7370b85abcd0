package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.Unpooled;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.node.LogicalUnits;
import io.rbdgw.node.metrics.GatewayMetrics;
import io.rbdgw.node.metrics.LunMeters;
import io.rbdgw.node.metrics.OperationLatency;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiTarget;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The data path's metrics through a real portal: what a host does shows up in the meters of its LUN. */
class IscsiMetricsTest {
    static final String TARGET = IscsiSessionTest.TARGET;

    GatewayMetrics metrics;
    MeterRegistry registry;
    IscsiServer server;
    InetSocketAddress address;
    MemoryBlockDevice device;
    LunMeters lunMeters;
    SessionRegistry sessions = new SessionRegistry();

    @BeforeEach
    void start() throws Exception {
        metrics = new GatewayMetrics("gw-test");
        registry = metrics.registry();
        device = new MemoryBlockDevice(16L << 20, 512, "memory:metrics");
        ScsiTarget scsi = new ScsiTarget();
        LogicalUnit lu = LogicalUnits.create(0, device);
        lunMeters = new LunMeters(registry, new OperationLatency(registry), TARGET, 0, "mem/d0");
        lu.stats(lunMeters);
        scsi.addLun(lu);
        TargetRegistry targets = new TargetRegistry();
        targets.put(new TargetEntry(new LoginTarget(TARGET, null, 1, null, null, i -> !i.contains("denied")), scsi));
        server = new IscsiServer(targets, sessions, ConnectionSettings.defaults(), 1);
        server.stats(metrics.iscsiStats());
        metrics.bindSessions(sessions);
        address = server.bind(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        server.close();
        device.close();
        metrics.close();
    }

    /** Commands of a kind: the count of the LUN's latency timer. */
    private long commands(String[] tags) {
        var search = registry.find("rbdgw.scsi.latency").tags(tags);
        var t = search.timer(); // read and write; other is a function timer (count and sum, no max)
        var f = search.functionTimer();
        return t != null ? t.count() : f != null ? (long) f.count() : 0;
    }

    private double count(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void commandsBytesLatencyErrorsSessionsAndLoginFailuresAreCounted() throws Exception {
        try (TestInitiator c = new TestInitiator(address)) {
            c.login(TestInitiator.normalKeys(IscsiSessionTest.INITIATOR, TARGET));
            assertThat(registry.get("rbdgw.iscsi.sessions").gauge().value()).isEqualTo(1);
            assertThat(registry.get("rbdgw.iscsi.connections").gauge().value()).isEqualTo(1);
            IscsiSessionTest.clearPowerOnUa(c); // TEST UNIT READY with CHECK CONDITION / UNIT ATTENTION
            byte[] data = IscsiSessionTest.random(8192, 3);
            for (int i = 0; i < 3; i++) {
                c.send(c.command(
                        IscsiSessionTest.rw10(0x2A, 16L * i, 16),
                        false,
                        true,
                        data.length,
                        Unpooled.wrappedBuffer(data),
                        true));
                ScsiResponse w = c.expect(ScsiResponse.class, 5000);
                assertThat(w.status()).isZero();
                w.release();
            }
            assertThat(IscsiSessionTest.read(c, 0, 16, 262144)).isEqualTo(data);
            // a read beyond the end: CHECK CONDITION, ILLEGAL REQUEST
            c.send(c.command(IscsiSessionTest.rw10(0x28, (16L << 20) / 512, 1), true, false, 512, null, true));
            ScsiResponse bad = c.expect(ScsiResponse.class, 5000);
            assertThat(bad.status()).isEqualTo(2);
            bad.release();

            String[] lun = {"target", TARGET, "lun", "0", "disk", "mem/d0"};
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() ->
                            assertThat(commands(tagsAnd(lun, "kind", "write"))).isEqualTo(3));
            assertThat(commands(tagsAnd(lun, "kind", "read"))).isEqualTo(2);
            assertThat(commands(tagsAnd(lun, "kind", "other"))).isEqualTo(1);
            assertThat(count("rbdgw.scsi.bytes", tagsAnd(lun, "kind", "write"))).isEqualTo(3 * 8192);
            assertThat(count("rbdgw.scsi.bytes", tagsAnd(lun, "kind", "read"))).isEqualTo(8192);
            var writes = registry.get("rbdgw.scsi.latency")
                    .tags(tagsAnd(lun, "kind", "write"))
                    .timer();
            assertThat(writes.count()).isEqualTo(3);
            assertThat(writes.totalTime(TimeUnit.NANOSECONDS)).isPositive();
            assertThat(count(
                            "rbdgw.scsi.errors",
                            tagsAnd(lun, "outcome", "check_condition", "sense_key", "unit_attention")))
                    .isEqualTo(1);
            assertThat(count(
                            "rbdgw.scsi.errors",
                            tagsAnd(lun, "outcome", "check_condition", "sense_key", "illegal_request")))
                    .isEqualTo(1);
        }
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(
                                registry.get("rbdgw.iscsi.connections").gauge().value())
                        .isZero());

        try (TestInitiator denied = new TestInitiator(address)) {
            denied.login(TestInitiator.normalKeys("iqn.2026-11.test:denied", TARGET));
            throw new IllegalStateException("login should have failed");
        } catch (AssertionError expected) {
            assertThat(expected.getMessage()).contains("login failed: 2/2");
        }
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(count("rbdgw.iscsi.login.failures", "reason", "authorization_failure"))
                        .isEqualTo(1));

        String text = metrics.scrape();
        assertThat(text)
                .contains(
                        "rbdgw_scsi_latency_seconds_count{disk=\"mem/d0\",gateway=\"gw-test\",kind=\"write\",lun=\"0\",target=\""
                                + TARGET + "\"} 3");
        // per LUN no histogram (cardinality); the gateway-wide one has the buckets, by operation kind
        assertThat(text).doesNotContain("rbdgw_scsi_latency_seconds_bucket{");
        assertThat(text)
                .contains(
                        "rbdgw_scsi_operation_latency_seconds_bucket{gateway=\"gw-test\",kind=\"write\",le=\"0.001\"}");
        assertThat(text).contains("rbdgw_scsi_operation_latency_seconds_count{gateway=\"gw-test\",kind=\"write\"} 3");
        long lunSeries = text.lines()
                .filter(l -> !l.startsWith("#") && l.contains("disk=\"mem/d0\"") && l.contains("rbdgw_scsi_"))
                .count();
        assertThat(lunSeries)
                .as("series of one LUN: read and write x count/sum/max, other count/sum, 2 bytes, 2 error counters that"
                        + " occurred")
                .isEqualTo(12);
        assertThat(text)
                .contains("rbdgw_scsi_latency_seconds_count{disk=\"mem/d0\",gateway=\"gw-test\",kind=\"other\"");
        assertThat(text)
                .contains("rbdgw_iscsi_login_failures_total{gateway=\"gw-test\",reason=\"authorization_failure\"} 1.0");
        assertThat(text).contains("jvm_memory_used_bytes");

        // the LUN goes: its meters go with it
        lunMeters.close();
        assertThat(registry.find("rbdgw.scsi.latency").tag("disk", "mem/d0").timers())
                .isEmpty();
        assertThat(registry.find("rbdgw.scsi.bytes").tag("disk", "mem/d0").counters())
                .isEmpty();
    }

    private static String[] tagsAnd(String[] base, String... more) {
        String[] out = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, out, base.length, more.length);
        return out;
    }
}
