package io.rbdgw.config.membership;

import static org.assertj.core.api.Assertions.assertThat;

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
}
