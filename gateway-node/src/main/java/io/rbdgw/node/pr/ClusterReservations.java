package io.rbdgw.node.pr;

import io.rbdgw.config.pr.PrDocument;
import io.rbdgw.config.pr.PrDocuments;
import io.rbdgw.config.pr.PrDocuments.Versioned;
import io.rbdgw.config.pr.PrNexus;
import io.rbdgw.config.pr.PrRegistration;
import io.rbdgw.config.pr.PrReservation;
import io.rbdgw.config.pr.PrWatcher;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.scsi.pr.PrType;
import io.rbdgw.scsi.pr.ReservationStore;
import java.io.Closeable;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This gateway's side of the cluster-wide SCSI reservations (docs/ha.md, "Reservations"): one
 * {@link PrDocument} per disk in ZooKeeper, shared by every gateway exporting it.
 *
 * <ul>
 *   <li>Every logical unit of a disk gets a {@link ZkReservationStore} ({@link #open}); the watcher's snapshots
 *       are applied to all of them, then this gateway acknowledges the version it applied
 *       ({@code reservations-applied/<disk>/<gateway>}, ephemeral).</li>
 *   <li>A change (PERSISTENT RESERVE OUT, RESERVE/RELEASE) is one compare-and-set on a dedicated executor, never
 *       on an event loop. It completes once every other gateway that serves the disk acknowledged the new version;
 *       one that does not within {@code ackTimeout} is fenced (RADOS blocklist and fence record, as ALUA and the
 *       write tokens do) first, and when it cannot be fenced the command ends BUSY instead of GOOD.</li>
 *   <li>While ZooKeeper is SUSPENDED or LOST the state is not current: logical units with reservation state answer
 *       BUSY (RESERVATION CONFLICT when the last known state forbids the command anyway) until every document has
 *       been read again.</li>
 * </ul>
 */
public final class ClusterReservations implements PrWatcher.Listener, Closeable {
    private static final Logger log = LoggerFactory.getLogger(ClusterReservations.class);

    /** How long a change waits for the other gateways before fencing the late ones ({@code --pr-ack-timeout}). */
    public static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(2);

    /**
     * Bounds of the ack timeout: below 100 ms a healthy gateway's ZooKeeper round trip under load would get it
     * fenced; above 60 s a host's PERSISTENT RESERVE OUT times out long before (Windows waits about 10-20 s).
     */
    public static final long MIN_ACK_TIMEOUT_MILLIS = 100;

    public static final long MAX_ACK_TIMEOUT_MILLIS = 60_000;

    /** {@code millis} as an ack timeout; refused with a message naming {@code option} when out of bounds. */
    public static Duration ackTimeout(long millis, String option) {
        if (millis < MIN_ACK_TIMEOUT_MILLIS || millis > MAX_ACK_TIMEOUT_MILLIS) {
            throw new IllegalArgumentException(option + " " + millis + " is out of range " + MIN_ACK_TIMEOUT_MILLIS
                    + "-" + MAX_ACK_TIMEOUT_MILLIS + " (milliseconds)");
        }
        return Duration.ofMillis(millis);
    }

    /** Fences a gateway that did not acknowledge a reservation change (blocks; throws when it cannot). */
    @FunctionalInterface
    public interface GatewayFencer {
        void fence(String gateway) throws Exception;
    }

    private final String self;
    private final PrWatcher watcher;
    private final PrDocuments docs;
    private final Duration ackTimeout;
    private final GatewayFencer fencer;
    private final ScheduledExecutorService executor;
    private final ExecutorService acker;
    private final Map<String, List<WeakReference<ZkReservationStore>>> stores = new ConcurrentHashMap<>();
    /** Disks opened since this process started (the first open cleans up after the previous process). */
    private final Set<String> opened = ConcurrentHashMap.newKeySet();
    /** disk -> highest version to acknowledge. */
    private final Map<String, Integer> toAcknowledge = new ConcurrentHashMap<>();
    /**
     * disk -> completes once the tasks aborted by every version applied so far (PREEMPT AND ABORT) left the backend:
     * a version is acknowledged only after that, its own aborts and every earlier version's.
     */
    private final Map<String, CompletableFuture<Void>> aborted = new ConcurrentHashMap<>();

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    public ClusterReservations(
            CuratorFramework client, ZkLayout layout, String self, Duration ackTimeout, GatewayFencer fencer) {
        this.self = self;
        ackTimeout(ackTimeout.toMillis(), "ack timeout");
        this.watcher = new PrWatcher(client, layout);
        this.docs = watcher.documents();
        this.ackTimeout = ackTimeout;
        this.fencer = fencer;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "pr-store-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pr-ack");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        watcher.addListener(this);
        watcher.start();
    }

    boolean isCurrent() {
        return watcher.isCurrent();
    }

    /**
     * The reservation store of one logical unit exporting {@code disk} through target port group
     * {@code targetPortGroup} of this gateway. Reads the current document first (blocking: the reconciler's
     * thread). The first open of a disk in this process releases the SPC-2 reservation of a nexus of this
     * gateway's previous process and, when no other gateway serves the disk (the whole cluster was down: a power
     * loss in SPC-4's terms), drops the registrations made with APTPL=0.
     */
    public ReservationStore open(String disk, int targetPortGroup) throws Exception {
        Versioned v = watcher.refresh(disk);
        if (opened.add(disk)) {
            v = cleanUpAfterStart(disk, targetPortGroup, v);
        }
        ZkReservationStore store = new ZkReservationStore(this, disk, v);
        stores.computeIfAbsent(disk, k -> new CopyOnWriteArrayList<>()).add(new WeakReference<>(store));
        Versioned latest = watcher.latest(disk);
        if (latest != null) {
            store.apply(latest); // a version delivered between the read and the registration
        }
        docs.acknowledge(disk, self, store.version());
        return store;
    }

    private Versioned cleanUpAfterStart(String disk, int targetPortGroup, Versioned v) throws Exception {
        List<String> others = new ArrayList<>(docs.acknowledgers(disk));
        others.remove(self);
        boolean powerLoss = others.isEmpty();
        String myPort = String.format(",t,0x%04x", targetPortGroup);
        Versioned written = docs.update(disk, d -> afterStart(d, myPort, powerLoss), 16);
        if (written.version() != v.version()) {
            log.info(
                    "disk {}: reservation state after this gateway's start{}: {} registrations, reservation {}, "
                            + "SPC-2 holder {}, SWP {}",
                    disk,
                    powerLoss
                            ? " (no other gateway serves it: APTPL=0 registrations released, SPC-4 5.14.5, SWP cleared)"
                            : "",
                    written.document().registrations().size(),
                    written.document().reservation(),
                    written.document().spc2Holder(),
                    written.document().softwareWriteProtect() ? 1 : 0);
            watcher.offer(disk, written);
            return watcher.latest(disk);
        }
        return v;
    }

    /**
     * The state once this gateway's previous nexuses are gone and, on a cluster power loss, the APTPL=0 ones and
     * SWP (mode parameters are not saved: after a power on they are the defaults, SPC-4 7.5.1).
     */
    static PrDocument afterStart(PrDocument d, String myPortSuffix, boolean powerLoss) {
        PrNexus spc2 = d.spc2Holder();
        if (spc2 != null && spc2.targetPort().endsWith(myPortSuffix)) {
            spc2 = null; // its nexus ended with this gateway's previous process
        }
        List<PrRegistration> regs = d.registrations();
        PrReservation res = d.reservation();
        if (powerLoss && regs.stream().anyMatch(r -> !r.aptpl())) {
            regs = regs.stream().filter(PrRegistration::aptpl).toList();
            if (res != null) {
                PrType type = PrType.fromCode(res.type());
                PrNexus holder = res.holder();
                boolean kept = type != null && type.allRegistrants()
                        ? !regs.isEmpty()
                        : regs.stream().anyMatch(r -> r.nexus().equals(holder));
                if (!kept) {
                    res = null;
                }
            }
        }
        boolean swp = d.softwareWriteProtect() && !powerLoss;
        if (spc2 == d.spc2Holder() && regs == d.registrations() && swp == d.softwareWriteProtect()) {
            return d;
        }
        int generation = regs == d.registrations() ? d.generation() : d.generation() + 1;
        return d.next(generation, regs, res, spc2, swp, "start", List.of());
    }

    /** One compare-and-set from {@code base}; completes true once applied everywhere, false when another change won. */
    CompletableFuture<Boolean> write(String disk, Versioned base, PrDocument next) {
        record Stored(int version, Set<String> others, CompletableFuture<Void> localAborts) {}
        CompletableFuture<Stored> stored;
        try {
            stored = CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            int v = docs.compareAndSet(disk, base.version(), next);
                            if (v == Versioned.ABSENT) {
                                watcher.refresh(disk); // the caller recomputes on the newer state
                                return null;
                            }
                            watcher.offer(disk, new Versioned(next, v));
                            // this gateway's other logical units of the disk abort their tasks too (the writer's own
                            // unit does so itself once this completes)
                            CompletableFuture<Void> local = aborted.getOrDefault(disk, DONE);
                            // read after the write: a gateway that starts serving later reads this version or a newer
                            // one
                            Set<String> others = new HashSet<>(docs.acknowledgers(disk));
                            others.remove(self);
                            return new Stored(v, others, local);
                        } catch (Exception e) {
                            throw new CompletionException(e);
                        }
                    },
                    executor);
        } catch (RejectedExecutionException closing) {
            return CompletableFuture.failedFuture(closing);
        }
        return stored.thenCompose(s -> s == null
                ? CompletableFuture.completedFuture(false)
                : watcher.awaitAcknowledged(disk, s.version(), s.others(), ackTimeout)
                        .thenCombine(s.localAborts(), (late, x) -> late)
                        .thenApplyAsync(late -> fenceLate(disk, s.version(), late), executor));
    }

    private boolean fenceLate(String disk, int version, Set<String> late) {
        for (String g : late) {
            log.warn(
                    "gateway {} did not apply reservation version {} of disk {} within {} ms: fencing it before the "
                            + "change is reported done",
                    g,
                    version,
                    disk,
                    ackTimeout.toMillis());
            try {
                fencer.fence(g);
                docs.withdraw(disk, g); // fenced: later changes do not wait for it (it acknowledges again once back)
            } catch (Exception e) {
                log.error(
                        "cannot fence gateway {} ({}): the reservation change of disk {} ends BUSY; the host retries",
                        g,
                        e.toString(),
                        disk);
                throw new CompletionException(e);
            }
        }
        return true;
    }

    /** Runs {@code r} on the executor after {@code millis} (at once when closing). */
    void after(long millis, Runnable r) {
        try {
            executor.schedule(r, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            r.run();
        }
    }

    /** Reads the disk's document again after a sync and applies it (PERSISTENT RESERVE IN). */
    CompletableFuture<Versioned> refresh(String disk) {
        try {
            return CompletableFuture.supplyAsync(
                    () -> {
                        try {
                            return watcher.refresh(disk);
                        } catch (Exception e) {
                            throw new CompletionException(e);
                        }
                    },
                    executor);
        } catch (RejectedExecutionException closing) {
            return CompletableFuture.failedFuture(closing);
        }
    }

    @Override
    public void changed(String disk, Versioned document) {
        List<WeakReference<ZkReservationStore>> list = stores.get(disk);
        if (list == null) {
            return;
        }
        List<CompletableFuture<Void>> aborts = new ArrayList<>(0);
        for (WeakReference<ZkReservationStore> ref : list) {
            ZkReservationStore s = ref.get();
            if (s == null) {
                list.remove(ref); // its logical unit is gone
            } else {
                CompletableFuture<Void> gone = s.apply(document);
                if (!gone.isDone()) {
                    aborts.add(gone);
                }
            }
        }
        // acknowledged as long as this process lives, even after its last LUN of the disk went: an unanswered
        // acknowledgement would get this gateway fenced by the next change through another one. A PREEMPT AND
        // ABORT's version only once the aborted tasks left the backend: the writer answers GOOD after every ack.
        CompletableFuture<Void> settled = aborted.compute(disk, (k, before) -> {
            boolean earlierDone = before == null || before.isDone();
            if (aborts.isEmpty()) {
                return earlierDone ? DONE : before;
            }
            if (!earlierDone) {
                aborts.add(before);
            }
            return CompletableFuture.allOf(aborts.toArray(CompletableFuture[]::new));
        });
        if (settled.isDone()) {
            acknowledge(disk, document.version());
        } else {
            log.info(
                    "disk {}: reservation version {} aborts tasks (PREEMPT AND ABORT); acknowledged once they left the "
                            + "backend",
                    disk,
                    document.version());
            settled.whenComplete((x, e) -> acknowledge(disk, document.version()));
        }
    }

    @Override
    public void current(boolean current) {
        if (current) {
            // a new session dropped the ephemeral acknowledgements: write them again
            for (String disk : new HashSet<>(stores.keySet())) {
                Versioned v = watcher.latest(disk);
                if (v != null) {
                    toAcknowledge.remove(disk);
                    aborted.getOrDefault(disk, DONE).whenComplete((x, e) -> acknowledge(disk, v.version()));
                }
            }
        }
    }

    private void acknowledge(String disk, int version) {
        toAcknowledge.merge(disk, version, Math::max);
        try {
            acker.execute(() -> {
                Integer v = toAcknowledge.remove(disk);
                if (v == null) {
                    return; // acknowledged by an earlier task
                }
                try {
                    docs.acknowledge(disk, self, v);
                } catch (Exception e) {
                    log.info(
                            "cannot acknowledge reservation version {} of {} yet ({}); again once ZooKeeper is back",
                            v,
                            disk,
                            e.toString());
                }
            });
        } catch (RejectedExecutionException closing) {
            // closing
        }
    }

    @Override
    public void close() {
        watcher.close();
        executor.shutdownNow();
        acker.shutdownNow();
    }
}
