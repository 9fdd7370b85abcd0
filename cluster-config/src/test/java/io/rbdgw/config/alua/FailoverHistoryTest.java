package io.rbdgw.config.alua;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.config.store.Documents;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailoverHistoryTest {

    private static FailoverEvent event(int i) {
        return new FailoverEvent(
                "rbd/d" + i, "a", "b", FailoverEvent.Reason.GATEWAY_LOST, i, 1000L, 1500L, 2000L + i, 1000L + i, "b");
    }

    @Test
    void keepsTheNewestUpToTheLimitInOrder() {
        FailoverHistory h = FailoverHistory.EMPTY;
        for (int i = 0; i < 7; i++) {
            h = h.append(List.of(event(2 * i), event(2 * i + 1)), 5);
        }
        assertThat(h.events())
                .extracting(FailoverEvent::disk)
                .containsExactly("rbd/d9", "rbd/d10", "rbd/d11", "rbd/d12", "rbd/d13");
    }

    @Test
    void roundTripsThroughTheDocumentEncoding() {
        List<FailoverEvent> events = new ArrayList<>();
        events.add(event(1));
        events.add(new FailoverEvent("rbd/x", null, "a", FailoverEvent.Reason.ASSIGNED, 1, null, null, 5L, null, "a"));
        FailoverHistory h = new FailoverHistory(events);
        Documents docs = new Documents();
        assertThat(docs.read("/failovers", docs.write(h), FailoverHistory.class).value())
                .isEqualTo(h);
    }
}
