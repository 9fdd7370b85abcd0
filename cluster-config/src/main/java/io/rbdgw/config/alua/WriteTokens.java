package io.rbdgw.config.alua;

import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import java.io.Closeable;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This gateway's side of the per-disk write tokens ({@link WriteToken} at {@code writer/<pool>@<image>}): at
 * most one gateway executes medium writes to a disk at a time, so a write a host timed out on one gateway and
 * retried through another can never land after the retry.
 *
 * <p>Protocol (every change is a CAS on the znode's version):
 * <ul>
 *   <li>A gateway with a write waiting and no token posts a request in the record. The holder
 *       {@linkplain WriteTokenHolder#revoke stops admitting writes}, waits until the writes it admitted have
 *       completed in the backend ({@link WriteTokenHolder#whenIdle}), then writes the requester in as holder.</li>
 *   <li>If the holder has not handed over {@code handoverTimeout} after the request (frozen, dead, cut off from
 *       ZooKeeper, or waiting on a slow OSD), the requester fences the RADOS client address recorded in the
 *       token (the {@link Fencer} returns once its own client has the OSD map with the blocklist, so every OSD
 *       that sees its writes rejects the old holder's), records the fence at {@code fenced/<holder>}, and takes
 *       the token.</li>
 *   <li>A gateway that holds the token in ZooKeeper under another client address (restarted, or reconnected
 *       after a fence) fences that address before it writes again.</li>
 *   <li>Hysteresis: after the token changed hands, a gateway that is not the disk's ALUA owner asks for it only
 *       {@code minHold} later; the owner may ask at once. A host sending writes round-robin through two gateways
 *       therefore moves a token at most twice per {@code minHold}.</li>
 *   <li>ZooKeeper unreachable (SUSPENDED, LOST): the holder keeps writing (nobody can take the token without
 *       ZooKeeper, except by fencing it); a gateway without the token cannot get it. On RECONNECTED every
 *       record is read again.</li>
 * </ul>
 *
 * <p>All state lives on one thread ({@code write-tokens}); {@link WriteTokenHolder} calls come from it.
 * Correctness depends on no clock: the timeouts only decide when a contender stops waiting and fences.
 */
public final class WriteTokens implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(WriteTokens.class);

    /**
     * @param handoverTimeout how long a contender waits for the holder to hand over before it fences it
     * @param minHold         how long a token stays with a gateway that got it before a non-owner may ask for it
     */
    /**
     * @param reconnectGrace  after this gateway's ZooKeeper connection comes back, how long a holder is given to
     *                        come back too before it is fenced for not handing over: every client reconnects in
     *                        its own time (Curator's back-off), so a holder that is merely still reconnecting must
     *                        not be fenced. The ZooKeeper session timeout: by then the holder has reconnected or
     *                        its session has expired.
     */
    public record Options(Duration handoverTimeout, Duration minHold, Duration reconnectGrace) {
        public static final Options DEFAULT = new Options(Duration.ofSeconds(1), Duration.ofSeconds(2));

        public Options {
            if (handoverTimeout.isNegative()
                    || handoverTimeout.isZero()
                    || minHold.isNegative()
                    || reconnectGrace.isNegative()) {
                throw new IllegalArgumentException(
                        "the hand-over timeout must be positive, the hold and the " + "reconnect grace not negative");
            }
        }

        public Options(Duration handoverTimeout, Duration minHold) {
            this(handoverTimeout, minHold, Duration.ZERO);
        }
    }

    /** This gateway's current RADOS client address (null when it has none). */
    @FunctionalInterface
    public interface AddressSource {
        String current() throws Exception;
    }

    /** What this gateway knows of one disk it serves. */
    private enum Phase {
        IDLE,
        HELD,
        HANDING_OVER
    }

    private static final class Local {
        final WriteTokenHolder holder;
        Phase phase = Phase.IDLE;
        long epoch;
        boolean wanted;
        /** When our pending request was posted (0: none), and for which token epoch. */
        long requestedAtNanos;

        long requestedEpoch;
        /** The last holder/epoch seen and when it changed (hysteresis); null until first seen. */
        String seenHolder;

        long seenEpoch;
        long changedAtNanos;

        Local(WriteTokenHolder holder) {
            this.holder = holder;
        }
    }

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final String self;
    private final Options options;
    private final Fencer fencer;
    private final AddressSource address;
    private final Predicate<String> aluaOwner;
    private final Documents docs = new Documents();
    private final CuratorCache cache;
    private final ScheduledExecutorService executor;
    private final Map<String, Local> locals = new HashMap<>(); // executor thread only
    /** When our ZooKeeper connection last came back (0: not since start); holders get a grace from then. */
    private volatile long reconnectedAtNanos;

    private final ConnectionStateListener connectionListener;

    /**
     * @param self      this gateway's name
     * @param fencer    blocklists a holder that does not hand over (returns once the OSD map carrying it is current)
     * @param address   this gateway's RADOS client address
     * @param aluaOwner whether this gateway is the ALUA owner of a disk (exempt from the hysteresis)
     */
    public WriteTokens(
            CuratorFramework client,
            ZkLayout layout,
            String self,
            Options options,
            Fencer fencer,
            AddressSource address,
            Predicate<String> aluaOwner) {
        this.client = client;
        this.layout = layout;
        this.self = self;
        this.options = options;
        this.fencer = fencer;
        this.address = address;
        this.aluaOwner = aluaOwner;
        this.cache = CuratorCache.build(client, layout.writers());
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "write-tokens " + self);
            t.setDaemon(true);
            return t;
        });
        this.connectionListener = (c, state) -> {
            if (state == ConnectionState.RECONNECTED) {
                reconnectedAtNanos = System.nanoTime();
                post(() -> locals.keySet().forEach(this::evaluate));
                // After a new session the cache re-installs its watch and re-reads: a request a contender writes
                // in that window can reach this holder late or not at all, and the contender fences it after the
                // hand-over timeout (seen in ZooKeeperOutageIT: a request 36 ms after RECONNECTED, seen 3 s later).
                // Looking again within the timeout costs one read per disk and closes the window.
                for (long f : new long[] {4, 2}) {
                    try {
                        executor.schedule(
                                () -> locals.keySet().forEach(this::evaluate),
                                Math.max(1, options.handoverTimeout().toMillis() / f),
                                TimeUnit.MILLISECONDS);
                    } catch (RejectedExecutionException closed) {
                        // closing
                    }
                }
            } else if (state == ConnectionState.LOST || state == ConnectionState.SUSPENDED) {
                log.info("ZooKeeper {}: write tokens held stay held, none can be acquired until it is back", state);
            }
        };
    }

    public void start() {
        cache.listenable().addListener((type, oldData, data) -> changed(data != null ? data : oldData));
        client.getConnectionStateListenable().addListener(connectionListener);
        cache.start();
    }

    /** A gate for {@code disk} opened (it starts without the token). */
    public void register(String disk, WriteTokenHolder holder) {
        post(() -> {
            Local old = locals.put(disk, new Local(holder));
            if (old != null && old.phase != Phase.IDLE) {
                old.holder.revoke();
            }
        });
    }

    /** The gate is gone (after its device closed: nothing of it is in flight). */
    public void unregister(String disk, WriteTokenHolder holder) {
        post(() -> {
            Local l = locals.get(disk);
            if (l != null && l.holder == holder) {
                locals.remove(disk);
            }
        });
    }

    /** A write is waiting for the token of {@code disk}. Cheap and idempotent. */
    public void want(String disk) {
        post(() -> {
            Local l = locals.get(disk);
            if (l != null && l.phase != Phase.HELD && !l.wanted) {
                l.wanted = true;
                evaluate(disk);
            }
        });
    }

    /**
     * This gateway's RADOS client is being replaced (it was fenced): forget every token held, so that no write
     * runs before the token is taken again under the new client.
     */
    public void dropAll() {
        post(() -> locals.values().forEach(l -> {
            if (l.phase != Phase.IDLE) {
                l.holder.revoke();
                l.phase = Phase.IDLE;
            }
        }));
    }

    /** Runs {@code r} on the tokens' thread once everything posted before it ran (tests). */
    public void sync(Runnable r) {
        post(r);
    }

    private void changed(ChildData d) {
        if (d == null || !ZKPaths.getPathAndNode(d.getPath()).getPath().equals(layout.writers())) {
            return;
        }
        String disk;
        try {
            disk = ZkLayout.diskId(ZKPaths.getNodeFromPath(d.getPath()));
        } catch (IllegalArgumentException bad) {
            return;
        }
        post(() -> {
            if (locals.containsKey(disk)) {
                evaluate(disk);
            } else if (d.getData() != null && d.getData().length > 0) {
                // a disk this gateway does not serve (any more): hand over a token still recorded as ours
                try {
                    WriteToken t = docs.read(d.getPath(), d.getData(), WriteToken.class)
                            .value();
                    if (self.equals(t.holder()) && t.requestedBy() != null) {
                        evaluate(disk);
                    }
                } catch (RuntimeException e) {
                    log.warn("ignoring unreadable write token {}: {}", d.getPath(), e.toString());
                }
            }
        });
    }

    private record Versioned(WriteToken token, int version) {}

    private Versioned read(String disk) throws Exception {
        String path = layout.writer(disk);
        Stat stat = new Stat();
        try {
            byte[] data = client.getData().storingStatIn(stat).forPath(path);
            return new Versioned(docs.read(path, data, WriteToken.class).value(), stat.getVersion());
        } catch (KeeperException.NoNodeException none) {
            return null;
        }
    }

    /** CAS; false when the record changed meanwhile. */
    private boolean write(WriteToken t, int version) throws Exception {
        String path = layout.writer(t.disk());
        try {
            if (version < 0) {
                client.create().creatingParentsIfNeeded().forPath(path, docs.write(t));
            } else {
                client.setData().withVersion(version).forPath(path, docs.write(t));
            }
            return true;
        } catch (KeeperException.BadVersionException
                | KeeperException.NodeExistsException
                | KeeperException.NoNodeException raced) {
            return false;
        }
    }

    /** Looks at the disk's record and takes the one step this gateway owes or wants. Executor thread only. */
    private void evaluate(String disk) {
        Local l = locals.get(disk);
        try {
            step(disk, l);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                return;
            }
            log.warn("write token of disk {}: {}; retrying", disk, e.toString());
            if (l != null && l.wanted) {
                later(disk, Math.min(500, options.handoverTimeout().toMillis()));
            }
        }
    }

    private void step(String disk, Local l) throws Exception {
        Versioned r = read(disk);
        if (r == null) {
            if (l != null && l.phase != Phase.IDLE) {
                lose(disk, l, "its record is gone");
            }
            if (l != null && l.wanted) {
                String me = address.current();
                if (write(new WriteToken(disk, self, me, 1, null, null), -1)) {
                    grant(disk, l, 1, "created");
                } else {
                    post(() -> evaluate(disk));
                }
            }
            return;
        }
        WriteToken t = r.token();
        long now = System.nanoTime();
        if (l != null && (!Objects.equals(t.holder(), l.seenHolder) || t.epoch() != l.seenEpoch)) {
            // the first sight is no change: the hysteresis is about hand-overs this gateway saw happen
            l.changedAtNanos = l.seenHolder == null ? now - options.minHold().toNanos() - 1 : now;
            l.seenHolder = t.holder();
            l.seenEpoch = t.epoch();
        }
        if (self.equals(t.holder())) {
            holderStep(disk, l, t, r.version());
        } else {
            contenderStep(disk, l, t, r.version(), now);
        }
    }

    /** The record names this gateway. */
    private void holderStep(String disk, Local l, WriteToken t, int version) throws Exception {
        if (l != null && l.phase == Phase.HANDING_OVER) {
            return; // finishHandover decides
        }
        if (l != null && l.phase == Phase.HELD) {
            if (t.requestedBy() != null && !self.equals(t.requestedBy())) {
                startHandover(disk, l, t);
            }
            return;
        }
        String me = address.current();
        boolean sameClient = me != null && me.equals(t.radosAddress());
        if (l != null && l.wanted) {
            if (!sameClient && t.radosAddress() != null) {
                // recorded under an earlier client of ours (restart, reconnect): its writes may still be on the way
                log.warn(
                        "disk {}: the write token is recorded under this gateway's earlier RADOS client {}; fencing "
                                + "it before writing with {}",
                        disk,
                        t.radosAddress(),
                        me);
                fence(self, t.radosAddress());
            }
            if (write(t.heldBy(self, me), version)) {
                grant(disk, l, t.epoch() + 1, "re-taken");
            } else {
                post(() -> evaluate(disk));
            }
            return;
        }
        if (t.requestedBy() != null && !self.equals(t.requestedBy()) && sameClient) {
            // no gate holds it here, so nothing of ours is in flight under this client: hand over at once
            if (write(t.heldBy(t.requestedBy(), t.requesterAddress()), version)) {
                log.info(
                        "disk {}: write token handed over to {} (epoch {}; no write was running here)",
                        disk,
                        t.requestedBy(),
                        t.epoch() + 1);
            } else {
                post(() -> evaluate(disk));
            }
        }
    }

    private void startHandover(String disk, Local l, WriteToken t) {
        l.phase = Phase.HANDING_OVER;
        long epoch = l.epoch;
        String to = t.requestedBy();
        long started = System.nanoTime();
        l.holder.revoke();
        l.holder.whenIdle(() -> post(() -> finishHandover(disk, l, epoch, to, started)));
    }

    private void finishHandover(String disk, Local l, long epoch, String to, long started) {
        if (locals.get(disk) != l || l.phase != Phase.HANDING_OVER || l.epoch != epoch) {
            return;
        }
        try {
            Versioned r = read(disk);
            WriteToken t = r == null ? null : r.token();
            if (t == null || !self.equals(t.holder())) {
                lose(disk, l, t == null ? "its record is gone" : "it was taken by " + t.holder());
            } else if (t.requestedBy() == null || self.equals(t.requestedBy())) {
                grant(disk, l, t.epoch(), "kept (the request was withdrawn)");
            } else if (write(t.heldBy(t.requestedBy(), t.requesterAddress()), r.version())) {
                l.phase = Phase.IDLE;
                log.info(
                        "disk {}: write token handed over to {} (epoch {}) after {} ms; writes here wait for it",
                        disk,
                        t.requestedBy(),
                        t.epoch() + 1,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                if (l.wanted) {
                    post(() -> evaluate(disk));
                }
            } else {
                post(() -> finishHandover(disk, l, epoch, to, started));
            }
        } catch (Exception e) {
            log.warn("disk {}: handing the write token over to {}: {}; retrying", disk, to, e.toString());
            executor.schedule(() -> finishHandover(disk, l, epoch, to, started), 200, TimeUnit.MILLISECONDS);
        }
    }

    /** Another gateway holds the token. */
    private void contenderStep(String disk, Local l, WriteToken t, int version, long now) throws Exception {
        if (l == null) {
            return;
        }
        if (l.phase != Phase.IDLE) {
            lose(disk, l, "it was taken by " + t.holder() + " (epoch " + t.epoch() + ")");
        }
        if (!l.wanted) {
            return;
        }
        long holdLeft = l.changedAtNanos + options.minHold().toNanos() - now;
        if (holdLeft > 0 && !aluaOwner.test(disk)) {
            later(disk, TimeUnit.NANOSECONDS.toMillis(holdLeft) + 1);
            return;
        }
        if (!self.equals(t.requestedBy()) || l.requestedAtNanos == 0 || l.requestedEpoch != t.epoch()) {
            String me = address.current();
            if (!self.equals(t.requestedBy()) || !Objects.equals(me, t.requesterAddress())) {
                if (!write(t.requested(self, me), version)) {
                    post(() -> evaluate(disk));
                    return;
                }
            }
            l.requestedAtNanos = now;
            l.requestedEpoch = t.epoch();
            log.info("disk {}: asked {} for the write token (epoch {})", disk, t.holder(), t.epoch());
            later(disk, options.handoverTimeout().toMillis() + 1);
            return;
        }
        long waitLeft = l.requestedAtNanos + options.handoverTimeout().toNanos() - now;
        long reconnected = reconnectedAtNanos;
        if (reconnected != 0) {
            // the holder may still be reconnecting (seen: 1 s after us, its hand-over 50 ms after our fence)
            waitLeft = Math.max(waitLeft, reconnected + options.reconnectGrace().toNanos() - now);
        }
        if (waitLeft > 0) {
            later(disk, TimeUnit.NANOSECONDS.toMillis(waitLeft) + 1);
            return;
        }
        log.warn(
                "disk {}: gateway {} did not hand over the write token within {} ms (frozen, cut off, or waiting "
                        + "on a slow OSD); fencing its RADOS client {} before writing",
                disk,
                t.holder(),
                options.handoverTimeout().toMillis(),
                t.radosAddress());
        fence(t.holder(), t.radosAddress());
        String me = address.current();
        if (write(t.heldBy(self, me), version)) {
            grant(disk, l, t.epoch() + 1, "taken after fencing " + t.holder());
        } else {
            post(() -> evaluate(disk)); // it handed over meanwhile, or another contender won
        }
    }

    private void fence(String gateway, String radosAddress) throws Exception {
        fencer.fence(gateway, radosAddress);
        if (radosAddress != null) {
            FenceRecords.record(client, layout, docs, gateway, radosAddress, self);
        }
    }

    private void grant(String disk, Local l, long epoch, String how) {
        l.phase = Phase.HELD;
        l.epoch = epoch;
        l.wanted = false;
        l.requestedAtNanos = 0;
        log.info("disk {}: write token {} (epoch {})", disk, how, epoch);
        l.holder.grant(epoch);
    }

    private void lose(String disk, Local l, String why) {
        log.warn(
                "disk {}: this gateway lost the write token: {}; no write runs here until it is taken again",
                disk,
                why);
        l.holder.revoke();
        l.phase = Phase.IDLE;
    }

    private void later(String disk, long millis) {
        try {
            executor.schedule(() -> evaluate(disk), Math.max(1, millis), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // closing
        }
    }

    private void post(Runnable r) {
        try {
            executor.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.error("write tokens: {}", e.toString(), e);
                }
            });
        } catch (RejectedExecutionException closed) {
            // closing
        }
    }

    @Override
    public void close() {
        client.getConnectionStateListenable().removeListener(connectionListener);
        cache.close();
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
