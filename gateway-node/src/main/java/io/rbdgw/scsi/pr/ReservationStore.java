package io.rbdgw.scsi.pr;

import java.util.concurrent.CompletionStage;

/**
 * Where the persistent-reservation state of one logical unit lives. A single gateway keeps it in
 * memory; a cluster keeps it in a versioned store (ZooKeeper) and caches the last version it saw.
 */
public interface ReservationStore {

    /**
     * The latest known state. Called on the I/O path: must be a cheap, non-blocking read of a cached
     * snapshot (a volatile field).
     */
    PrState current();

    /**
     * Replaces {@code expected} (an object returned by {@link #current()}) by {@code next} if nothing
     * changed the state in between. Completes with false when another change won the race; the caller
     * then re-reads {@link #current()} and recomputes. Completes exceptionally when the store cannot be
     * reached.
     */
    CompletionStage<Boolean> compareAndSet(PrState expected, PrState next);

    /**
     * Whether the state survives a power loss of the whole cluster (SPC-4 PTPL_C): a store that does
     * not must reject APTPL=1.
     */
    default boolean persistsThroughPowerLoss() {
        return false;
    }
}
