package io.rbdgw.config.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.store.Documents;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayStatusTest {

    private static List<GatewayStatus.Session> sessions(int n) {
        List<GatewayStatus.Session> out = new ArrayList<>();
        // the longest names an initiator may send (223 bytes) and an IPv6 connection string
        String longName = "iqn.2026-11.test:" + "x".repeat(223 - 17 - 5);
        for (int i = 0; i < n; i++) {
            out.add(new GatewayStatus.Session(
                    "iqn.2026-11.io.rbdgw:" + "t".repeat(150),
                    longName + String.format("%05d", i),
                    String.format("%012x", i),
                    i & 0xffff,
                    List.of("[fd00:1234:5678:9abc::1]:3260 <- [fd00:1234:5678:9abc::2]:" + (40000 + i % 20000)),
                    1_700_000_000_000L + i));
        }
        return out;
    }

    @Test
    void theDocumentStaysSmallWhateverTheNumberOfSessions() {
        Documents docs = new Documents();
        int small = docs.write(new GatewayStatus("gw1", 7, GatewayStatus.Health.OK, null, 1, sessions(256), List.of()))
                .length;
        for (int n : new int[] {257, 3_200, 20_000}) {
            GatewayStatus s = new GatewayStatus("gw1", 7, GatewayStatus.Health.OK, null, 1, sessions(n), List.of());
            assertThat(s.sessions()).hasSize(GatewayStatus.MAX_LISTED_SESSIONS);
            assertThat(s.sessionCount()).isEqualTo(n);
            assertThat(s.sessionsTruncated()).isTrue();
            byte[] json = docs.write(s);
            assertThat(json.length)
                    .as("%d sessions", n)
                    .isLessThanOrEqualTo(small + 64)
                    .isLessThan(256 << 10);
            GatewayStatus back =
                    docs.read("/status/gw1", json, GatewayStatus.class).value();
            assertThat(back.sessionCount()).isEqualTo(n);
            assertThat(back.sessions()).hasSize(GatewayStatus.MAX_LISTED_SESSIONS);
        }
    }

    @Test
    void aStatusWithoutACountCountsWhatItLists() {
        Documents docs = new Documents();
        GatewayStatus few = new GatewayStatus("gw1", 7, GatewayStatus.Health.OK, null, 1, sessions(3), List.of());
        assertThat(few.sessionCount()).isEqualTo(3);
        assertThat(few.sessionsTruncated()).isFalse();
        // what a gateway without the count wrote
        String old = new String(docs.write(few), java.nio.charset.StandardCharsets.UTF_8)
                .replace("\"sessionCount\":3", "\"x\":0");
        assertThat(old).doesNotContain("sessionCount");
        GatewayStatus back = docs.read(
                        "/status/gw1", old.getBytes(java.nio.charset.StandardCharsets.UTF_8), GatewayStatus.class)
                .value();
        assertThat(back.sessionCount()).isEqualTo(3);
    }

    private static List<LunOwnership> owners(int n) {
        List<LunOwnership> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new LunOwnership(String.format("scale/t%05d", i), "gw-" + i % 8, 1 + i % 3, "10.0.0." + i % 8));
        }
        return out;
    }

    @Test
    void theDocumentStaysSmallWhateverTheNumberOfDisks() {
        Documents docs = new Documents();
        int small = 0;
        for (int n : new int[] {1, 4_096, 40_000}) {
            GatewayStatus s = new GatewayStatus(
                    "gw-1",
                    7,
                    GatewayStatus.Health.OK,
                    null,
                    1,
                    List.of(),
                    GatewayStatus.AluaSummary.of(owners(n), "gw-1", 1_700_000_000_000L));
            byte[] json = docs.write(s);
            if (small == 0) {
                small = json.length;
            }
            assertThat(json.length)
                    .as("%d disks", n)
                    .isLessThanOrEqualTo(small + 8)
                    .isLessThan(1024);
            GatewayStatus back =
                    docs.read("/status/gw-1", json, GatewayStatus.class).value();
            assertThat(back.aluaSummary()).isEqualTo(s.aluaSummary());
            assertThat(back.aluaSummary().disks()).isEqualTo(n);
            assertThat(back.aluaSummary().owned()).isEqualTo(n / 8 + (n % 8 > 1 ? 1 : 0));
        }
    }

    @Test
    void theOwnershipVersionIgnoresOrderAndAddressesAndFollowsEveryOwnerAndEpoch() {
        List<LunOwnership> o = owners(100);
        List<LunOwnership> reversed = new ArrayList<>(o);
        java.util.Collections.reverse(reversed);
        List<LunOwnership> readdressed = new ArrayList<>();
        o.forEach(x -> readdressed.add(new LunOwnership(x.disk(), x.owner(), x.epoch(), null)));
        String v = GatewayStatus.AluaSummary.version(o);
        assertThat(GatewayStatus.AluaSummary.version(reversed)).isEqualTo(v);
        assertThat(GatewayStatus.AluaSummary.version(readdressed)).isEqualTo(v);

        List<LunOwnership> moved = new ArrayList<>(o);
        LunOwnership x = moved.get(42);
        moved.set(42, new LunOwnership(x.disk(), "gw-other", x.epoch() + 1, null));
        assertThat(GatewayStatus.AluaSummary.version(moved)).isNotEqualTo(v);
        assertThat(GatewayStatus.AluaSummary.version(o.subList(0, 99))).isNotEqualTo(v);
    }

    /** GatewayStatus as gateways before the summary wrote and read it. */
    record OlderStatus(
            String name,
            long appliedEpoch,
            GatewayStatus.Health health,
            String detail,
            long updatedAtMillis,
            List<GatewayStatus.Session> sessions,
            List<GatewayStatus.AluaApplied> alua,
            int sessionCount) {}

    @Test
    void olderAndNewerGatewaysReadEachOthersStatusDuringARollingUpgrade() {
        Documents docs = new Documents();
        GatewayStatus.AluaSummary summary = GatewayStatus.AluaSummary.of(owners(16), "gw-1", 5);
        byte[] written =
                docs.write(new GatewayStatus("gw-1", 7, GatewayStatus.Health.OK, null, 1, sessions(2), summary));

        // an older reader (admin API or bench) of the new document: no error, no per-disk list
        OlderStatus older =
                docs.read("/status/gw-1", written, OlderStatus.class).value();
        assertThat(older.appliedEpoch()).isEqualTo(7);
        assertThat(older.sessions()).hasSize(2);
        assertThat(older.alua()).isNullOrEmpty();

        // a newer reader of an older gateway's document: its list, no summary
        byte[] old = docs.write(new OlderStatus(
                "gw-0",
                9,
                GatewayStatus.Health.OK,
                null,
                1,
                List.of(),
                List.of(new GatewayStatus.AluaApplied("scale/t00001", "gw-0", 3, 4)),
                0));
        GatewayStatus back = docs.read("/status/gw-0", old, GatewayStatus.class).value();
        assertThat(back.aluaSummary()).isNull();
        assertThat(back.alua()).containsExactly(new GatewayStatus.AluaApplied("scale/t00001", "gw-0", 3, 4));
    }
}
