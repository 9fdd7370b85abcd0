package io.rbdgw.scsi.pr;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

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
     * {@link #compareAndSet(PrState, PrState)} that also establishes {@code unitAttentions}: the caller raises
     * them on its own nexuses once the change is stored; a store shared by several gateways carries them to
     * the others, which raise them through {@link #onRemoteUnitAttention}'s sink.
     */
    default CompletionStage<Boolean> compareAndSet(
            PrState expected, PrState next, List<PrUnitAttention> unitAttentions) {
        return compareAndSet(expected, next);
    }

    /**
     * Where unit attentions that other gateways established go (a shared store only). The sink's stage completes
     * once the unit attention is raised and, for PREEMPT AND ABORT, the covered nexuses' tasks left the backend: a
     * shared store reports a version applied only after that.
     */
    default void onRemoteUnitAttention(Function<PrUnitAttention, CompletionStage<Void>> sink) {}

    /**
     * The latest state, read again from the shared store if there is one (PERSISTENT RESERVE IN). Completes
     * exceptionally when the store cannot be reached.
     */
    default CompletionStage<PrState> fresh() {
        return CompletableFuture.completedFuture(current());
    }

    /**
     * Completes with the state once it is newer than {@code seen}, or after {@code millis} with the current one.
     * A shared store's changes by other gateways (or this one's background changes, such as the release of an
     * SPC-2 reservation when its nexus ends) arrive a few milliseconds after the host saw their cause; a single
     * gateway's store has no such delay and completes at once.
     */
    default CompletionStage<PrState> awaitChange(PrState seen, long millis) {
        return CompletableFuture.completedFuture(current());
    }

    /**
     * Whether {@link #current()} is known to be current. False while a shared store is unreachable: its last
     * state may have been changed by another gateway meanwhile.
     */
    default boolean isCurrent() {
        return true;
    }

    /**
     * Whether the state survives a power loss of the whole cluster (SPC-4 PTPL_C): a store that does
     * not must reject APTPL=1.
     */
    default boolean persistsThroughPowerLoss() {
        return false;
    }
}
