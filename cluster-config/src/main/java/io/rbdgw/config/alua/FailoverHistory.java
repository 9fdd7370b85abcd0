package io.rbdgw.config.alua;

import java.util.ArrayList;
import java.util.List;

/**
 * The document at {@code failovers}: the last {@link #LIMIT} ownership moves, oldest first. Written by the
 * coordinator in the same transaction as the moves themselves, so it never records a move that did not happen.
 */
public record FailoverHistory(List<FailoverEvent> events) {
    public static final int LIMIT = 100;
    public static final FailoverHistory EMPTY = new FailoverHistory(List.of());

    public FailoverHistory {
        events = events == null ? List.of() : List.copyOf(events);
    }

    /** This history with {@code more} appended, the oldest dropped beyond {@code limit}. */
    public FailoverHistory append(List<FailoverEvent> more, int limit) {
        List<FailoverEvent> all = new ArrayList<>(events);
        all.addAll(more);
        int drop = Math.max(0, all.size() - limit);
        return new FailoverHistory(all.subList(drop, all.size()));
    }
}
