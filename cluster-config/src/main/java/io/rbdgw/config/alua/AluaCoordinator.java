package io.rbdgw.config.alua;

import io.rbdgw.config.alua.AluaWatcher.Versioned;
import io.rbdgw.config.alua.OwnershipPolicy.Member;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.store.ConfigStoreException;
import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.PipelinedReads;
import io.rbdgw.config.store.ZkLayout;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.watch.PersistentWatcher;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ALUA coordinator: every gateway runs one; the one holding the leader latch decides which gateway owns
 * each disk (the policy, without ZooKeeper: {@link OwnershipPolicy} and {@link Assignment}) and writes
 * {@code alua/<disk>} documents, all changes of a pass in one
 * transaction that also checks the leader's latch node, so a coordinator that lost its session writes nothing.
 *
 * <p>A member that disappears (or comes back as another process: a new {@code startedAtMillis}) is lost: it is
 * fenced through the {@link Fencer} before any of its disks is given to another gateway; until fencing succeeds
 * its disks stay where they are and fencing is retried. A member that appears gets disks only after the
 * settling delay (no thrashing while a gateway flaps); a member with a {@code drain/<name>} node gets none and
 * gives its disks away. Members already present when a coordinator becomes leader are settled at once.
 * Every fencing is recorded at {@code fenced/<name>} ({@link FenceRecord}) so the fenced gateway learns of it.
 *
 * <p>Only a coordinator that kept its own session while a member's ended can tell that the member was cut off.
 * When the whole ensemble was down for longer than the session timeout every session ended, every gateway kept
 * serving, and a coordinator elected afterwards sees owners that have not re-registered yet. So a coordinator
 * whose own session was lost does not judge anyone lost right after its election: it leaves ownership as it is
 * until every recorded owner is a member again through a session newer than the outage (the restarted ensemble
 * keeps the old sessions' nodes for one more session timeout; their session ids were seen before the loss), or
 * at most the rejoin grace (twice the session timeout after its reconnection); only owners still absent then
 * are fenced and lose their disks.
 *
 * <p>This class holds the ZooKeeper side: leadership, the watches that trigger a pass, reading members and
 * ownership, fencing, and the checked transaction. All decisions run on the coordinator's own thread; ZooKeeper
 * changes only trigger a pass.
 */
public final class AluaCoordinator implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(AluaCoordinator.class);

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final String self;
    private final Fencer fencer;
    private final long retryMillis;
    private final Documents docs = new Documents();
    private final LeaderLatch latch;
    private final List<CuratorCache> triggers = new ArrayList<>();
    // the configured disks matter as a set of names only: a watch on their parent, no copy of every document
    private final PersistentWatcher diskSet;
    private final ScheduledExecutorService executor;
    private final AtomicBoolean queued = new AtomicBoolean();
    private final AtomicLong ownershipRead = new AtomicLong();
    private volatile boolean closed;
    // this client's session history: an election soon after a lost session may follow an ensemble outage
    private volatile boolean sessionLost;
    private volatile long recoveredAt; // nanoTime of the reconnection after the last lost session; 0: none
    // sessions seen owning member nodes (this one's included) since the last loss; at a loss they become stale:
    // the restarted ensemble keeps their nodes until they expire, one session timeout later
    private final Set<Long> memberSessions = ConcurrentHashMap.newKeySet();
    private volatile Set<Long> staleSessions = Set.of();
    private final ConnectionStateListener sessions = (c, state) -> {
        if (state == ConnectionState.LOST) {
            sessionLost = true;
            Set<Long> stale = new HashSet<>(memberSessions);
            memberSessions.clear();
            staleSessions = stale;
        } else if (state.isConnected()) {
            try {
                memberSessions.add(c.getZookeeperClient().getZooKeeper().getSessionId());
            } catch (Exception e) {
                // not connected after all; the next state change tells
            }
            if (sessionLost) {
                sessionLost = false;
                recoveredAt = System.nanoTime() | 1;
            }
        }
    };

    // coordinator thread only: the last pass found ZooKeeper not showing this gateway leading in its current session
    private boolean staleLeadership;
    // coordinator thread only; reset when leadership is gained
    private boolean leading;
    // coordinator thread only: the session of the election whose baseline the policy's view of the members comes from
    private long viewSession;
    private boolean staleView;
    private final OwnershipPolicy policy;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /** Told about the ownership moves of each committed pass (on the coordinator's thread; must not block). */
    @FunctionalInterface
    public interface Listener {
        void moved(List<FailoverEvent> events);
    }

    // the ownership documents as a watcher of this gateway already holds them (null: read them every pass)
    private volatile AluaWatcher watched;
    // coordinator thread only: the next pass reads ownership from ZooKeeper (the cache was behind a write)
    private boolean readFresh;
    // coordinator thread only: the versions this coordinator's last writes produced, by disk (-1: deleted), until
    // the watcher's cache shows them; a decision on a cache without them would undo or repeat them
    private final Map<String, Integer> ownWrites = new HashMap<>();
    private long ownWritesSince;

    /** How long the cache may take to show this coordinator's own writes before a pass reads ZooKeeper instead. */
    static final long CACHE_CATCH_UP_MILLIS = 2000;

    // tests: runs in each pass between taking the session and the first read, to hold a pass across a session's end
    volatile Runnable beforeReads;

    private long pendingUntil;
    private boolean baselinePending; // elected, first full pass not done yet
    private long holdUntil; // after an outage: nobody is judged lost before this (nanoTime)
    private boolean holding;

    /**
     * @param self        this gateway's name (the latch participant id)
     * @param settleDelay how long a (re)joining gateway waits before it is given disks
     * @param retryDelay  how soon a failed fencing or write is retried
     */
    public AluaCoordinator(
            CuratorFramework client,
            ZkLayout layout,
            String self,
            Fencer fencer,
            Duration settleDelay,
            Duration retryDelay) {
        this.client = client;
        this.layout = layout;
        this.self = self;
        this.fencer = fencer;
        this.policy = new OwnershipPolicy(settleDelay.toNanos());
        this.retryMillis = Math.max(10, retryDelay.toMillis());
        this.diskSet = new PersistentWatcher(client, layout.disks(), false);
        this.latch = new LeaderLatch(client, layout.coordinator(), self, LeaderLatch.CloseMode.NOTIFY_LEADER);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "alua coordinator " + self);
            t.setDaemon(true);
            return t;
        });
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    /**
     * Takes the ownership documents from {@code watcher} (which this gateway runs anyway) instead of reading every
     * one of them in each pass: a coordinator elected after a failure then decides at once, whatever the number of
     * disks. The cache may lag ZooKeeper; every write is checked against the versions it holds, and a pass whose
     * write finds a newer version is run again at once on documents read from ZooKeeper. Before {@link #start}.
     */
    public void ownershipFrom(AluaWatcher watcher) {
        this.watched = watcher;
        // a decision made on a cache that was behind is made again once the cache has caught up
        watcher.addListener(snapshot -> kick());
    }

    public void start() throws Exception {
        latch.addListener(
                new LeaderLatchListener() {
                    @Override
                    public void isLeader() {
                        leading = true;
                        policy.elected();
                        ownWrites.clear();
                        pendingUntil = 0;
                        long recovered = recoveredAt;
                        long now = System.nanoTime();
                        long grace = rejoinGraceNanos();
                        holding = recovered != 0 && now - (recovered + grace) < 0;
                        holdUntil = recovered + grace;
                        if (holding) {
                            log.warn(
                                    "gateway {} is the ALUA coordinator after its own ZooKeeper session was lost (ZooKeeper "
                                            + "outage?): ownership stays as it is until every owner has re-registered, at most {} ms; "
                                            + "only owners still absent then are fenced",
                                    self,
                                    TimeUnit.NANOSECONDS.toMillis(holdUntil - now));
                        } else {
                            log.info("gateway {} is the ALUA coordinator", self);
                        }
                        pass(true);
                    }

                    @Override
                    public void notLeader() {
                        leading = false;
                        log.info("gateway {} is no longer the ALUA coordinator", self);
                    }
                },
                executor);
        client.getConnectionStateListenable().addListener(sessions);
        diskSet.getListenable().addListener(event -> kick());
        diskSet.getResetListenable().addListener(this::kick); // re-armed after a new session: changes missed
        diskSet.start();
        for (String path : List.of(layout.members(), layout.drains())) {
            CuratorCache c = CuratorCache.build(client, path);
            boolean members = path.equals(layout.members());
            c.listenable().addListener((type, oldData, data) -> {
                if (members
                        && data != null
                        && data.getStat() != null
                        && data.getStat().getEphemeralOwner() != 0) {
                    memberSessions.add(data.getStat().getEphemeralOwner());
                }
                kick();
            });
            triggers.add(c);
            c.start();
        }
        latch.start();
    }

    /** Ownership documents read from ZooKeeper since the start (tests: a takeover should read none). */
    long ownershipDocumentsRead() {
        return ownershipRead.get();
    }

    /** Whether this gateway currently coordinates. */
    public boolean isLeader() {
        return latch.hasLeadership();
    }

    /** Asks for a pass soon (coalesced). */
    public void kick() {
        if (closed || !queued.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(() -> {
                queued.set(false);
                pass(false);
            });
        } catch (RejectedExecutionException e) {
            queued.set(false);
        }
    }

    private void later(long millis) {
        try {
            executor.schedule(this::kick, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // closing
        }
    }

    private void pass(boolean justElected) {
        if (closed || !leading || !latch.hasLeadership()) {
            return;
        }
        baselinePending |= justElected;
        try {
            if (holding && !rejoined()) {
                return;
            }
            if (rebalance(baselinePending)) {
                baselinePending = false;
            }
        } catch (KeeperException.BadVersionException
                | KeeperException.NodeExistsException
                | KeeperException.NoNodeException stale) {
            // another writer (an earlier coordinator) or a lagging cache: decide again on what ZooKeeper holds
            log.info(
                    "ALUA ownership changed under this pass ({}); deciding again on fresh documents", stale.toString());
            readFresh = true;
            kick();
        } catch (Exception e) {
            log.warn("ALUA coordination pass failed ({}); retrying in {} ms", e.toString(), retryMillis);
            later(retryMillis);
        }
    }

    /**
     * One decision; false when it decided nothing because ZooKeeper does not show this gateway leading through its
     * current session (a baseline stays due).
     */
    private boolean rebalance(boolean justElected) throws Exception {
        long now = System.nanoTime();
        // the session this pass decides in, taken before its reads: a read that outlasts the session (ZooKeeper down
        // for longer than the timeout) returns what the next session shows, and the members would then all look
        // lost-and-rejoined to the policy of the ended leadership, which would fence them all
        long session = client.getZookeeperClient().getZooKeeper().getSessionId();
        Runnable hook = beforeReads;
        if (hook != null) {
            hook.run();
        }
        Map<String, Member> members = readMembers();
        long membersRead = System.nanoTime();
        Member me = members.get(self);
        if (me == null || me.session() != session || !leadsThrough(session)) {
            // ZooKeeper does not show this gateway as the leader in its current session: the session it was elected
            // in ended (Curator tells the latch in a moment; a gateway resuming from a freeze gets here first; its
            // member node may already be back under the new session), or it is shutting down. A pass would find
            // itself lost and fence itself, fence others, or move LUNs on that stale leadership: the real leader
            // decides, or this one once it leads again (the member and latch watches run the pass)
            if (!staleLeadership) {
                staleLeadership = true;
                log.info(
                        "this gateway ({}) is not the registered leader through its current ZooKeeper session: "
                                + "deciding nothing until it is",
                        self);
            }
            return false;
        }
        staleLeadership = false;
        if (justElected) {
            viewSession = session;
        } else if (session != viewSession) {
            // ZooKeeper shows this gateway leading, but through a newer session than the one whose election built the
            // policy's view of the members: that leadership ended (an outage), and the pass of the new election is
            // queued behind this one. Judged by the old view, every member re-registered through a new session
            // would look lost and be fenced; only the new election's pass, from a fresh baseline, judges them
            if (!staleView) {
                staleView = true;
                log.info(
                        "gateway {} leads again through a new ZooKeeper session: deciding nothing until its new "
                                + "election has taken a fresh view of the members",
                        self);
            }
            return false;
        }
        staleView = false;
        AluaWatcher w = watched;
        Map<String, Versioned> cached =
                w == null || readFresh ? null : w.ownership().orElse(null);
        readFresh = false;
        if (cached != null && !caughtUp(cached)) {
            if (System.nanoTime() - ownWritesSince < TimeUnit.MILLISECONDS.toNanos(CACHE_CATCH_UP_MILLIS)) {
                return true; // the watcher's next delivery runs this pass again (or the timer set at the write)
            }
            log.info(
                    "the ALUA watcher has not shown {} of this coordinator's writes after {} ms; reading ZooKeeper",
                    ownWrites.size(),
                    CACHE_CATCH_UP_MILLIS);
            cached = null;
        }
        ownWrites.clear();
        Map<String, Versioned> records = cached != null ? cached : readOwnership();
        if (client.getZookeeperClient().getZooKeeper().getSessionId() != session) {
            return false; // the session ended during the reads: the leadership it carried too (see above)
        }
        long ownershipRead = System.nanoTime();
        Map<String, LunOwnership> documents = new TreeMap<>();
        records.forEach((d, r) -> documents.put(d, r.value()));

        if (justElected) {
            policy.baseline(members, documents, now, System.currentTimeMillis());
        }
        policy.observe(members, documents, now, System.currentTimeMillis());

        boolean retry = false;
        for (Map.Entry<String, String> e : policy.unfenced().entrySet()) {
            try {
                fencer.fence(e.getKey(), e.getValue());
                recordFence(e.getKey(), e.getValue());
                policy.fenced(e.getKey(), System.currentTimeMillis());
                log.info(
                        "gateway {} fenced ({})", e.getKey(), e.getValue() == null ? "no RADOS address" : e.getValue());
            } catch (Exception ex) {
                retry = true;
                log.error(
                        "cannot fence lost gateway {} at {}: {}; its LUNs stay put until it is fenced",
                        e.getKey(),
                        e.getValue(),
                        ex.toString());
            }
        }

        Set<String> draining = children(layout.drains());
        Set<String> disks = new TreeSet<>();
        for (String node : children(layout.disks())) {
            disks.add(ZkLayout.diskId(node));
        }
        OwnershipPolicy.Decision decision = policy.decide(members, documents, disks, draining, now);
        long decided = System.nanoTime();

        List<CuratorOp> ops = new ArrayList<>();
        Map<String, String> moves = new LinkedHashMap<>();
        List<OwnershipPolicy.Assign> assigned = new ArrayList<>();
        for (OwnershipPolicy.Change change : decision.changes()) {
            String path = layout.aluaDisk(change.disk());
            Versioned r = records.get(change.disk());
            if (change instanceof OwnershipPolicy.Assign a && r == null) {
                ops.add(client.transactionOp().create().forPath(path, docs.write(a.next())));
                moves.put(
                        a.disk(),
                        "-> " + a.next().owner() + " (epoch " + a.next().epoch() + ")");
                assigned.add(a);
            } else if (change instanceof OwnershipPolicy.Assign a) {
                ops.add(client.transactionOp()
                        .setData()
                        .withVersion(r.version())
                        .forPath(path, docs.write(a.next())));
                moves.put(
                        a.disk(),
                        a.from() + " -> " + a.next().owner() + " (epoch "
                                + a.next().epoch() + ")");
                assigned.add(a);
            } else if (change instanceof OwnershipPolicy.Readdress a) {
                ops.add(client.transactionOp()
                        .setData()
                        .withVersion(r.version())
                        .forPath(path, docs.write(a.next())));
            } else {
                ops.add(client.transactionOp().delete().withVersion(r.version()).forPath(path));
                moves.put(change.disk(), "removed");
            }
        }
        if (!ops.isEmpty()) {
            String ourPath = latch.getOurPath();
            if (ourPath == null || !latch.hasLeadership()) {
                return true;
            }
            ensure(layout.alua());
            List<CuratorOp> all = new ArrayList<>(ops.size() + 2);
            all.add(client.transactionOp().check().forPath(ourPath)); // still the leader's session
            all.addAll(ops);
            long writtenAt = System.currentTimeMillis();
            List<FailoverEvent> recorded = assigned.stream()
                    .map(a -> policy.event(a, members.keySet(), draining, writtenAt, self))
                    .toList();
            if (!recorded.isEmpty()) {
                all.add(historyOp(recorded));
            }
            client.transaction().forOperations(all);
            long written = System.nanoTime();
            if (w != null) {
                for (OwnershipPolicy.Change change : decision.changes()) {
                    Versioned r = records.get(change.disk());
                    ownWrites.put(
                            change.disk(),
                            change instanceof OwnershipPolicy.Remove ? -1 : r == null ? 0 : r.version() + 1);
                }
                ownWritesSince = written;
                later(CACHE_CATCH_UP_MILLIS + 1);
            }
            if (!recorded.isEmpty()) {
                log.info(
                        "ALUA pass: {} members read in {} ms, {} ownership documents from {} in {} ms, decided in {} ms, "
                                + "{} changes written in {} ms",
                        members.size(),
                        TimeUnit.NANOSECONDS.toMillis(membersRead - now),
                        records.size(),
                        cached != null ? "the watcher's cache" : "ZooKeeper",
                        TimeUnit.NANOSECONDS.toMillis(ownershipRead - membersRead),
                        TimeUnit.NANOSECONDS.toMillis(decided - ownershipRead),
                        ops.size(),
                        TimeUnit.NANOSECONDS.toMillis(written - decided));
            }
            moves.forEach((d, what) -> log.info("ALUA owner of {}: {}", d, what));
            for (FailoverEvent e : recorded) {
                if (e.durationMillis() != null) {
                    log.info(
                            "failover of {} from lost gateway {} to {}: {} ms from loss seen to ownership written "
                                    + "(fenced after {} ms)",
                            e.disk(),
                            e.from(),
                            e.to(),
                            e.durationMillis(),
                            e.fencedAtMillis() - e.lostSeenAtMillis());
                }
            }
            if (!recorded.isEmpty()) {
                for (Listener l : listeners) {
                    try {
                        l.moved(recorded);
                    } catch (RuntimeException ex) {
                        log.warn("failover listener failed: {}", ex.toString());
                    }
                }
            }
        }
        policy.applied(decision);
        long nextSettle = decision.nextSettleNanos();
        if (retry) {
            later(retryMillis);
        } else if (nextSettle != Long.MAX_VALUE) {
            long until = now + nextSettle;
            if (pendingUntil - now <= 0 || until - pendingUntil < 0) {
                pendingUntil = until;
                later(TimeUnit.NANOSECONDS.toMillis(nextSettle) + 1);
            }
        }
        return true;
    }

    /**
     * While holding after an outage: whether every recorded owner is a member again (then the hold ends and the
     * first pass runs), or the grace is over. Otherwise checks again when members change or the grace ends.
     */
    private boolean rejoined() throws Exception {
        long now = System.nanoTime();
        Map<String, Member> members = readMembers();
        // a node of a session from before the outage is not a re-registration: it vanishes when that session
        // expires (and the gateway's new session then re-creates it)
        Set<Long> stale = staleSessions;
        Set<String> old = new TreeSet<>();
        members.forEach((n, m) -> {
            if (stale.contains(m.session())) {
                old.add(n);
            }
        });
        Set<String> absent = new TreeSet<>();
        readOwnership().values().forEach(r -> {
            if (!members.containsKey(r.value().owner())) {
                absent.add(r.value().owner());
            }
        });
        if (absent.isEmpty() && old.isEmpty()) {
            log.info("every LUN owner has re-registered with ZooKeeper; coordinating again with ownership unchanged");
        } else if (now - holdUntil >= 0) {
            log.warn("gateways {} did not re-register within the rejoin grace: treating them as lost", absent);
            if (!old.isEmpty()) {
                log.warn("gateways {} are still registered by sessions from before the outage", old);
            }
        } else {
            later(Math.min(retryMillis * 5, TimeUnit.NANOSECONDS.toMillis(holdUntil - now) + 1));
            return false;
        }
        holding = false;
        return true;
    }

    /** Whether {@code cached} shows every write of this coordinator not seen in it yet (forgetting those it shows). */
    private boolean caughtUp(Map<String, Versioned> cached) {
        ownWrites.entrySet().removeIf(e -> {
            Versioned v = cached.get(e.getKey());
            return e.getValue() < 0 ? v == null : v != null && v.version() >= e.getValue();
        });
        return ownWrites.isEmpty();
    }

    /** Twice the negotiated session timeout: the old sessions expire one timeout after the ensemble is back. */
    private long rejoinGraceNanos() {
        int negotiated = client.getZookeeperClient().getLastNegotiatedSessionTimeoutMs();
        return TimeUnit.MILLISECONDS.toNanos(2L * (negotiated > 0 ? negotiated : 30_000));
    }

    /** Records the fencing where the fenced gateway watches for it. */
    private void recordFence(String gateway, String address) throws Exception {
        if (address == null) {
            return;
        }
        FenceRecords.record(client, layout, docs, gateway, address, self);
    }

    /** Appends to the bounded history, checked against its version so two writers cannot lose events. */
    private CuratorOp historyOp(List<FailoverEvent> recorded) throws Exception {
        String path = layout.failovers();
        FailoverHistory history = FailoverHistory.EMPTY;
        Stat stat = new Stat();
        byte[] data;
        try {
            data = client.getData().storingStatIn(stat).forPath(path);
        } catch (KeeperException.NoNodeException none) {
            return client.transactionOp()
                    .create()
                    .forPath(path, docs.write(history.append(recorded, FailoverHistory.LIMIT)));
        }
        try {
            history = docs.read(path, data, FailoverHistory.class).value();
        } catch (ConfigStoreException | IllegalArgumentException bad) {
            log.warn("replacing unreadable failover history {}: {}", path, bad.getMessage());
        }
        return client.transactionOp()
                .setData()
                .withVersion(stat.getVersion())
                .forPath(path, docs.write(history.append(recorded, FailoverHistory.LIMIT)));
    }

    /** Whether the first node of the latch is this coordinator's, created through {@code session}. */
    private boolean leadsThrough(long session) throws Exception {
        String ours = latch.getOurPath();
        if (ours == null) {
            return false;
        }
        Stat stat = client.checkExists().forPath(ours);
        if (stat == null || stat.getEphemeralOwner() != session) {
            return false;
        }
        String first = null;
        for (String child : client.getChildren().forPath(layout.coordinator())) {
            // LeaderLatch names end with their sequence number: the lowest leads
            if (first == null || sequence(child).compareTo(sequence(first)) < 0) {
                first = child;
            }
        }
        return ours.endsWith("/" + first);
    }

    private static String sequence(String latchNode) {
        return latchNode.substring(Math.max(0, latchNode.length() - 10));
    }

    private Map<String, Member> readMembers() throws Exception {
        Map<String, Member> out = new TreeMap<>();
        for (String name : children(layout.members())) {
            String path = layout.members() + "/" + name;
            try {
                Stat stat = new Stat();
                byte[] data = client.getData().storingStatIn(stat).forPath(path);
                out.put(name, new Member(docs.read(path, data, MemberInfo.class).value(), stat.getEphemeralOwner()));
            } catch (KeeperException.NoNodeException gone) {
                // left between listing and reading
            }
        }
        return out;
    }

    /** Every ownership document with its version; pipelined, since a pass reads one per disk. */
    private Map<String, Versioned> readOwnership() throws Exception {
        Map<String, Versioned> out = new TreeMap<>();
        List<String> paths = new ArrayList<>();
        for (String node : children(layout.alua())) {
            paths.add(layout.alua() + "/" + node);
        }
        // a document deleted between listing and reading is left out
        Map<String, PipelinedReads.Node> nodes = PipelinedReads.data(client, paths, true);
        ownershipRead.addAndGet(nodes.size());
        for (String path : paths) {
            PipelinedReads.Node n = nodes.get(path);
            if (n == null) {
                continue;
            }
            try {
                out.put(
                        ZkLayout.diskId(path.substring(path.lastIndexOf('/') + 1)),
                        new Versioned(
                                docs.read(path, n.data(), LunOwnership.class).value(),
                                n.stat().getVersion()));
            } catch (ConfigStoreException bad) {
                log.warn("ignoring unreadable ownership document {}: {}", path, bad.getMessage());
            }
        }
        return out;
    }

    private Set<String> children(String path) throws Exception {
        try {
            return new TreeSet<>(client.getChildren().forPath(path));
        } catch (KeeperException.NoNodeException e) {
            return new HashSet<>();
        }
    }

    private void ensure(String path) throws Exception {
        try {
            client.create().creatingParentsIfNeeded().forPath(path, new byte[0]);
        } catch (KeeperException.NodeExistsException fine) {
            // there already
        }
    }

    /** Leaves the election (another gateway takes over) and stops. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        client.getConnectionStateListenable().removeListener(sessions);
        triggers.forEach(CuratorCache::close);
        diskSet.close();
        try {
            latch.close();
        } catch (IllegalStateException notStarted) {
            // never started
        } finally {
            executor.shutdownNow();
        }
    }
}
