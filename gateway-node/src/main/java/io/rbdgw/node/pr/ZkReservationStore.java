package io.rbdgw.node.pr;

import io.rbdgw.config.pr.PendingUnitAttention;
import io.rbdgw.config.pr.PrDocuments.Versioned;
import io.rbdgw.scsi.pr.PrState;
import io.rbdgw.scsi.pr.PrUnitAttention;
import io.rbdgw.scsi.pr.ReservationStore;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * One logical unit's view of its disk's reservation document in ZooKeeper. The I/O path reads
 * {@link #current()}, an immutable state swapped when a newer version arrives; changes go through
 * {@link ClusterReservations}' executor as one compare-and-set each and complete only once every other gateway
 * serving the disk applied them (or was fenced).
 */
final class ZkReservationStore implements ReservationStore {

    private record Applied(PrState state, Versioned document) {}

    private final ClusterReservations cluster;
    private final String disk;
    /** Marks the unit attentions this store wrote: it raised them itself. */
    private final String origin = UUID.randomUUID().toString();

    private volatile Applied applied;
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private volatile Function<PrUnitAttention, CompletionStage<Void>> sink = ua -> DONE;
    private long uaSeen; // guarded by this
    private final List<CompletableFuture<PrState>> changeWaiters = new ArrayList<>(); // guarded by this

    ZkReservationStore(ClusterReservations cluster, String disk, Versioned initial) {
        this.cluster = cluster;
        this.disk = disk;
        this.applied = new Applied(PrMapping.state(initial.document()), initial);
        this.uaSeen = initial.document().uaSequence();
    }

    String disk() {
        return disk;
    }

    int version() {
        return applied.document().version();
    }

    /**
     * A version of the document: applied if newer than the one applied; raises the new unit attentions of others
     * and aborts the tasks a PREEMPT AND ABORT through another logical unit named. Completes once those tasks left
     * the backend (at once when there are none): only then may the version be acknowledged.
     */
    synchronized CompletableFuture<Void> apply(Versioned v) {
        if (!v.newerThan(applied.document())) {
            return DONE;
        }
        applied = new Applied(PrMapping.state(v.document()), v);
        List<CompletableFuture<Void>> aborts = null;
        for (PendingUnitAttention ua : v.document().unitAttentions()) {
            if (ua.sequence() > uaSeen && !origin.equals(ua.origin())) {
                CompletableFuture<Void> gone =
                        sink.apply(PrMapping.unitAttention(ua)).toCompletableFuture();
                if (!gone.isDone()) {
                    if (aborts == null) {
                        aborts = new ArrayList<>();
                    }
                    aborts.add(gone);
                }
            }
        }
        uaSeen = Math.max(uaSeen, v.document().uaSequence());
        PrState now = applied.state();
        changeWaiters.forEach(w -> w.complete(now));
        changeWaiters.clear();
        return aborts == null ? DONE : CompletableFuture.allOf(aborts.toArray(CompletableFuture[]::new));
    }

    @Override
    public CompletionStage<PrState> awaitChange(PrState seen, long millis) {
        CompletableFuture<PrState> f = new CompletableFuture<>();
        synchronized (this) {
            if (applied.state() != seen) {
                return CompletableFuture.completedFuture(applied.state());
            }
            changeWaiters.add(f);
        }
        cluster.after(millis, () -> {
            synchronized (this) {
                changeWaiters.remove(f);
            }
            f.complete(current());
        });
        return f;
    }

    @Override
    public PrState current() {
        return applied.state();
    }

    @Override
    public CompletionStage<Boolean> compareAndSet(PrState expected, PrState next) {
        return compareAndSet(expected, next, List.of());
    }

    @Override
    public CompletionStage<Boolean> compareAndSet(
            PrState expected, PrState next, List<PrUnitAttention> unitAttentions) {
        Applied base = applied;
        if (base.state() != expected) {
            return CompletableFuture.completedFuture(false);
        }
        return cluster.write(
                disk, base.document(), PrMapping.document(base.document().document(), next, origin, unitAttentions));
    }

    @Override
    public void onRemoteUnitAttention(Function<PrUnitAttention, CompletionStage<Void>> sink) {
        this.sink = sink;
    }

    @Override
    public CompletionStage<PrState> fresh() {
        return cluster.refresh(disk).thenApply(v -> current());
    }

    @Override
    public boolean isCurrent() {
        return cluster.isCurrent();
    }

    @Override
    public boolean persistsThroughPowerLoss() {
        return true; // the document outlives every gateway (APTPL=1 is honoured)
    }
}
