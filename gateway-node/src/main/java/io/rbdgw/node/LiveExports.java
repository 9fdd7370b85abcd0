package io.rbdgw.node;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.FileBlockDevice;
import io.rbdgw.block.rbd.RbdBlockDevice;
import io.rbdgw.config.alua.AluaSnapshot;
import io.rbdgw.config.alua.WriteTokenHolder;
import io.rbdgw.config.alua.WriteTokens;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.Backstore;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Target;
import io.rbdgw.iscsi.session.SessionRegistry;
import io.rbdgw.iscsi.session.TargetRegistry;
import io.rbdgw.scsi.ClusterTargetPortGroups;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.LuIdentity;
import io.rbdgw.scsi.ScsiTarget;
import io.rbdgw.scsi.TargetPortGroups.Group;
import io.rbdgw.scsi.UnitAttentions;
import io.rbdgw.scsi.WriteGate;
import io.rbdgw.scsi.odx.RodTokenService;
import io.rbdgw.scsi.pr.Reservations;
import io.rbdgw.scsi.xcopy.CopyBuffers;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This gateway's live exports (targets, their LUNs, the open disks) and the application of a {@link ReconcilePlan}
 * to them: opening and closing devices, building logical units and targets, publishing them to the
 * {@link TargetRegistry} and marking them ready, applying the ALUA states. Used on the reconciler's thread only.
 */
final class LiveExports {

    // under the reconciler's name: the one logger an operator follows for configuration passes
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    /** Implicit transition time reported by REPORT TARGET PORT GROUPS (we never report Transitioning). */
    static final int TRANSITION_SECONDS = 10;

    /**
     * RBD disks a pass opens at once, with their reservation state: a cold start with hundreds of them spent
     * seconds opening images and reading reservation documents one after another.
     */
    static final int OPEN_CONCURRENCY = 16;

    /** How long a pass waits for the disks it opens ahead; one still opening then is reported and retried. */
    static final Duration OPEN_WAIT = Duration.ofMinutes(2);

    private final String gatewayName;
    private final TargetRegistry registry;
    private final SessionRegistry sessions;
    private final DiskOpener opener;
    private final Duration retryInterval;
    private final TargetLogins logins;
    private final Supplier<AluaSnapshot> alua;
    private volatile Reconciler.Observer observer = new Reconciler.Observer() {};
    private volatile LunReservations reservations = LunReservations.inMemory();
    private volatile WriteTokens writeTokens;
    private volatile RodTokenService rodTokens;
    private volatile CopyBuffers copyBuffers = CopyBuffers.DEFAULT;
    private volatile int maxWaitingWrites;
    private volatile Duration maxWriteWait;
    private volatile boolean aluaUnknown;
    /** Passes applied (reconciler thread only): a disk is checked once per pass. */
    private long passes;

    private final Map<String, LiveTarget> live = new TreeMap<>();
    private final Map<String, OpenDisk> disks = new HashMap<>();
    /** What the running pass is working on, for the log line when it fails. */
    private String step = "";

    private static final class LiveTarget {
        final ScsiTarget scsi = new ScsiTarget();
        final String iqn;
        final Map<Integer, LiveLun> luns = new TreeMap<>();
        /** What the target was last published from (null: not yet, or to be re-published). */
        Published published;

        LiveTarget(String iqn) {
            this.iqn = iqn;
        }
    }

    private record LiveLun(String diskId, LogicalUnit lu, ClusterTargetPortGroups alua) {}

    /**
     * Everything a target's registry entry, masking and LUNs are built from: its configuration slice, this
     * gateway's port group and the login inputs (secret key, portal settings). Equal: nothing to re-publish.
     */
    private record Published(ClusterConfig slice, int tag, Object logins) {}

    /** The inputs of the ALUA states applied last to every LUN ({@link #applyAlua}). */
    private record AluaInputs(List<Gateway> gateways, int tag, AluaSnapshot snapshot, boolean unknown) {}

    private AluaInputs aluaApplied;
    /** Targets re-published by the last pass (tests, the pass's log line). */
    private int republished;
    /** LUNs whose ALUA states the last pass recomputed (tests). */
    private int aluaRecomputed;

    private static final class OpenDisk {
        final Disk spec;
        final BlockDevice device;
        final List<LogicalUnit> users = new CopyOnWriteArrayList<>();
        /** The disk's write gate and its token registration (RBD disks of a cluster gateway), else null. */
        WriteGate gate;

        WriteTokenHolder tokenHolder;

        /** The last check found a problem: checked again on every pass until it finds none. */
        boolean recheck;

        /** The pass of the last check. */
        long checkedIn = -1;

        OpenDisk(Disk spec, BlockDevice device) {
            this.spec = spec;
            this.device = device;
        }
    }

    LiveExports(
            String gatewayName,
            TargetRegistry registry,
            SessionRegistry sessions,
            DiskOpener opener,
            Duration retryInterval,
            TargetLogins logins,
            Supplier<AluaSnapshot> alua) {
        this.gatewayName = gatewayName;
        this.registry = registry;
        this.sessions = sessions;
        this.opener = opener;
        this.retryInterval = retryInterval;
        this.logins = logins;
        this.alua = alua;
    }

    void observe(Reconciler.Observer o) {
        this.observer = o;
    }

    /** Where the LUNs created from now on keep their reservations (in memory until set). */
    void reservations(LunReservations r) {
        this.reservations = r;
    }

    Reconciler.Observer observer() {
        return observer;
    }

    /** The cluster's ODX token store for the LUNs created from now on (none until set: no ODX). */
    void rodTokens(RodTokenService service) {
        this.rodTokens = service;
    }

    /** The gateway's copy buffer budget for the LUNs created from now on. */
    void copyBuffers(CopyBuffers buffers) {
        this.copyBuffers = buffers;
    }

    void writeTokens(WriteTokens tokens, int maxWaiting, Duration maxWait) {
        this.writeTokens = tokens;
        this.maxWaitingWrites = maxWaiting;
        this.maxWriteWait = maxWait;
    }

    /** Whether the ALUA state changed between known and unknown (see {@link Reconciler#aluaKnown}). */
    boolean aluaKnown(boolean known) {
        if (aluaUnknown == !known) {
            return false;
        }
        aluaUnknown = !known;
        return true;
    }

    String step() {
        return step;
    }

    void step(String s) {
        step = s;
    }

    int targetCount() {
        return live.size();
    }

    int diskCount() {
        return disks.size();
    }

    /** The plan from the live exports to {@code c}. */
    ReconcilePlan plan(ClusterConfig c) {
        Map<String, Map<Integer, String>> luns = new TreeMap<>();
        live.forEach((iqn, t) -> {
            Map<Integer, String> m = new TreeMap<>();
            t.luns.forEach((n, l) -> m.put(n, l.diskId()));
            luns.put(iqn, m);
        });
        Map<String, Disk> open = new HashMap<>();
        disks.forEach((id, d) -> open.put(id, d.spec));
        return ReconcilePlan.between(c, gatewayName, luns, open);
    }

    /** Applies {@code plan} (made from {@code c}); what could not be done goes to {@code problems}. */
    void apply(ClusterConfig c, ReconcilePlan plan, Map<String, String> problems) {
        int tag = plan.portGroup();
        passes++;

        step = "CHAP secrets";
        Map<String, String> opened = logins.openSecrets(c);

        step = "discovery settings";
        Authentication discovery = c.discoveryAuth();
        registry.setDiscoveryAuth(
                TargetLogins.secret(discovery.chap(), opened), TargetLogins.secret(discovery.mutualChap(), opened));
        registry.setDiscoveryPortals(plan.discoveryPortals());
        registry.setClusterSession(logins.clusterSession(c));

        // targets that are gone: no new logins, sessions closed, LUNs released
        for (String iqn : plan.removedTargets()) {
            step = "removing target " + iqn;
            withdraw(iqn);
            live.remove(iqn);
            log.info("target {} removed", iqn);
        }

        // a disk whose backstore, file or identity changed is another device: its LUNs are re-created
        for (String id : plan.replacedDisks()) {
            step = "replacing disk " + id;
            closeDisk(id, false);
        }

        // RBD disks to open: opened (and their reservation state read) ahead, concurrently; used in order below
        Map<String, Prefetched> ahead = openAhead(c, plan, tag);
        try {
            publishTargets(c, plan, tag, problems, opened, ahead);
        } finally {
            ahead.values().forEach(Prefetched::discard); // a pass that failed half-way
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
                c.disk(e.getKey()).ifPresent(spec -> {
                    noteResize(d, spec, problems);
                    if (d.recheck && d.checkedIn != passes) {
                        check(spec, d, problems);
                    }
                });
            }
        }
    }

    /**
     * The opener's check of an open disk, with who may change its image: the disk's owner in the latest ALUA
     * snapshot. Nobody while none is known: the pass that follows the owner's assignment checks again.
     */
    private void check(Disk spec, OpenDisk d, Map<String, String> problems) {
        AluaSnapshot s = alua.get();
        String owner = s == null ? null : s.owner(spec.id()).orElse(null);
        Optional<String> why = opener.check(spec, d.device, new DiskOpener.Changer(owner, gatewayName.equals(owner)));
        d.recheck = why.isPresent();
        d.checkedIn = passes;
        why.ifPresent(w -> problems.put("disk " + spec.id(), w));
    }

    /** Whether an open disk waits for a check again (the reconciler runs a pass when disk ownership changes). */
    boolean recheckPending() {
        for (OpenDisk d : disks.values()) {
            if (d.recheck) {
                return true;
            }
        }
        return false;
    }

    private void publishTargets(
            ClusterConfig c,
            ReconcilePlan plan,
            int tag,
            Map<String, String> problems,
            Map<String, String> opened,
            Map<String, Prefetched> ahead) {
        republished = 0;
        Object loginInputs = logins.inputs();
        for (Target target : c.targets()) {
            LiveTarget t = live.computeIfAbsent(target.iqn(), iqn -> {
                log.info("target {} added", iqn);
                return new LiveTarget(iqn);
            });
            step = "target " + target.iqn();
            ReconcilePlan.TargetChanges changes = plan.targets().get(target.iqn());
            // the entry and the masking hold the slice, not the snapshot: an unchanged target keeps no old snapshot
            Published p = new Published(ReconcilePlan.slice(c, target), tag, loginInputs);
            if (p.equals(t.published) && changes.isEmpty()) {
                continue; // same slice, no LUN to add or remove: its entry, masking and LUNs are what it needs
            }
            t.published = null; // a pass that fails half-way re-publishes it next time
            registry.publish(logins.entry(p.slice(), target, tag, t.scsi, opened));
            applyLuns(p.slice(), target, t, changes, tag, problems, ahead);
            // LUNs attached (or listed not ready while their disk opens), ACL, CHAP and ALUA states applied:
            // from here on discovery announces the target and logins to it are accepted
            registry.markReady(target.iqn());
            t.published = p;
            republished++;
        }
    }

    /**
     * What a worker did for one RBD disk ahead of the pass: its reservation factory (or why not) and its device (or
     * why not). Taken by the LUN that needs it first; what no LUN took is closed. The opener's check (which may
     * disable the image's exclusive lock) stays on the reconciler's thread, one disk at a time as before: done
     * from 16 threads on two gateways provisioning the same new images at once, one such update hung in librbd
     * for minutes (bench/scale.sh --rbd-disks 256, 2026-12-05).
     */
    private final class Prefetched {
        final Disk spec;
        final CompletableFuture<Function<UnitAttentions, Reservations>> reservations;
        final CompletableFuture<BlockDevice> device;
        boolean taken;

        Prefetched(Disk spec, LunReservations r, int tag, ExecutorService pool) {
            this.spec = spec;
            this.reservations = supply(() -> r.open(spec, tag), pool);
            this.device = supply(() -> opener.open(spec), pool);
        }

        /** The result of {@code f}, waited for with a bound; rethrows what it threw (an Error as itself). */
        <T> T await(CompletableFuture<T> f, long deadline) throws Exception {
            try {
                return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw e.getCause() instanceof Exception ex ? ex : e;
            } catch (TimeoutException e) {
                throw new IOException("still opening after " + OPEN_WAIT.toSeconds() + " s", e);
            }
        }

        /** Closes the device unless a LUN took it (also once it opens, if it is still opening). */
        void discard() {
            if (!taken) {
                taken = true;
                device.thenAccept(d -> {
                    try {
                        d.close();
                    } catch (Exception e) {
                        log.warn("closing disk {} opened ahead but not used: {}", spec.id(), e.toString());
                    }
                });
            }
        }
    }

    private interface Work<T> {
        T run() throws Exception;
    }

    private static <T> CompletableFuture<T> supply(Work<T> work, ExecutorService pool) {
        CompletableFuture<T> f = new CompletableFuture<>();
        pool.execute(() -> {
            try {
                f.complete(work.run());
            } catch (Throwable t) { // an Error too: rethrown on the reconciler's thread, as if it ran there
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    /**
     * Starts opening the RBD disks that LUNs added by {@code plan} export and that are not open, with their
     * reservation state, at most {@link #OPEN_CONCURRENCY} at once; nothing for fewer than two (as before).
     */
    private Map<String, Prefetched> openAhead(ClusterConfig c, ReconcilePlan plan, int tag) {
        Map<String, Disk> wanted = new LinkedHashMap<>();
        plan.targets()
                .values()
                .forEach(changes -> changes.added().values().forEach(id -> {
                    if (!disks.containsKey(id)) {
                        c.disk(id)
                                .filter(d -> d.backstore() == Backstore.RBD)
                                .ifPresent(d -> wanted.putIfAbsent(id, d));
                    }
                }));
        if (wanted.size() < 2) {
            return new HashMap<>();
        }
        step = "opening " + wanted.size() + " disks";
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(OPEN_CONCURRENCY, wanted.size()), r -> {
            Thread t = new Thread(r, "disk-open-" + gatewayName + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        LunReservations r = reservations;
        Map<String, Prefetched> ahead = new HashMap<>();
        wanted.forEach((id, spec) -> ahead.put(id, new Prefetched(spec, r, tag, pool)));
        pool.shutdown(); // its threads end once the queue is done
        log.info(
                "opening {} RBD disks with their reservation state, {} at a time",
                wanted.size(),
                Math.min(OPEN_CONCURRENCY, wanted.size()));
        return ahead;
    }

    private void applyLuns(
            ClusterConfig c,
            Target target,
            LiveTarget t,
            ReconcilePlan.TargetChanges changes,
            int tag,
            Map<String, String> problems,
            Map<String, Prefetched> ahead) {
        for (Integer n : changes.removed()) {
            LiveLun l = t.luns.get(n);
            removeLun(t, n, false);
            log.info("target {}: LUN {} ({}) removed", target.iqn(), n, l.diskId());
        }
        t.scsi.setMasking(ConfigLunMasking.of(c, target));
        t.scsi.retainSuspended(c.luns(target.iqn()).stream().map(Lun::number).toList());
        for (Map.Entry<Integer, String> w : changes.added().entrySet()) {
            int n = w.getKey();
            step = "target " + target.iqn() + " LUN " + n + " (disk " + w.getValue() + ")";
            Disk spec = c.disk(w.getValue()).orElseThrow(); // the model guarantees it
            Prefetched pre = ahead.get(spec.id());
            if (pre != null && (pre.taken || !pre.spec.equals(spec))) {
                pre = null; // a second LUN of the disk: it opens its own reservation store, the disk is open
            }
            Function<UnitAttentions, Reservations> luReservations;
            long deadline = System.nanoTime() + OPEN_WAIT.toNanos();
            try {
                luReservations = pre != null ? pre.await(pre.reservations, deadline) : reservations.open(spec, tag);
            } catch (Exception e) {
                problems.put("disk " + spec.id(), "reservation state unreadable: " + e);
                log.error(
                        "cannot read the reservation state of disk {} ({}); its LUNs are not served by gateway {} "
                                + "until it can (retrying)",
                        spec.id(),
                        e.toString(),
                        gatewayName);
                if (pre != null) {
                    pre.discard(); // as before: a LUN whose reservation state is unreadable opens no disk
                }
                t.scsi.suspendLun(n);
                continue;
            }
            OpenDisk d = acquire(spec, problems, pre, deadline);
            if (d == null) {
                // reported by acquire; retried on the next pass. Meanwhile the LUN is listed and answers not
                // ready (02/04/0A, retryable), never LOGICAL UNIT NOT SUPPORTED (a host's permanent device loss)
                t.scsi.suspendLun(n);
                continue;
            }
            ClusterTargetPortGroups tpgs = new ClusterTargetPortGroups(tag, TRANSITION_SECONDS);
            tpgs.update(tag, groups(c, spec.id(), tag)); // before any nexus sees the unit: no 2A/06 for it
            LogicalUnit lu =
                    new LogicalUnit(n, d.device, LuIdentity.fromDeviceIdentity(spec.wwnSeed()), luReservations, tpgs);
            lu.writeGate(d.gate);
            lu.rodTokens(rodTokens);
            lu.copyBuffers(copyBuffers);
            tpgs.attach(lu.unitAttentions());
            d.users.add(lu);
            t.luns.put(n, new LiveLun(spec.id(), lu, tpgs));
            observer.lunAdded(target.iqn(), n, spec.id(), lu, tpgs); // before it serves: stats bound once
            t.scsi.addLun(lu);
            log.info("target {}: LUN {} exports {}", target.iqn(), n, spec.id());
        }
    }

    /** The open disk {@code spec}, opened now or taken from {@code pre} (opened ahead); null if it cannot be. */
    private OpenDisk acquire(Disk spec, Map<String, String> problems, Prefetched pre, long deadline) {
        OpenDisk d = disks.get(spec.id());
        if (d != null) {
            if (d.checkedIn != passes) {
                check(spec, d, problems);
            }
            return d;
        }
        BlockDevice device;
        try {
            if (pre != null) {
                pre.taken = true;
                device = pre.await(pre.device, deadline);
            } else {
                device = opener.open(spec);
            }
        } catch (Exception e) {
            if (pre != null) {
                pre.taken = false;
                pre.discard(); // one that opens after the wait is closed
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            String why = e.getMessage() != null ? e.getMessage() : e.toString();
            problems.put("disk " + spec.id(), why);
            log.error(
                    "cannot open disk {} ({}): {}; its LUNs are not served by gateway {} until it opens "
                            + "(retrying every {} s)",
                    spec.id(),
                    describe(spec),
                    why,
                    gatewayName,
                    retryInterval.toSeconds());
            return null;
        }
        OpenDisk opened = new OpenDisk(spec, device);
        check(spec, opened, problems);
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
        log.info(
                "disk {} open ({}), {} bytes",
                spec.id(),
                describe(spec),
                device.info().sizeBytes());
        return opened;
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
        if (spec.backstore() != Backstore.FILE
                || !(d.device instanceof FileBlockDevice file)
                || spec.size() <= file.info().sizeBytes()) {
            return;
        }
        long was = file.info().sizeBytes();
        try {
            if (file.grow(spec.size())) {
                d.users.forEach(LogicalUnit::capacityChanged);
                log.info(
                        "disk {} grown online from {} to {} bytes; hosts are told CAPACITY DATA HAS CHANGED",
                        spec.id(),
                        was,
                        file.info().sizeBytes());
            }
        } catch (IOException e) {
            problems.put("disk " + spec.id(), "cannot grow to " + spec.size() + " bytes: " + e.getMessage());
            log.error(
                    "cannot grow disk {} ({}) from {} to {} bytes: {}; its LUNs keep the old size (retrying every "
                            + "{} s)",
                    spec.id(),
                    describe(spec),
                    was,
                    spec.size(),
                    e.getMessage(),
                    retryInterval.toSeconds());
        }
    }

    /**
     * Closes the open disks that match {@code which}; their LUNs stay listed but not ready (02/04/0A, never
     * 05/25/00) until the next pass opens them anew.
     */
    void closeDisks(Predicate<Disk> which) {
        Map<String, OpenDisk> closing = new LinkedHashMap<>();
        disks.forEach((id, d) -> {
            if (which.test(d.spec)) {
                closing.put(id, d);
            }
        });
        removeLunsOf(closing.keySet(), true);
        closing.forEach((id, d) -> close(id, disks.remove(id)));
    }

    /** Takes every LUN of disk {@code id} out of the targets, then closes the disk. */
    private void closeDisk(String id, boolean suspendLuns) {
        removeLunsOf(Set.of(id), suspendLuns);
        close(id, disks.remove(id));
    }

    /** Takes every LUN of the disks {@code ids} out of the targets, in one sweep over them. */
    private void removeLunsOf(Set<String> ids, boolean suspendLuns) {
        for (LiveTarget t : live.values()) {
            for (Integer n : new ArrayList<>(t.luns.keySet())) {
                if (ids.contains(t.luns.get(n).diskId())) {
                    removeLun(t, n, suspendLuns);
                }
            }
        }
    }

    /** The target leaves the registry (no new logins), its sessions are closed and its LUNs released. */
    private void withdraw(String iqn) {
        registry.remove(iqn);
        sessions.closeTarget(iqn);
        LiveTarget t = live.get(iqn);
        for (Integer n : new ArrayList<>(t.luns.keySet())) {
            removeLun(t, n, false);
        }
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

    /** Targets re-published by the last {@link #apply} (the others were unchanged). */
    int republished() {
        return republished;
    }

    /**
     * After a configuration pass: the ALUA states of every live LUN again only if their inputs (gateways, port
     * group, ownership snapshot, known or not) changed since they were applied; LUNs the pass added got theirs when
     * they were created. How many LUNs changed.
     */
    int applyAluaIfChanged(ClusterConfig c) {
        aluaRecomputed = 0;
        if (aluaInputs(c).equals(aluaApplied)) {
            return 0;
        }
        return applyAlua(c);
    }

    /** LUNs whose ALUA states the last {@link #applyAluaIfChanged} or {@link #applyAlua} recomputed. */
    int aluaRecomputed() {
        return aluaRecomputed;
    }

    private AluaInputs aluaInputs(ClusterConfig c) {
        int tag = c.gateway(gatewayName).map(Gateway::targetPortGroup).orElse(1);
        return new AluaInputs(c.gateways(), tag, alua.get(), aluaUnknown);
    }

    /** Applies the ALUA states of {@code c} and the latest snapshot to every live LUN; how many LUNs changed. */
    int applyAlua(ClusterConfig c) {
        AluaInputs inputs = aluaInputs(c);
        int tag = inputs.tag();
        int changed = 0;
        int recomputed = 0;
        for (LiveTarget t : live.values()) {
            for (LiveLun l : t.luns.values()) {
                if (l.alua().update(tag, groups(c, l.diskId(), tag))) {
                    changed++;
                }
                recomputed++;
            }
        }
        aluaApplied = inputs;
        aluaRecomputed = recomputed;
        return changed;
    }

    private List<Group> groups(ClusterConfig c, String diskId, int tag) {
        return AluaStates.groups(c, alua.get(), gatewayName, diskId, tag, aluaUnknown);
    }

    /** The ALUA states of a live LUN; empty when the LUN is not live. */
    Optional<ClusterTargetPortGroups> aluaOf(String iqn, int lun) {
        LiveTarget t = live.get(iqn);
        LiveLun l = t == null ? null : t.luns.get(lun);
        return Optional.ofNullable(l).map(LiveLun::alua);
    }

    /** Withdraws every target (their sessions are closed) and closes every disk. */
    void closeAll() {
        for (String iqn : live.keySet()) {
            withdraw(iqn);
        }
        live.clear();
        disks.forEach(this::close);
        disks.clear();
    }
}
