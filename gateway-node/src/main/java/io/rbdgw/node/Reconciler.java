package io.rbdgw.node;

import io.rbdgw.config.alua.AluaSnapshot;
import io.rbdgw.config.alua.AluaWatcher;
import io.rbdgw.config.alua.WriteTokens;
import io.rbdgw.config.membership.GatewayStatus.Health;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.watch.ConfigWatcher;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.session.ConnectionSettings;
import io.rbdgw.iscsi.session.SessionRegistry;
import io.rbdgw.iscsi.session.TargetEntry;
import io.rbdgw.iscsi.session.TargetRegistry;
import io.rbdgw.scsi.ClusterTargetPortGroups;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiTarget;
import io.rbdgw.scsi.odx.RodTokenService;
import io.rbdgw.scsi.xcopy.CopyBuffers;
import java.io.Closeable;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converges this gateway's live targets, LUNs, ACLs and CHAP settings to each configuration snapshot,
 * without disturbing I/O to what did not change.
 *
 * <p>Snapshots arrive on the watcher's thread and are applied on the reconciler's own thread, latest
 * first: a snapshot that is overtaken before it is applied is skipped. This class schedules the passes and
 * reports their outcome; each pass diffs the snapshot against what is live into a {@link ReconcilePlan} (pure)
 * and {@link LiveExports} applies it. Per snapshot:
 * <ul>
 *   <li>targets that are gone leave the {@link TargetRegistry} (no new logins), their sessions are
 *       closed and their LUNs released;</li>
 *   <li>every target whose slice changed ({@link ReconcilePlan#slice}: the target, its LUNs, clients, host groups,
 *       their disks, the gateways, the settings) or that has LUNs to add or remove is (re)published; the others
 *       are left as they are (a change to one target of thousands costs one target). It is published with a
 *       {@link LoginTarget} built from its slice: the ACL is
 *       {@link ClusterConfig#isAllowed}, CHAP is {@link ClusterConfig#authenticationFor} (per client when
 *       the ACL is on), the portal group tag is this gateway's target port group (1 when the gateway is
 *       not declared). The {@link ScsiTarget} stays the same object, so live sessions keep running;</li>
 *   <li>per target: LUNs that are gone (or now export another disk) are removed, then the new
 *       {@link ConfigLunMasking} replaces the old one, then new LUNs are added. The {@link ScsiTarget}
 *       posts 3F/0E REPORTED LUNS DATA HAS CHANGED to every nexus whose LUN set changed;</li>
 *   <li>disks are opened once and shared by every LUN that exports them; a disk is closed when its last
 *       LUN is gone (after the target stopped routing to it: commands already in the device finish, later
 *       ones fail);</li>
 *   <li>discovery CHAP and the portals that SendTargets announces come from the snapshot.</li>
 * </ul>
 *
 * <p>A disk that cannot be opened (image missing, Ceph unreachable) does not hold up the rest: its LUNs
 * are left out, an operator-actionable line is logged, the status is {@link Health#DEGRADED} with the
 * reason, and the snapshot is re-applied every {@code retryInterval} until it succeeds (or a newer one
 * arrives). After every pass the applied epoch is reported through the {@link StatusReporter}.
 *
 * <p>An initiator removed from a target's ACL cannot log in again; its live sessions are not dropped but
 * see no LUN any more (the masking applies at once). A CHAP change applies to new logins only.
 *
 * <p>ALUA: every LUN reports one target port group per configured gateway ({@link ClusterTargetPortGroups}).
 * The states come from the latest {@link AluaSnapshot} ({@link #aluaChanged}): the disk's owner
 * Active/Optimized, other live gateways Active/Non-optimized, the others Unavailable. They are refreshed on
 * the reconciler's thread after every ALUA snapshot, and after a configuration pass when their inputs (the
 * gateways, this gateway's port group, the snapshot) changed (new LUNs get theirs when created); a LUN whose view changed
 * posts 2A/06 to its nexuses. Before the first ALUA snapshot a LUN reports this gateway alone, optimized.
 *
 * <p>While ZooKeeper is away no snapshot arrives and everything keeps running as last applied.
 */
public final class Reconciler implements ConfigWatcher.Listener, AluaWatcher.Listener, Closeable {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    public enum State {
        LATENT,
        STARTED,
        CLOSED
    }

    /** Where the result of each pass goes ({@code GatewayMembership::reportStatus} in a gateway). */
    @FunctionalInterface
    public interface StatusReporter {
        void report(long appliedEpoch, Health health, String detail);
    }

    /** What the reconciler last reported. */
    public record Status(long appliedEpoch, Health health, String detail) {}

    private final String gatewayName;
    private final TargetRegistry registry;
    private final StatusReporter reporter;
    private final Duration retryInterval;
    private final ScheduledExecutorService executor;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final AtomicReference<ClusterConfig> latest = new AtomicReference<>();
    private final AtomicBoolean passQueued = new AtomicBoolean();
    private final AtomicReference<AluaSnapshot> alua = new AtomicReference<>();
    private final AtomicBoolean aluaQueued = new AtomicBoolean();
    private final Object statusLock = new Object();
    private volatile Status status;
    private volatile long aluaReceivedNanos;
    private final TargetLogins logins;
    /** The live targets, LUNs and disks (reconciler thread only). */
    private final LiveExports exports;

    private final AtomicLong failedPasses = new AtomicLong();

    /**
     * Told what the reconciler exports and how ALUA changes are applied (metrics, status). Called on the
     * reconciler's thread; must not block.
     */
    public interface Observer {
        default void lunAdded(String target, int lun, String disk, LogicalUnit lu, ClusterTargetPortGroups alua) {}

        default void lunRemoved(String target, int lun, String disk, LogicalUnit lu) {}

        /**
         * An ALUA snapshot was applied.
         *
         * @param snapshot    what was applied
         * @param transitions LUNs whose reported states changed (each got 2A/06)
         * @param nanos       from the snapshot's arrival to its application
         */
        default void aluaApplied(AluaSnapshot snapshot, int transitions, long nanos) {}
    }

    /**
     * Gates the writes of every RBD disk on its write token from {@code tokens} (before {@link #start}); a write
     * waits at most {@code maxWait} for it, at most {@code maxWaiting} per disk at once.
     */
    public void writeTokens(WriteTokens tokens, int maxWaiting, Duration maxWait) {
        exports.writeTokens(tokens, maxWaiting, maxWait);
    }

    /** Offers ODX on every LUN, with tokens kept in {@code service} (before {@link #start}). */
    public void rodTokens(RodTokenService service) {
        exports.rodTokens(service);
    }

    /** The gateway's copy buffer budget, shared by every LUN (before {@link #start}). */
    public void copyBuffers(CopyBuffers buffers) {
        exports.copyBuffers(buffers);
    }

    /** Sets the observer (before {@link #start}). */
    public void observe(Observer o) {
        exports.observe(o);
    }

    // reconciler thread only
    private ScheduledFuture<?> retry;
    private ClusterConfig applied;
    /** The last ALUA snapshot the observer was told of. */
    private AluaSnapshot reportedAlua;

    /**
     * @param gatewayName   this gateway's name in the configuration's gateway list
     * @param registry      the targets the portals serve
     * @param sessions      live sessions (closed when their target goes)
     * @param opener        opens disks
     * @param reporter      told the applied epoch and health after every pass
     * @param retryInterval how soon a pass that could not open every disk is retried
     */
    public Reconciler(
            String gatewayName,
            TargetRegistry registry,
            SessionRegistry sessions,
            DiskOpener opener,
            StatusReporter reporter,
            Duration retryInterval) {
        this.gatewayName = gatewayName;
        this.registry = registry;
        this.logins = new TargetLogins(gatewayName);
        this.exports = new LiveExports(gatewayName, registry, sessions, opener, retryInterval, logins, alua::get);
        this.reporter = reporter;
        this.retryInterval = retryInterval;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "reconciler " + gatewayName);
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            throw new IllegalStateException("cannot start a reconciler that is " + state.get());
        }
        if (latest.get() != null) {
            queuePass();
        }
    }

    public State state() {
        return state.get();
    }

    /** Takes the snapshot to converge to; returns at once (the work happens on the reconciler's thread). */
    @Override
    public void configChanged(ClusterConfig snapshot) {
        ClusterConfig prev = latest.getAndAccumulate(
                snapshot, (old, next) -> old == null || next.epoch() >= old.epoch() ? next : old);
        if (prev == null || snapshot.epoch() >= prev.epoch()) {
            queuePass();
        }
    }

    /** Takes the latest disk ownership; returns at once (applied on the reconciler's thread). */
    @Override
    public void aluaChanged(AluaSnapshot snapshot) {
        alua.set(snapshot);
        aluaReceivedNanos = System.nanoTime();
        if (state.get() != State.STARTED || !aluaQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                aluaQueued.set(false);
                if (applied != null && state.get() == State.STARTED) {
                    long received = aluaReceivedNanos;
                    AluaSnapshot s = alua.get();
                    try {
                        int transitions = exports.applyAlua(applied);
                        reportedAlua = s;
                        exports.observer().aluaApplied(s, transitions, System.nanoTime() - received);
                        if (exports.recheckPending()) {
                            queuePass(); // a disk waiting for its owner to fix its image may have one now
                        }
                    } catch (Throwable e) {
                        // the next ALUA snapshot or configuration pass applies the states again
                        failed(
                                "applying ALUA ownership"
                                        + (s == null ? "" : " of " + s.owners().size() + " disks"),
                                e);
                    }
                }
            });
        } catch (RejectedExecutionException closing) {
            aluaQueued.set(false);
        }
    }

    /**
     * Closes the open disks that match {@code which} (their LUNs leave the targets, which post 3F/0E), runs
     * {@code between} (e.g. a new Ceph client after this gateway may have been fenced), then converges to the
     * latest configuration again, which opens them anew. Returns at once; the work runs on the reconciler's
     * thread.
     */
    public void reopen(Predicate<Disk> which, Runnable between) {
        if (state.get() != State.STARTED) {
            return;
        }
        try {
            executor.execute(() -> {
                if (state.get() != State.STARTED) {
                    return;
                }
                exports.closeDisks(which);
                try {
                    between.run();
                } catch (RuntimeException e) {
                    log.error("re-opening disks: {}", e.toString());
                }
                ClusterConfig c = latest.get();
                if (c != null) {
                    pass(c);
                }
            });
        } catch (RejectedExecutionException closing) {
            // closing
        }
    }

    /** The ALUA states of a live LUN (tests, diagnostics); empty when the LUN is not live. */
    public Optional<ClusterTargetPortGroups> aluaOf(String iqn, int lun) {
        try {
            return executor.submit(() -> exports.aluaOf(iqn, lun)).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /**
     * Whether this gateway knows its ALUA state: not after it learnt it was fenced, nor while its ZooKeeper
     * session is lost, until it is back. Meanwhile it reports its own group Transitioning (hosts retry and
     * re-read the groups) instead of the Active/Optimized it last applied, which peers may no longer agree with.
     */
    public void aluaKnown(boolean known) {
        if (!exports.aluaKnown(known)) {
            return;
        }
        log.info(
                known
                        ? "ALUA state known again: reporting the applied states"
                        : "ALUA state unknown (fenced, or back after a lost ZooKeeper session): reporting this gateway Transitioning");
        AluaSnapshot s = alua.get();
        if (s != null) {
            aluaChanged(s);
        } else {
            queuePass();
        }
    }

    @Override
    public void connectionChanged(boolean connected) {
        if (!connected) {
            log.warn(
                    "ZooKeeper is unreachable: serving the configuration of epoch {} until it returns",
                    status == null ? "(none yet)" : status.appliedEpoch());
        }
    }

    /** How many passes (configuration or ALUA) failed with an internal error since the start. */
    public long failedPasses() {
        return failedPasses.get();
    }

    /** The epoch of the newest configuration this reconciler was given (applied or not), or -1 before the first. */
    public long latestEpoch() {
        ClusterConfig c = latest.get();
        return c == null ? -1 : c.epoch();
    }

    /** The last pass's outcome, if any pass ran. */
    public Optional<Status> status() {
        return Optional.ofNullable(status);
    }

    /** Waits until a snapshot of at least {@code epoch} has been applied (fully or degraded). */
    public Status awaitApplied(long epoch, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (statusLock) {
            while (status == null || status.appliedEpoch() < epoch) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("epoch " + epoch + " not applied within " + timeout + "; at "
                            + (status == null ? "none" : status.appliedEpoch()));
                }
                TimeUnit.NANOSECONDS.timedWait(statusLock, left);
            }
            return status;
        }
    }

    /** What the last configuration pass redid: targets re-published, LUNs whose ALUA states it recomputed. */
    record PassWork(int republishedTargets, int aluaLuns) {}

    /** What the last pass redid (tests). */
    PassWork lastPassWork() throws InterruptedException, TimeoutException {
        try {
            return executor.submit(() -> new PassWork(exports.republished(), exports.aluaRecomputed()))
                    .get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The SCSI side of a live target (tests, diagnostics). */
    public Optional<ScsiTarget> scsiTarget(String iqn) {
        TargetEntry e = registry.find(iqn);
        return Optional.ofNullable(e).map(TargetEntry::scsi);
    }

    private void queuePass() {
        if (state.get() != State.STARTED || !passQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                passQueued.set(false);
                ClusterConfig c = latest.get();
                if (c != null && state.get() == State.STARTED) {
                    pass(c);
                }
            });
        } catch (RejectedExecutionException closing) {
            passQueued.set(false);
        }
    }

    // ------------------------------------------------------------------------------------ one pass

    private void pass(ClusterConfig c) {
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
        Map<String, String> problems = new LinkedHashMap<>();
        String timing = "";
        exports.step("");
        try {
            exports.step("planning");
            long t0 = System.nanoTime();
            ReconcilePlan plan = exports.plan(c);
            long t1 = System.nanoTime();
            exports.apply(c, plan, problems);
            applied = c;
            long t2 = System.nanoTime();
            exports.step("ALUA states");
            int transitions = exports.applyAluaIfChanged(c);
            long t3 = System.nanoTime();
            timing = String.format(
                    Locale.ROOT,
                    "%d targets re-published; planned in %d ms, applied in %d ms, ALUA states in %d ms",
                    exports.republished(),
                    (t1 - t0) / 1_000_000,
                    (t2 - t1) / 1_000_000,
                    (t3 - t2) / 1_000_000);
            AluaSnapshot s = alua.get();
            if (s != null && s != reportedAlua) {
                // a snapshot that arrived before the first configuration is applied here: report it too
                reportedAlua = s;
                exports.observer().aluaApplied(s, transitions, System.nanoTime() - aluaReceivedNanos);
            }
        } catch (Throwable e) {
            // a bug or a broken install (a LinkageError from a stale jar), not a configuration problem: keep
            // serving what is live, report DEGRADED and retry; the executor would otherwise swallow it unseen
            String step = exports.step();
            failed("applying configuration epoch " + c.epoch() + " at " + step, e);
            problems.put("reconciler", "internal error at " + step + ": " + e);
        }
        Health health = problems.isEmpty() ? Health.OK : Health.DEGRADED;
        StringBuilder detail = new StringBuilder();
        problems.forEach((what, why) -> detail.append(detail.length() == 0 ? "" : "; ")
                .append(what)
                .append(": ")
                .append(why));
        if (c.gateway(gatewayName).isEmpty()) {
            detail.append(detail.length() == 0 ? "" : "; ")
                    .append("gateway ")
                    .append(gatewayName)
                    .append(" is not declared in the configuration (target portal group 1)");
        }
        Status s = new Status(c.epoch(), health, detail.toString());
        synchronized (statusLock) {
            status = s;
            statusLock.notifyAll();
        }
        if (health == Health.OK) {
            log.info(
                    "applied configuration epoch {}: {} targets, {} disks open ({})",
                    c.epoch(),
                    exports.targetCount(),
                    exports.diskCount(),
                    timing);
        } else {
            log.warn(
                    "applied configuration epoch {} partially ({}); retrying in {} s",
                    c.epoch(),
                    s.detail(),
                    retryInterval.toSeconds());
            try {
                retry = executor.schedule(this::queuePass, retryInterval.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                // closing
            }
        }
        try {
            reporter.report(s.appliedEpoch(), s.health(), s.detail());
        } catch (RuntimeException e) {
            log.warn("cannot report status: {}", e.toString());
        }
    }

    /**
     * Logs and counts a pass that threw. A {@link VirtualMachineError} (OutOfMemoryError, StackOverflowError,
     * InternalError) is rethrown after logging: the JVM may be unable to continue, so it must not become a
     * routine DEGRADED status retried every interval; the next snapshot still queues a pass. Everything else
     * (including LinkageError and AssertionError) is survived by the caller.
     */
    private void failed(String what, Throwable e) {
        failedPasses.incrementAndGet();
        String action = e instanceof VirtualMachineError
                ? "the JVM may not recover: restart the gateway"
                : e instanceof LinkageError
                        ? "a broken install (stale or mixed jars): reinstall the gateway and restart it; retrying meanwhile"
                        : "a bug: please report it with this stack trace; retrying meanwhile";
        log.error(
                "{} failed on gateway {}: {}; still serving what was applied before. This is {}",
                what,
                gatewayName,
                e.toString(),
                action,
                e);
        if (e instanceof VirtualMachineError fatal) {
            throw fatal;
        }
    }

    /**
     * The portal's transport settings: their command window and NOP-In pings apply where the cluster sets none
     * (set before the first configuration arrives; {@link ConnectionSettings#defaults()} otherwise).
     */
    public void portal(ConnectionSettings settings) {
        logins.portal(settings);
    }

    /** Where the LUNs created from now on keep their reservations (in memory until set). */
    public void reservations(LunReservations reservations) {
        exports.reservations(reservations);
    }

    /** The key that decrypts the configuration's CHAP secrets (set before the first configuration arrives). */
    public void secrets(SecretBox box) {
        logins.secrets(box);
    }

    /**
     * Stops reconciling, withdraws every target (their sessions are closed) and closes every disk. Close
     * the portals first so that no command is in flight.
     */
    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("a reconciliation pass is still running 30 s after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        exports.closeAll();
    }
}
