package io.rbdgw.node;

import java.io.Closeable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.rbd.RbdBlockDevice;
import io.rbdgw.config.alua.AluaSnapshot;
import io.rbdgw.config.alua.AluaWatcher;
import io.rbdgw.config.alua.WriteTokenHolder;
import io.rbdgw.config.alua.WriteTokens;
import io.rbdgw.config.membership.GatewayStatus.Health;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.Backstore;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.secret.Secrets;
import io.rbdgw.config.watch.ConfigWatcher;
import io.rbdgw.iscsi.login.ChapSecret;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.session.SessionRegistry;
import io.rbdgw.iscsi.session.ConnectionSettings;
import io.rbdgw.iscsi.session.SessionSettings;
import io.rbdgw.iscsi.session.TargetEntry;
import io.rbdgw.iscsi.session.TargetRegistry;
import io.rbdgw.scsi.ClusterTargetPortGroups;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.LuIdentity;
import io.rbdgw.scsi.ScsiTarget;
import io.rbdgw.scsi.WriteGate;
import io.rbdgw.scsi.UnitAttentions;
import io.rbdgw.scsi.pr.Reservations;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converges this gateway's live targets, LUNs, ACLs and CHAP settings to each configuration snapshot,
 * without disturbing I/O to what did not change.
 *
 * <p>Snapshots arrive on the watcher's thread and are applied on the reconciler's own thread, latest
 * first: a snapshot that is overtaken before it is applied is skipped. Per snapshot:
 * <ul>
 *   <li>targets that are gone leave the {@link TargetRegistry} (no new logins), their sessions are
 *       closed and their LUNs released;</li>
 *   <li>every target is (re)published with a {@link LoginTarget} built from the snapshot: the ACL is
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
 * the reconciler's thread after every configuration pass and every ALUA snapshot; a LUN whose view changed
 * posts 2A/06 to its nexuses. Before the first ALUA snapshot a LUN reports this gateway alone, optimized.
 *
 * <p>While ZooKeeper is away no snapshot arrives and everything keeps running as last applied.
 */
public final class Reconciler implements ConfigWatcher.Listener, AluaWatcher.Listener, Closeable {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    public enum State { LATENT, STARTED, CLOSED }

    /** Where the result of each pass goes ({@code GatewayMembership::reportStatus} in a gateway). */
    @FunctionalInterface
    public interface StatusReporter {
        void report(long appliedEpoch, Health health, String detail);
    }

    /** What the reconciler last reported. */
    public record Status(long appliedEpoch, Health health, String detail) {
    }

    private final String gatewayName;
    private final TargetRegistry registry;
    private final SessionRegistry sessions;
    private final DiskOpener opener;
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
    private volatile Observer observer = new Observer() { };
    private volatile long aluaReceivedNanos;
    private volatile SecretBox secrets;
    private volatile ConnectionSettings portal = ConnectionSettings.defaults();
    /** Stored secrets that could not be decrypted, already logged (reconciler thread only). */
    private final java.util.Set<String> secretFailuresLogged = new java.util.HashSet<>();
    /** The previous pass's decrypted secrets and the key they were decrypted with (reconciler thread only). */
    private Map<String, String> lastOpened = Map.of();
    private SecretBox lastOpenedWith;
    private final AtomicLong failedPasses = new AtomicLong();
    private volatile LunReservations reservations = LunReservations.inMemory();

    /**
     * Told what the reconciler exports and how ALUA changes are applied (metrics, status). Called on the
     * reconciler's thread; must not block.
     */
    public interface Observer {
        default void lunAdded(String target, int lun, String disk, LogicalUnit lu, ClusterTargetPortGroups alua) {
        }

        default void lunRemoved(String target, int lun, String disk, LogicalUnit lu) {
        }

        /**
         * An ALUA snapshot was applied.
         *
         * @param snapshot    what was applied
         * @param transitions LUNs whose reported states changed (each got 2A/06)
         * @param nanos       from the snapshot's arrival to its application
         */
        default void aluaApplied(AluaSnapshot snapshot, int transitions, long nanos) {
        }
    }

    private volatile WriteTokens writeTokens;
    private volatile int maxWaitingWrites;
    private volatile Duration maxWriteWait;

    /**
     * Gates the writes of every RBD disk on its write token from {@code tokens} (before {@link #start}); a write
     * waits at most {@code maxWait} for it, at most {@code maxWaiting} per disk at once.
     */
    public void writeTokens(WriteTokens tokens, int maxWaiting, Duration maxWait) {
        this.writeTokens = tokens;
        this.maxWaitingWrites = maxWaiting;
        this.maxWriteWait = maxWait;
    }

    /** Sets the observer (before {@link #start}). */
    public void observe(Observer o) {
        this.observer = o;
    }

    // reconciler thread only
    private final Map<String, LiveTarget> live = new TreeMap<>();
    private final Map<String, OpenDisk> disks = new HashMap<>();
    private ScheduledFuture<?> retry;
    private ClusterConfig applied;
    /** The last ALUA snapshot the observer was told of. */
    private AluaSnapshot reportedAlua;
    /** What the running pass is working on, for the log line when it fails. */
    private String step = "";

    private static final class LiveTarget {
        final ScsiTarget scsi = new ScsiTarget();
        final String iqn;

        LiveTarget(String iqn) {
            this.iqn = iqn;
        }

        final Map<Integer, LiveLun> luns = new TreeMap<>();
    }

    private record LiveLun(String diskId, LogicalUnit lu, ClusterTargetPortGroups alua) {
    }

    /** Implicit transition time reported by REPORT TARGET PORT GROUPS (we never report Transitioning). */
    static final int TRANSITION_SECONDS = 10;

    private static final class OpenDisk {
        final Disk spec;
        final BlockDevice device;
        final List<LogicalUnit> users = new CopyOnWriteArrayList<>();
        /** The disk's write gate and its token registration (RBD disks of a cluster gateway), else null. */
        WriteGate gate;
        WriteTokenHolder tokenHolder;

        OpenDisk(Disk spec, BlockDevice device) {
            this.spec = spec;
            this.device = device;
        }
    }

    /**
     * @param gatewayName   this gateway's name in the configuration's gateway list
     * @param registry      the targets the portals serve
     * @param sessions      live sessions (closed when their target goes)
     * @param opener        opens disks
     * @param reporter      told the applied epoch and health after every pass
     * @param retryInterval how soon a pass that could not open every disk is retried
     */
    public Reconciler(String gatewayName, TargetRegistry registry, SessionRegistry sessions, DiskOpener opener,
                      StatusReporter reporter, Duration retryInterval) {
        this.gatewayName = gatewayName;
        this.registry = registry;
        this.sessions = sessions;
        this.opener = opener;
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
        ClusterConfig prev = latest.getAndAccumulate(snapshot,
                (old, next) -> old == null || next.epoch() >= old.epoch() ? next : old);
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
                        int transitions = applyAlua(applied);
                        reportedAlua = s;
                        observer.aluaApplied(s, transitions, System.nanoTime() - received);
                    } catch (Throwable e) {
                        // the next ALUA snapshot or configuration pass applies the states again
                        failed("applying ALUA ownership" + (s == null ? "" : " of " + s.owners().size() + " disks"), e);
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
    public void reopen(java.util.function.Predicate<Disk> which, Runnable between) {
        if (state.get() != State.STARTED) {
            return;
        }
        try {
            executor.execute(() -> {
                if (state.get() != State.STARTED) {
                    return;
                }
                for (Iterator<Map.Entry<String, OpenDisk>> it = disks.entrySet().iterator(); it.hasNext(); ) {
                    Map.Entry<String, OpenDisk> e = it.next();
                    if (!which.test(e.getValue().spec)) {
                        continue;
                    }
                    for (LiveTarget t : live.values()) {
                        for (Integer n : new ArrayList<>(t.luns.keySet())) {
                            if (t.luns.get(n).diskId().equals(e.getKey())) {
                                removeLun(t, n, true); // not ready (02/04/0A) until re-opened, never 05/25/00
                            }
                        }
                    }
                    it.remove();
                    close(e.getKey(), e.getValue());
                }
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
            return executor.submit(() -> {
                LiveTarget t = live.get(iqn);
                LiveLun l = t == null ? null : t.luns.get(lun);
                return Optional.ofNullable(l).map(LiveLun::alua);
            }).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    /** Returns how many LUNs changed state. */
    private int applyAlua(ClusterConfig c) {
        int tag = c.gateway(gatewayName).map(Gateway::targetPortGroup).orElse(1);
        int changed = 0;
        for (LiveTarget t : live.values()) {
            for (LiveLun l : t.luns.values()) {
                if (l.alua().update(tag, groups(c, l.diskId(), tag))) {
                    changed++;
                }
            }
        }
        return changed;
    }

    /**
     * Whether this gateway knows its ALUA state: not after it learnt it was fenced, nor while its ZooKeeper
     * session is lost, until it is back. Meanwhile it reports its own group Transitioning (hosts retry and
     * re-read the groups) instead of the Active/Optimized it last applied, which peers may no longer agree with.
     */
    public void aluaKnown(boolean known) {
        if (aluaUnknown == !known) {
            return;
        }
        aluaUnknown = !known;
        log.info(known ? "ALUA state known again: reporting the applied states"
                : "ALUA state unknown (fenced, or back after a lost ZooKeeper session): reporting this gateway Transitioning");
        AluaSnapshot s = alua.get();
        if (s != null) {
            aluaChanged(s);
        } else {
            queuePass();
        }
    }

    private volatile boolean aluaUnknown;

    private List<io.rbdgw.scsi.TargetPortGroups.Group> groups(ClusterConfig c, String diskId, int tag) {
        List<io.rbdgw.scsi.TargetPortGroups.Group> g = ClusterTargetPortGroups.states(ports(c, diskId), tag);
        if (!aluaUnknown) {
            return g;
        }
        List<io.rbdgw.scsi.TargetPortGroups.Group> out = new ArrayList<>(g.size());
        for (io.rbdgw.scsi.TargetPortGroups.Group x : g) {
            out.add(x.id() == tag ? new io.rbdgw.scsi.TargetPortGroups.Group(x.id(),
                    io.rbdgw.scsi.TargetPortGroups.TRANSITIONING, x.preferred(), x.relativePorts()) : x);
        }
        return out;
    }

    /** Every configured gateway as a port group of a disk's LUNs, per the latest ALUA snapshot. */
    private List<ClusterTargetPortGroups.Port> ports(ClusterConfig c, String diskId) {
        AluaSnapshot s = alua.get();
        List<ClusterTargetPortGroups.Port> ports = new ArrayList<>();
        if (s != null) {
            String owner = s.owner(diskId).orElse(null);
            for (Gateway g : c.gateways()) {
                ports.add(new ClusterTargetPortGroups.Port(g.targetPortGroup(),
                        g.name().equals(gatewayName) || s.live().contains(g.name()), g.name().equals(owner)));
            }
        }
        return ports;
    }

    @Override
    public void connectionChanged(boolean connected) {
        if (!connected) {
            log.warn("ZooKeeper is unreachable: serving the configuration of epoch {} until it returns",
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
        step = "";
        try {
            apply(c, problems);
            applied = c;
            step = "ALUA states";
            int transitions = applyAlua(c);
            AluaSnapshot s = alua.get();
            if (s != null && s != reportedAlua) {
                // a snapshot that arrived before the first configuration is applied here: report it too
                reportedAlua = s;
                observer.aluaApplied(s, transitions, System.nanoTime() - aluaReceivedNanos);
            }
        } catch (Throwable e) {
            // a bug or a broken install (a LinkageError from a stale jar), not a configuration problem: keep
            // serving what is live, report DEGRADED and retry; the executor would otherwise swallow it unseen
            failed("applying configuration epoch " + c.epoch() + " at " + step, e);
            problems.put("reconciler", "internal error at " + step + ": " + e);
        }
        Health health = problems.isEmpty() ? Health.OK : Health.DEGRADED;
        StringBuilder detail = new StringBuilder();
        problems.forEach((what, why) -> detail.append(detail.length() == 0 ? "" : "; ").append(what).append(": ").append(why));
        if (c.gateway(gatewayName).isEmpty()) {
            detail.append(detail.length() == 0 ? "" : "; ")
                    .append("gateway ").append(gatewayName).append(" is not declared in the configuration (target portal group 1)");
        }
        Status s = new Status(c.epoch(), health, detail.toString());
        synchronized (statusLock) {
            status = s;
            statusLock.notifyAll();
        }
        if (health == Health.OK) {
            log.info("applied configuration epoch {}: {} targets, {} disks open", c.epoch(), live.size(), disks.size());
        } else {
            log.warn("applied configuration epoch {} partially ({}); retrying in {} s", c.epoch(), s.detail(),
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
        log.error("{} failed on gateway {}: {}; still serving what was applied before. This is {}", what, gatewayName,
                e.toString(), action, e);
        if (e instanceof VirtualMachineError fatal) {
            throw fatal;
        }
    }

    /**
     * The portal's transport settings: their command window and NOP-In pings apply where the cluster sets none
     * (set before the first configuration arrives; {@link ConnectionSettings#defaults()} otherwise).
     */
    public void portal(ConnectionSettings settings) {
        this.portal = settings;
    }

    /** Where the LUNs created from now on keep their reservations (in memory until set). */
    public void reservations(LunReservations reservations) {
        this.reservations = reservations;
    }

    /** The key that decrypts the configuration's CHAP secrets (set before the first configuration arrives). */
    public void secrets(SecretBox box) {
        this.secrets = box;
    }

    private void apply(ClusterConfig c, Map<String, String> problems) {
        int tag = c.gateway(gatewayName).map(Gateway::targetPortGroup).orElse(1);

        step = "CHAP secrets";
        Map<String, String> opened = openSecrets(c);

        step = "discovery settings";
        Authentication discovery = c.discoveryAuth();
        registry.setDiscoveryAuth(secret(discovery.chap(), opened), secret(discovery.mutualChap(), opened));
        List<TargetRegistry.PortalAddress> portals = new ArrayList<>();
        for (Gateway g : c.gateways()) {
            for (Portal p : g.portals()) {
                portals.add(new TargetRegistry.PortalAddress(p.toString(), g.targetPortGroup()));
            }
        }
        registry.setDiscoveryPortals(portals);
        registry.setClusterSession(SessionSettings.resolve(s -> c.settings().values().get(s.key()), portal));

        // targets that are gone: no new logins, sessions closed, LUNs released
        for (Iterator<Map.Entry<String, LiveTarget>> it = live.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, LiveTarget> e = it.next();
            if (c.target(e.getKey()).isEmpty()) {
                step = "removing target " + e.getKey();
                registry.remove(e.getKey());
                sessions.closeTarget(e.getKey());
                LiveTarget t = e.getValue();
                for (Integer n : new ArrayList<>(t.luns.keySet())) {
                    removeLun(t, n);
                }
                it.remove();
                log.info("target {} removed", e.getKey());
            }
        }

        // a disk whose backstore, file or identity changed is another device: its LUNs are re-created
        for (Iterator<Map.Entry<String, OpenDisk>> it = disks.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, OpenDisk> e = it.next();
            Optional<Disk> now = c.disk(e.getKey());
            if (now.isPresent() && !sameSpec(e.getValue().spec, now.get())) {
                step = "replacing disk " + e.getKey();
                for (LiveTarget t : live.values()) {
                    for (Integer n : new ArrayList<>(t.luns.keySet())) {
                        if (t.luns.get(n).diskId().equals(e.getKey())) {
                            removeLun(t, n);
                        }
                    }
                }
                it.remove();
                close(e.getKey(), e.getValue());
            }
        }

        for (Target target : c.targets()) {
            LiveTarget t = live.computeIfAbsent(target.iqn(), iqn -> {
                log.info("target {} added", iqn);
                return new LiveTarget(iqn);
            });
            step = "target " + target.iqn();
            registry.publish(entry(c, target, tag, t.scsi, opened));
            reconcileLuns(c, target, t, problems);
            // LUNs attached (or listed not ready while their disk opens), ACL, CHAP and ALUA states applied:
            // from here on discovery announces the target and logins to it are accepted
            registry.markReady(target.iqn());
        }

        // disks that no LUN exports any more
        for (Iterator<Map.Entry<String, OpenDisk>> it = disks.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, OpenDisk> e = it.next();
            OpenDisk d = e.getValue();
            step = "disk " + e.getKey();
            if (d.users.isEmpty()) {
                it.remove();
                close(e.getKey(), d);
            } else {
                c.disk(e.getKey()).ifPresent(spec -> noteResize(d, spec, problems));
            }
        }
    }

    private TargetEntry entry(ClusterConfig c, Target target, int tag, ScsiTarget scsi, Map<String, String> opened) {
        String iqn = target.iqn();
        // settings in force for this target: its override, else the cluster-wide value, else the fallback
        SessionSettings session = SessionSettings.resolve(s -> {
            String v = target.parameters().get(s.key());
            return v != null ? v : c.settings().values().get(s.key());
        }, portal);
        LoginTarget base = loginTarget(c, target, tag, target.auth(), opened, session);
        return new TargetEntry(base, scsi, initiator -> loginTarget(c, target, tag,
                c.authenticationFor(iqn, initiator).orElse(target.auth()), opened, session), session);
    }

    private static LoginTarget loginTarget(ClusterConfig c, Target target, int tag, Authentication auth,
                                           Map<String, String> opened, SessionSettings session) {
        String iqn = target.iqn();
        return new LoginTarget(iqn, target.alias(), tag, secret(auth.chap(), opened), secret(auth.mutualChap(), opened),
                initiator -> c.isAllowed(iqn, initiator), session.parameters());
    }

    /**
     * Decrypts every encrypted CHAP secret of {@code c} once, here, so that logins pay nothing for encryption.
     * A secret that cannot be decrypted is left out (and logged once): {@link #secret} then fails its logins.
     */
    private Map<String, String> openSecrets(ClusterConfig c) {
        Map<String, String> opened = new HashMap<>();
        SecretBox box = secrets;
        // a stored value always decrypts to the same secret: only values new since the last pass cost a decryption
        Map<String, String> previous = box == lastOpenedWith ? lastOpened : Map.of();
        java.util.Set<String> failed = new java.util.HashSet<>();
        Secrets.forEach(c, stored -> {
            if (!SecretBox.isSealed(stored) || opened.containsKey(stored) || failed.contains(stored)) {
                return;
            }
            String known = previous.get(stored);
            if (known != null) {
                opened.put(stored, known);
                return;
            }
            try {
                if (box == null) {
                    throw new IllegalStateException("the configuration holds encrypted CHAP secrets (key '"
                            + SecretBox.keyId(stored) + "') but this gateway has no --secret-key-file");
                }
                opened.put(stored, box.open(stored));
            } catch (RuntimeException e) {
                failed.add(stored);
                if (secretFailuresLogged.add(stored)) {
                    log.error("gateway {}: cannot decrypt a CHAP secret: {}; logins that need it fail with "
                            + "authentication failure until the key is added to the secret key file and the gateway "
                            + "restarted", gatewayName, e.getMessage());
                }
            }
        });
        secretFailuresLogged.retainAll(failed);
        lastOpened = Map.copyOf(opened);
        lastOpenedWith = box;
        return lastOpened;
    }

    /**
     * The secret a login checks. One that could not be decrypted becomes a random secret nobody knows, so the
     * login fails with authentication failure: never a login without the CHAP the configuration asks for.
     */
    private static ChapSecret secret(ChapCredentials creds, Map<String, String> opened) {
        if (creds == null) {
            return null;
        }
        String stored = creds.secret();
        if (!SecretBox.isSealed(stored)) {
            return new ChapSecret(creds.user(), stored); // plaintext from a tree written before encryption
        }
        String plain = opened.get(stored);
        if (plain == null) {
            byte[] unknowable = new byte[32];
            UNKNOWABLE.nextBytes(unknowable);
            plain = java.util.HexFormat.of().formatHex(unknowable);
        }
        return new ChapSecret(creds.user(), plain);
    }

    private static final java.security.SecureRandom UNKNOWABLE = new java.security.SecureRandom();

    private void reconcileLuns(ClusterConfig c, Target target, LiveTarget t, Map<String, String> problems) {
        Map<Integer, String> wanted = new TreeMap<>();
        for (Lun l : c.luns(target.iqn())) {
            wanted.put(l.number(), l.diskId());
        }
        for (Integer n : new ArrayList<>(t.luns.keySet())) {
            LiveLun l = t.luns.get(n);
            String disk = wanted.get(n);
            if (disk == null || !disk.equals(l.diskId())) {
                removeLun(t, n);
                log.info("target {}: LUN {} ({}) removed", target.iqn(), n, l.diskId());
            }
        }
        t.scsi.setMasking(ConfigLunMasking.of(c, target));
        t.scsi.retainSuspended(wanted.keySet());
        for (Map.Entry<Integer, String> w : wanted.entrySet()) {
            int n = w.getKey();
            if (t.luns.containsKey(n)) {
                continue;
            }
            step = "target " + target.iqn() + " LUN " + n + " (disk " + w.getValue() + ")";
            Disk spec = c.disk(w.getValue()).orElseThrow(); // the model guarantees it
            int tag = c.gateway(gatewayName).map(Gateway::targetPortGroup).orElse(1);
            Function<UnitAttentions, Reservations> luReservations;
            try {
                luReservations = reservations.open(spec, tag);
            } catch (Exception e) {
                problems.put("disk " + spec.id(), "reservation state unreadable: " + e);
                log.error("cannot read the reservation state of disk {} ({}); its LUNs are not served by gateway {} "
                        + "until it can (retrying)", spec.id(), e.toString(), gatewayName);
                t.scsi.suspendLun(n);
                continue;
            }
            OpenDisk d = acquire(spec, problems);
            if (d == null) {
                // reported by acquire; retried on the next pass. Meanwhile the LUN is listed and answers not
                // ready (02/04/0A, retryable), never LOGICAL UNIT NOT SUPPORTED (a host's permanent device loss)
                t.scsi.suspendLun(n);
                continue;
            }
            ClusterTargetPortGroups tpgs = new ClusterTargetPortGroups(tag, TRANSITION_SECONDS);
            tpgs.update(tag, groups(c, spec.id(), tag)); // before any nexus sees the unit: no 2A/06 for it
            LogicalUnit lu = new LogicalUnit(n, d.device, LuIdentity.fromDeviceIdentity(spec.wwnSeed()),
                    luReservations, tpgs);
            lu.writeGate(d.gate);
            tpgs.attach(lu.unitAttentions());
            d.users.add(lu);
            t.luns.put(n, new LiveLun(spec.id(), lu, tpgs));
            observer.lunAdded(target.iqn(), n, spec.id(), lu, tpgs); // before it serves: stats bound once
            t.scsi.addLun(lu);
            log.info("target {}: LUN {} exports {}", target.iqn(), n, spec.id());
        }
    }

    private OpenDisk acquire(Disk spec, Map<String, String> problems) {
        OpenDisk d = disks.get(spec.id());
        if (d != null) {
            opener.check(spec, d.device).ifPresent(w -> problems.put("disk " + spec.id(), w));
            return d;
        }
        BlockDevice device;
        try {
            device = opener.open(spec);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            String why = e.getMessage() != null ? e.getMessage() : e.toString();
            problems.put("disk " + spec.id(), why);
            log.error("cannot open disk {} ({}): {}; its LUNs are not served by gateway {} until it opens "
                    + "(retrying every {} s)", spec.id(), describe(spec), why, gatewayName, retryInterval.toSeconds());
            return null;
        }
        opener.check(spec, device).ifPresent(w -> problems.put("disk " + spec.id(), w));
        OpenDisk opened = new OpenDisk(spec, device);
        WriteTokens tokens = writeTokens;
        if (tokens != null && spec.backstore() == Backstore.RBD) {
            // shared by every gateway: one writer at a time (docs/ha.md, "Write tokens")
            String id = spec.id();
            WriteGate gate = new WriteGate(id, () -> tokens.want(id), maxWaitingWrites, maxWriteWait);
            opened.gate = gate;
            opened.tokenHolder = new WriteTokenHolder() {
                @Override
                public void grant(long epoch) {
                    gate.grant();
                }

                @Override
                public void revoke() {
                    gate.revoke();
                }

                @Override
                public void whenIdle(Runnable idle) {
                    gate.whenIdle(idle);
                }
            };
            tokens.register(id, opened.tokenHolder);
        }
        if (device instanceof RbdBlockDevice image) {
            // `rbd resize` (by the admin API or by hand): hosts learn it through CAPACITY DATA HAS CHANGED
            image.onResize(() -> opened.users.forEach(LogicalUnit::capacityChanged));
        }
        disks.put(spec.id(), opened);
        log.info("disk {} open ({}), {} bytes", spec.id(), describe(spec), device.info().sizeBytes());
        return opened;
    }

    private static boolean sameSpec(Disk a, Disk b) {
        return a.backstore() == b.backstore() && java.util.Objects.equals(a.path(), b.path())
                && a.wwnSeed().equals(b.wwnSeed());
    }

    private static String describe(Disk d) {
        return d.backstore() == Backstore.FILE ? "file " + d.path() : "rbd image " + d.id();
    }

    /**
     * A file disk whose configured size grew (the admin API's resize) grows online: the file is extended if
     * needed and every LUN exporting it posts CAPACITY DATA HAS CHANGED (2A/09), as an RBD disk does when its
     * header watch reports the new size (onResize above). Memory disks cannot be resized (the API refuses it).
     */
    private void noteResize(OpenDisk d, Disk spec, Map<String, String> problems) {
        if (spec.backstore() != Backstore.FILE || !(d.device instanceof io.rbdgw.block.FileBlockDevice file)
                || spec.size() <= file.info().sizeBytes()) {
            return;
        }
        long was = file.info().sizeBytes();
        try {
            if (file.grow(spec.size())) {
                d.users.forEach(LogicalUnit::capacityChanged);
                log.info("disk {} grown online from {} to {} bytes; hosts are told CAPACITY DATA HAS CHANGED",
                        spec.id(), was, file.info().sizeBytes());
            }
        } catch (java.io.IOException e) {
            problems.put("disk " + spec.id(), "cannot grow to " + spec.size() + " bytes: " + e.getMessage());
            log.error("cannot grow disk {} ({}) from {} to {} bytes: {}; its LUNs keep the old size (retrying every "
                    + "{} s)", spec.id(), describe(spec), was, spec.size(), e.getMessage(), retryInterval.toSeconds());
        }
    }

    private void removeLun(LiveTarget t, int n) {
        removeLun(t, n, false);
    }

    private void removeLun(LiveTarget t, int n, boolean suspend) {
        LiveLun l = t.luns.remove(n);
        if (l == null) {
            return;
        }
        if (suspend) {
            t.scsi.suspendLun(n); // no new command reaches it from here on; still listed, not ready
        } else {
            t.scsi.removeLun(n); // no new command reaches it from here on
        }
        observer.lunRemoved(t.iqn, n, l.diskId(), l.lu());
        OpenDisk d = disks.get(l.diskId());
        if (d != null) {
            d.users.remove(l.lu());
        }
    }

    private void close(String id, OpenDisk d) {
        if (d.gate != null) {
            d.gate.close(); // writes waiting for the token end retryably
        }
        try {
            d.device.close(); // waits for what is in flight
            log.info("disk {} closed", id);
        } catch (Exception e) {
            log.warn("closing disk {}: {}", id, e.toString());
        }
        WriteTokens tokens = writeTokens;
        if (tokens != null && d.tokenHolder != null) {
            tokens.unregister(id, d.tokenHolder); // nothing of it is in flight any more
        }
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
        for (Map.Entry<String, LiveTarget> e : live.entrySet()) {
            registry.remove(e.getKey());
            sessions.closeTarget(e.getKey());
            for (Integer n : new ArrayList<>(e.getValue().luns.keySet())) {
                removeLun(e.getValue(), n);
            }
        }
        live.clear();
        disks.forEach(this::close);
        disks.clear();
    }
}
