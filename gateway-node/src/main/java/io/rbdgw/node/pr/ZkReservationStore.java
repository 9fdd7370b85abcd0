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
import java.util.function.Consumer;

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
    private volatile Consumer<PrUnitAttention> sink = ua -> {};
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

    /** A version of the document: applied if newer than the one applied; raises the new unit attentions of others. */
    synchronized void apply(Versioned v) {
        if (!v.newerThan(applied.document())) {
            return;
        }
        applied = new Applied(PrMapping.state(v.document()), v);
        for (PendingUnitAttention ua : v.document().unitAttentions()) {
            if (ua.sequence() > uaSeen && !origin.equals(ua.origin())) {
                sink.accept(PrMapping.unitAttention(ua));
            }
        }
        uaSeen = Math.max(uaSeen, v.document().uaSequence());
        PrState now = applied.state();
        changeWaiters.forEach(w -> w.complete(now));
        changeWaiters.clear();
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
    public void onRemoteUnitAttention(Consumer<PrUnitAttention> sink) {
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
