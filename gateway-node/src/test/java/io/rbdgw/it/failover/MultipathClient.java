package io.rbdgw.it.failover;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * A host with multipath behaviour, as dm-multipath or ESXi's ALUA plugin would act, driving a verifiable
 * write stream through one LUN exported by several gateways.
 *
 * <p>It logs into the target on every portal, learns each path's target port group (VPD 0x83) and the
 * groups' states (REPORT TARGET PORT GROUPS), and writes to the Active/Optimized path (Active/Non-optimized
 * when no optimized path is left), keeping {@code queueDepth} writes in flight. A command that takes longer
 * than the path timeout, or a broken connection, fails the path: the connection is closed (as iscsid does)
 * and every write in flight on it is retried, unchanged, on another path. 2A/06 makes it re-read the states;
 * other unit attentions, BUSY and 02/04/0x (transitioning, standby, unavailable) are retried. With
 * {@link #recoverPaths} it also logs in again on lost paths, as iscsid does, so that a gateway that is stopped and
 * started again (a rolling upgrade) becomes a path again.
 *
 * <p>The pattern: the LUN's first {@code units} 4 KiB units are overwritten round-robin; every write gets a
 * new sequence number (its generation), and every 512-byte sector is stamped with the client's run id, the
 * unit, the sector, the sequence number and a CRC32C, so that a read-back tells a correct block from a
 * lost, torn, stale or foreign one. The client remembers which unit every sequence number was written to
 * and the last acknowledged sequence number of every unit.
 */
public final class MultipathClient implements AutoCloseable {

    public static final int UNIT = 4096;
    private static final int SECTOR = 512;
    private static final int STAMP = SECTOR - 4;

    /** What to drive: the target on these portals, LUN 0. */
    public record Options(
            String iqn,
            String initiator,
            List<InetSocketAddress> portals,
            int units,
            int queueDepth,
            Duration pathTimeout) {
        public Options {
            if (units <= queueDepth * 2) {
                throw new IllegalArgumentException(
                        "units must exceed twice the queue depth (a unit is never in flight twice)");
            }
        }
    }

    /** One path failure as the client saw it. */
    public record PathFailure(int path, long atNanos, String why, int abandoned) {}

    /** What a read-back found. {@code lost} includes torn units. */
    public record Verification(int units, int ok, int lost, int stale, int torn, int foreign) {
        @Override
        public String toString() {
            return String.format(
                    "units=%d ok=%d lost=%d stale=%d torn=%d foreign=%d", units, ok, lost, stale, torn, foreign);
        }
    }

    private final Options o;
    private final long runId = ThreadLocalRandom.current().nextLong() | 1;
    private final Path[] paths;
    private final Map<Integer, Integer> groupStates = new HashMap<>();
    private final long[] lastAcked;
    private final Deque<Write> retries = new ArrayDeque<>();
    private final Object lock = new Object();
    private int[] unitOfSeq = new int[1 << 16];
    private long nextSeq = 1;
    private int nextUnit;
    private int blocksPerUnit;
    private Thread writer;
    private volatile boolean stopping;
    /** Retries of abandoned writes carry a new generation (a host writing the block again, newer). */
    private volatile boolean restampRetries;

    private volatile Throwable failure;
    private volatile Hook hook;
    /** Null: a lost path stays lost. Else: lost paths log in again, and writes wait this long for any path. */
    private volatile Duration noPathTimeout;
    /** New sessions on lost paths, made by the recovery thread, installed by the writer thread. */
    private final BlockingQueue<Recovered> recovered = new LinkedBlockingQueue<>();

    private Thread recovery;
    private volatile int currentPath = -1;
    /** 0: new writes as fast as the queue depth allows; else the interval between two new writes. */
    private volatile long paceNanos;

    private long nextSendAt;

    // statistics, guarded by lock
    private long acked;
    private long firstAckNanos;
    private long lastAckNanos;
    private long maxStallNanos;
    private long markNanos;
    private int markPath = -1;
    private long firstAckAfterMark;
    private long unitAttentions;
    private long retriedWrites;
    private long recoveries;
    private long hostErrors;
    private final List<PathFailure> failures = new ArrayList<>();
    private final Map<Integer, Long> ackedPerPath = new LinkedHashMap<>();
    private final List<Write> hookWrites = new ArrayList<>();

    private record Write(int unit, long seq) {}

    private record Recovered(Path path, TestInitiator conn) {}

    /** A command sent on a path, waiting for its response. */
    private static final class Pending {
        final Write write;
        final long sentAt = System.nanoTime();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        boolean done;
        int status = -1;
        int sense;

        Pending(Write write) {
            this.write = write;
        }
    }

    private final class Path {
        final int index;
        /** Replaced by the writer thread when a lost path was logged in again. */
        TestInitiator conn;

        final Map<Integer, Pending> pending = new HashMap<>();
        int group = -1;
        volatile boolean dead;
        /** A new session for this lost path waits in {@link #recovered}. */
        volatile boolean recovering;

        Path(int index, TestInitiator conn) {
            this.index = index;
            this.conn = conn;
        }

        int state() {
            return dead ? -1 : groupStates.getOrDefault(group, -1);
        }

        int inflightWrites() {
            int n = 0;
            for (Pending p : pending.values()) {
                if (p.write != null) {
                    n++;
                }
            }
            return n;
        }
    }

    private record Hook(Runnable action, int extraWrites, boolean drainFirst, CountDownLatch done) {}

    /** Logs into every portal and reads the paths' groups and states; does not write yet. */
    public MultipathClient(Options o) throws Exception {
        this.o = o;
        this.lastAcked = new long[o.units()];
        this.paths = new Path[o.portals().size()];
        for (int i = 0; i < paths.length; i++) {
            TestInitiator conn = new TestInitiator(o.portals().get(i));
            conn.login(TestInitiator.normalKeys(o.initiator(), o.iqn()));
            paths[i] = new Path(i, conn);
        }
        for (Path p : paths) {
            // the first command of a new nexus may see 29/00 (power on, reset)
            for (int attempt = 0; attempt < 3 && p.group < 0; attempt++) {
                Pending r = sync(p, new byte[] {0x12, 1, (byte) 0x83, 0x10, 0, 0}, true, 4096, Unpooled.EMPTY_BUFFER);
                if (r.status == 0) {
                    p.group = targetPortGroup(r.data.toByteArray());
                }
            }
            if (p.group < 0) {
                throw new IllegalStateException("path " + p.index + ": no target port group in VPD 0x83");
            }
            if (blocksPerUnit == 0) {
                Pending cap =
                        syncRetrying(p, new byte[] {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, true, 8, Unpooled.EMPTY_BUFFER);
                byte[] d = cap.data.toByteArray();
                int blockSize = ByteBuffer.wrap(d, 4, 4).getInt();
                long blocks = (ByteBuffer.wrap(d, 0, 4).getInt() & 0xffffffffL) + 1;
                if (UNIT % blockSize != 0 || blocks * blockSize < (long) o.units() * UNIT) {
                    throw new IllegalStateException(
                            "LUN too small or block size " + blockSize + " does not divide 4096");
                }
                blocksPerUnit = UNIT / blockSize;
            }
        }
        readStates(paths[0]);
    }

    /** Starts writing on a thread of its own. */
    /**
     * Makes a write abandoned on a failed path go to the next path as a new generation of the same unit (before
     * {@link #start}): a late landing of the abandoned copy is then older than what was acknowledged for the unit,
     * even if the unit is not written again.
     */
    public MultipathClient restampRetries() {
        this.restampRetries = true;
        return this;
    }

    /**
     * Lost paths are logged in again (before {@link #start}): a thread tries every second, as iscsid does while a
     * session is down, and the writer uses the path again once its new session is up. An idle path whose connection
     * closed counts as lost at once (iscsid notices a closed connection without I/O on it). With no path at all,
     * writes wait for one up to {@code noPathTimeout} (dm-multipath's {@code no_path_retry}); after that they fail
     * back to the host ({@link #hostErrors}) and the writer stops.
     */
    public MultipathClient recoverPaths(Duration noPathTimeout) {
        this.noPathTimeout = noPathTimeout;
        return this;
    }

    /** At most this many new writes a second (before {@link #start}); retries are never held back. */
    public MultipathClient pace(int writesPerSecond) {
        this.paceNanos = 1_000_000_000L / writesPerSecond;
        return this;
    }

    /** Stops issuing new writes; those in flight go on ({@link #stop} waits for them). */
    public void stopIssuing() {
        stopping = true;
    }

    public void start() {
        writer = new Thread(this::loop, "multipath-writer");
        writer.setDaemon(true);
        writer.start();
        if (noPathTimeout != null) {
            recovery = new Thread(this::recoverLoop, "multipath-recovery");
            recovery.setDaemon(true);
            recovery.start();
        }
    }

    /** Notes an instant (just before a gateway is killed): the first acknowledgement after it on another path is timed. */
    public void mark(int victimPath) {
        synchronized (lock) {
            markNanos = System.nanoTime();
            markPath = victimPath;
            firstAckAfterMark = 0;
        }
    }

    /**
     * Runs {@code action} on the writer thread between two sends, then at once sends {@code extraWrites} more
     * writes on the current path, beyond the queue depth; returns when that is done. Used to freeze a gateway
     * and then hand it writes that are certain to be sitting unprocessed in its socket when it is frozen.
     */
    public List<Long> runOnWriter(Runnable action, int extraWrites) throws InterruptedException {
        return runOnWriter(action, extraWrites, false);
    }

    /** As {@link #runOnWriter(Runnable, int)}; with {@code drainFirst} the writes in flight complete before the action. */
    public List<Long> runOnWriter(Runnable action, int extraWrites, boolean drainFirst) throws InterruptedException {
        Hook h = new Hook(action, extraWrites, drainFirst, new CountDownLatch(1));
        hook = h;
        if (!h.done.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the writer did not run the hook");
        }
        synchronized (lock) {
            return hookWrites.stream().map(Write::seq).toList();
        }
    }

    /** Stops issuing writes, waits for those in flight (up to the path timeout); rethrows a writer failure. */
    public void stop() throws Exception {
        stopping = true;
        writer.join(o.pathTimeout().toMillis() * 4 + 10000);
        if (writer.isAlive()) {
            throw new IllegalStateException("writer did not stop");
        }
        if (failure != null) {
            throw new IllegalStateException("writer failed: " + failure, failure);
        }
    }

    public long acked() {
        synchronized (lock) {
            return acked;
        }
    }

    /** Acknowledged writes per path index. */
    public Map<Integer, Long> ackedPerPath() {
        synchronized (lock) {
            return new LinkedHashMap<>(ackedPerPath);
        }
    }

    /** Seconds from {@link #mark} to the first write acknowledged on another path; NaN if none yet. */
    public double markToFirstAckSeconds() {
        synchronized (lock) {
            return firstAckAfterMark == 0 ? Double.NaN : (firstAckAfterMark - markNanos) / 1e9;
        }
    }

    /** Longest gap between two consecutive acknowledgements, in seconds. */
    public double maxStallSeconds() {
        synchronized (lock) {
            return maxStallNanos / 1e9;
        }
    }

    public List<PathFailure> pathFailures() {
        synchronized (lock) {
            return new ArrayList<>(failures);
        }
    }

    public long unitAttentions() {
        synchronized (lock) {
            return unitAttentions;
        }
    }

    public long retriedWrites() {
        synchronized (lock) {
            return retriedWrites;
        }
    }

    /** Lost paths logged in again ({@link #recoverPaths}). */
    public long recoveries() {
        synchronized (lock) {
            return recoveries;
        }
    }

    /**
     * Writes that failed back to the host: a status no multipath host retries, or no path within the no-path
     * timeout. The writer stops at the first such failure, so this is 0 or the writes it gave up on then.
     */
    public long hostErrors() {
        synchronized (lock) {
            return hostErrors;
        }
    }

    /** Whether the writer thread stopped by itself (a failure, see {@link #stop}). */
    public boolean failed() {
        return failure != null;
    }

    /** The path the writer uses now (-1 before it starts). */
    public int currentPath() {
        return currentPath;
    }

    /** The last acknowledged sequence number of the unit a sequence number was written to. */
    public long lastAckedOfUnitOf(long seq) {
        synchronized (lock) {
            return lastAcked[unitOfSeq[(int) seq]];
        }
    }

    /** The states the client last read: target port group id -> ALUA state. */
    public Map<Integer, Integer> groupStates() {
        synchronized (lock) {
            return new HashMap<>(groupStates);
        }
    }

    /** The target port group of a path (from its VPD 0x83). */
    public int groupOf(int path) {
        return paths[path].group;
    }

    // ---- the writer thread

    private void loop() {
        try {
            Path p = choose();
            boolean statesStale = false;
            nextSendAt = System.nanoTime();
            while (true) {
                currentPath = p.index;
                statesStale |= installRecovered();
                if (noPathTimeout != null) {
                    failClosedIdlePaths(p);
                }
                Hook h = hook;
                if (h != null) {
                    hook = null;
                    try {
                        if (h.drainFirst) {
                            drain(p);
                        }
                        h.action.run();
                        for (int i = 0; i < h.extraWrites; i++) {
                            Write w = nextWrite();
                            synchronized (lock) {
                                hookWrites.add(w);
                            }
                            send(p, w);
                        }
                    } finally {
                        h.done.countDown();
                    }
                }
                long waitMs = 20;
                if (!stopping) {
                    while (p.inflightWrites() < o.queueDepth()) {
                        Write w = retries.pollFirst();
                        if (w == null && paceNanos > 0) {
                            long now = System.nanoTime();
                            if (now - nextSendAt < 0) {
                                waitMs = Math.max(1, Math.min(waitMs, (nextSendAt - now) / 1_000_000));
                                break;
                            }
                            // a short catch-up after a pause, never a burst of everything missed
                            long earliest = now - 4 * paceNanos;
                            nextSendAt = (nextSendAt - earliest < 0 ? earliest : nextSendAt) + paceNanos;
                        }
                        send(p, w != null ? w : nextWrite());
                    }
                } else if (p.pending.isEmpty()) {
                    return;
                }
                statesStale |= pump(p, waitMs);
                String broken = p.conn.isClosed() ? "connection closed" : overdue(p);
                if (broken != null) {
                    fail(p, broken);
                    p = choose();
                    statesStale = true;
                }
                if (statesStale) {
                    statesStale = false;
                    if (!readStates(p)) {
                        fail(p, "REPORT TARGET PORT GROUPS timed out");
                        statesStale = true;
                    }
                    Path better = choose();
                    if (better != p) {
                        drain(p);
                        p = better;
                    }
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    private Write restamp(Write w) {
        long seq = nextSeq++;
        synchronized (lock) {
            if (seq >= unitOfSeq.length) {
                unitOfSeq = java.util.Arrays.copyOf(unitOfSeq, unitOfSeq.length * 2);
            }
            unitOfSeq[(int) seq] = w.unit;
        }
        return new Write(w.unit, seq);
    }

    private Write nextWrite() {
        long seq = nextSeq++;
        int unit = nextUnit;
        nextUnit = (nextUnit + 1) % o.units();
        synchronized (lock) {
            if (seq >= unitOfSeq.length) {
                unitOfSeq = java.util.Arrays.copyOf(unitOfSeq, unitOfSeq.length * 2);
            }
            unitOfSeq[(int) seq] = unit;
        }
        return new Write(unit, seq);
    }

    private void send(Path p, Write w) {
        ByteBuf data = Unpooled.wrappedBuffer(pattern(w.unit, w.seq));
        long lba = (long) w.unit * blocksPerUnit;
        byte[] cdb = {
            0x2A,
            0,
            (byte) (lba >>> 24),
            (byte) (lba >>> 16),
            (byte) (lba >>> 8),
            (byte) lba,
            0,
            (byte) (blocksPerUnit >>> 8),
            (byte) blocksPerUnit,
            0
        };
        var cmd = p.conn.command(cdb, false, true, UNIT, data, true);
        p.pending.put(cmd.itt(), new Pending(w));
        try {
            p.conn.send(cmd);
        } catch (RuntimeException broken) {
            // the connection is gone: the overdue/closed check fails the path and retries the write
        }
    }

    /** Handles the PDUs that arrived on a path within {@code waitMs}; returns whether the states must be re-read. */
    private boolean pump(Path p, long waitMs) throws InterruptedException {
        boolean stale = false;
        Object o1 = p.conn.poll(waitMs);
        while (o1 != null) {
            stale |= handle(p, o1);
            o1 = p.conn.poll(0);
        }
        return stale;
    }

    private boolean handle(Path p, Object msg) {
        try {
            if (msg instanceof DataIn d) {
                Pending c = p.pending.get(d.itt());
                if (c != null) {
                    byte[] b = new byte[d.data().readableBytes()];
                    d.data().getBytes(d.data().readerIndex(), b);
                    c.data.writeBytes(b);
                    if (d.hasStatus()) {
                        c.status = d.status();
                        return complete(p, d.itt(), c);
                    }
                }
            } else if (msg instanceof ScsiResponse r) {
                Pending c = p.pending.get(r.itt());
                if (c != null) {
                    c.status = r.status();
                    c.sense = r.status() == 2 && r.data().readableBytes() >= 16 ? sense(r.data()) : 0;
                    return complete(p, r.itt(), c);
                }
            }
            return false;
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private boolean complete(Path p, int itt, Pending c) {
        p.pending.remove(itt);
        c.done = true;
        if (c.write == null) {
            return false;
        }
        if (c.status == 0) {
            long now = System.nanoTime();
            synchronized (lock) {
                Write w = c.write;
                lastAcked[w.unit] = Math.max(lastAcked[w.unit], w.seq);
                acked++;
                ackedPerPath.merge(p.index, 1L, Long::sum);
                if (firstAckNanos == 0) {
                    firstAckNanos = now;
                } else {
                    maxStallNanos = Math.max(maxStallNanos, now - lastAckNanos);
                }
                lastAckNanos = now;
                if (markPath >= 0 && p.index != markPath && firstAckAfterMark == 0 && now - markNanos > 0) {
                    firstAckAfterMark = now;
                }
            }
            return false;
        }
        // not done: retry first thing, in order
        retries.addFirst(c.write);
        synchronized (lock) {
            retriedWrites++;
        }
        if (c.status == 2 && (c.sense >> 16) == 6) {
            synchronized (lock) {
                unitAttentions++;
            }
            return c.sense == 0x062A06;
        }
        if (c.status == 2 && (c.sense & 0xFFFF00) == 0x020400) {
            return true; // transitioning / standby / unavailable: ask where to go
        }
        if (c.status == 8 || c.status == 0x28) {
            return false; // BUSY / TASK SET FULL
        }
        retries.remove(c.write);
        synchronized (lock) {
            hostErrors++;
        }
        throw new IllegalStateException(String.format(
                "write of unit %d failed on path %d: status %02x sense %06x",
                c.write.unit, p.index, c.status, c.sense));
    }

    private String overdue(Path p) {
        long now = System.nanoTime();
        for (Pending c : p.pending.values()) {
            if (now - c.sentAt > o.pathTimeout().toNanos()) {
                return "a command took longer than " + o.pathTimeout().toMillis() + " ms";
            }
        }
        return null;
    }

    /** Path loss: close it and put its writes back in front of the queue, oldest first. */
    private void fail(Path p, String why) {
        p.dead = true;
        List<Pending> abandoned = new ArrayList<>(p.pending.values());
        abandoned.removeIf(c -> c.write == null);
        abandoned.sort((a, b) -> Long.compare(b.write.seq, a.write.seq));
        abandoned.forEach(c -> retries.addFirst(restampRetries ? restamp(c.write) : c.write));
        p.pending.clear();
        synchronized (lock) {
            failures.add(new PathFailure(p.index, System.nanoTime(), why, abandoned.size()));
            retriedWrites += abandoned.size();
        }
        p.conn.close();
    }

    /** Waits for a path's commands before leaving it (a voluntary switch). */
    private void drain(Path p) throws InterruptedException {
        while (!p.pending.isEmpty() && !p.dead) {
            pump(p, 20);
            String broken = p.conn.isClosed() ? "connection closed" : overdue(p);
            if (broken != null) {
                fail(p, broken);
            }
        }
    }

    /**
     * The best live path: Active/Optimized, else Active/Non-optimized, else any live one. With none and
     * {@link #recoverPaths}, waits for a lost one to come back up to the no-path timeout.
     */
    private Path choose() throws InterruptedException {
        Path best = best();
        Duration wait = noPathTimeout;
        if (best != null || wait == null) {
            if (best == null) {
                throw new IllegalStateException("no path left");
            }
            return best;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() - deadline < 0) {
            Recovered r = recovered.poll(100, TimeUnit.MILLISECONDS);
            if (r != null) {
                install(r);
                installRecovered();
                return best();
            }
        }
        synchronized (lock) {
            hostErrors += retries.size();
        }
        throw new IllegalStateException(
                "no path for " + wait.toSeconds() + " s: " + retries.size() + " writes failed back to the host");
    }

    /** The best live path, null if every path is lost. */
    private Path best() {
        Path best = null;
        int bestRank = Integer.MAX_VALUE;
        for (Path p : paths) {
            if (p.dead) {
                continue;
            }
            int s = p.state();
            int rank = s == 0 ? 0 : s == 1 ? 1 : 2;
            if (rank < bestRank) {
                best = p;
                bestRank = rank;
            }
        }
        return best;
    }

    /** Puts the sessions the recovery thread made in place; true if any (the states must be re-read). */
    private boolean installRecovered() {
        boolean any = false;
        for (Recovered r = recovered.poll(); r != null; r = recovered.poll()) {
            install(r);
            any = true;
        }
        return any;
    }

    private void install(Recovered r) {
        r.path.conn.close();
        r.path.conn = r.conn;
        r.path.dead = false;
        r.path.recovering = false;
        synchronized (lock) {
            recoveries++;
        }
    }

    /** Idle paths whose connection closed (a gateway stopped) are lost now, not when the writer next picks them. */
    private void failClosedIdlePaths(Path current) {
        for (Path q : paths) {
            if (q != current && !q.dead && q.conn.isClosed()) {
                fail(q, "connection closed while idle");
            }
        }
    }

    /** The recovery thread: a new login on every lost path each second until the writer stops. */
    private void recoverLoop() {
        while (!stopping) {
            for (Path p : paths) {
                if (p.dead && !p.recovering && !stopping) {
                    TestInitiator conn = null;
                    try {
                        conn = new TestInitiator(o.portals().get(p.index));
                        conn.login(TestInitiator.normalKeys(o.initiator(), o.iqn()));
                        p.recovering = true;
                        recovered.add(new Recovered(p, conn));
                    } catch (InterruptedException e) {
                        if (conn != null) {
                            conn.close();
                        }
                        return;
                    } catch (Throwable notYet) { // refused, reset or login rejected: the gateway is not back yet
                        if (conn != null) {
                            conn.close();
                        }
                    }
                }
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** REPORT TARGET PORT GROUPS on a path; false when the path timed out or broke. */
    private boolean readStates(Path p) throws InterruptedException {
        for (int attempt = 0; attempt < 5; attempt++) {
            Pending r = sync(
                    p, new byte[] {(byte) 0xA3, 0x0A, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0}, true, 1024, Unpooled.EMPTY_BUFFER);
            if (!r.done) {
                return false;
            }
            if (r.status == 0) {
                Map<Integer, Integer> s = parseStates(r.data.toByteArray());
                synchronized (lock) {
                    groupStates.clear();
                    groupStates.putAll(s);
                }
                return true;
            }
        }
        throw new IllegalStateException("REPORT TARGET PORT GROUPS keeps failing on path " + p.index);
    }

    /** Sends a command and handles PDUs (also of writes in flight) until it completes or the path timeout passes. */
    private Pending sync(Path p, byte[] cdb, boolean read, int edtl, ByteBuf out) throws InterruptedException {
        var cmd = p.conn.command(cdb, read, !read && out.isReadable(), edtl, out, true);
        Pending c = new Pending(null);
        p.pending.put(cmd.itt(), c);
        try {
            p.conn.send(cmd);
        } catch (RuntimeException broken) {
            p.pending.remove(cmd.itt());
            return c;
        }
        long deadline = System.nanoTime() + o.pathTimeout().toNanos();
        while (!c.done && System.nanoTime() - deadline < 0 && !p.conn.isClosed()) {
            pump(p, 10);
        }
        if (!c.done) {
            p.pending.remove(cmd.itt());
        }
        return c;
    }

    private Pending syncRetrying(Path p, byte[] cdb, boolean read, int edtl, ByteBuf out) throws InterruptedException {
        List<String> failures = new ArrayList<>();
        for (int attempt = 0; attempt < 5; attempt++) {
            Pending c = sync(p, cdb, read, edtl, out.retainedDuplicate());
            if (c.done && c.status == 0) {
                out.release();
                return c;
            }
            failures.add(
                    c.done
                            ? String.format("status %02x sense %06x", c.status, c.sense)
                            : p.conn.isClosed() ? "connection closed" : "no answer in " + o.pathTimeout());
        }
        out.release();
        throw new IllegalStateException(String.format(
                "command %02x keeps failing on path %d: %s", cdb[0], p.index, String.join("; ", failures)));
    }

    // ---- read-back

    /**
     * Reads the whole region back through a new session on {@code portal} and classifies every unit against
     * what was acknowledged: ok (the last acknowledged generation or a later one that was written to it),
     * stale (an older generation written to this unit), lost (anything else where a write was acknowledged:
     * zeros, torn, foreign, a generation never written there). Units never acknowledged must hold zeros or
     * a generation written to them, else they count as foreign.
     */
    public Verification verify(InetSocketAddress portal) throws Exception {
        long[] acked;
        int[] seqUnits;
        long issued;
        synchronized (lock) {
            acked = lastAcked.clone();
            seqUnits = unitOfSeq.clone();
            issued = nextSeq;
        }
        try (TestInitiator conn = new TestInitiator(portal).isid(0x23d0000000ffL)) {
            conn.login(TestInitiator.normalKeys(o.initiator(), o.iqn()));
            Path p = new Path(-1, conn);
            int ok = 0;
            int lost = 0;
            int stale = 0;
            int torn = 0;
            int foreign = 0;
            int chunkUnits = 16;
            for (int first = 0; first < o.units(); first += chunkUnits) {
                int n = Math.min(chunkUnits, o.units() - first);
                long lba = (long) first * blocksPerUnit;
                int blocks = n * blocksPerUnit;
                byte[] cdb = {
                    0x28,
                    0,
                    (byte) (lba >>> 24),
                    (byte) (lba >>> 16),
                    (byte) (lba >>> 8),
                    (byte) lba,
                    0,
                    (byte) (blocks >>> 8),
                    (byte) blocks,
                    0
                };
                Pending r = syncRetrying(p, cdb, true, n * UNIT, Unpooled.EMPTY_BUFFER);
                byte[] data = r.data.toByteArray();
                for (int u = 0; u < n; u++) {
                    int unit = first + u;
                    long seq = decode(data, u * UNIT, unit);
                    long last = acked[unit];
                    boolean written = seq > 0 && seq < issued && seqUnits[(int) seq] == unit;
                    if (seq == -2) {
                        torn++;
                    }
                    if (last == 0) {
                        if (seq == 0 || written) {
                            ok++;
                        } else {
                            foreign++;
                        }
                    } else if (written && seq >= last) {
                        ok++;
                    } else if (written) {
                        stale++;
                    } else {
                        lost++;
                    }
                }
            }
            return new Verification(o.units(), ok, lost, stale, torn, foreign);
        }
    }

    /** A unit's generation: 0 for zeros, -1 for foreign data, -2 for torn (sectors disagree or a bad checksum). */
    private long decode(byte[] d, int off, int unit) {
        boolean zero = true;
        for (int i = off; i < off + UNIT && zero; i++) {
            zero = d[i] == 0;
        }
        if (zero) {
            return 0;
        }
        long seq = -3;
        for (int s = 0; s < UNIT / SECTOR; s++) {
            ByteBuffer b = ByteBuffer.wrap(d, off + s * SECTOR, SECTOR);
            CRC32C crc = new CRC32C();
            crc.update(d, off + s * SECTOR, STAMP);
            long run = b.getLong();
            int u = b.getInt();
            int sector = b.getInt();
            long sq = b.getLong();
            if ((int) crc.getValue()
                    != ByteBuffer.wrap(d, off + s * SECTOR + STAMP, 4).getInt()) {
                return -2;
            }
            if (run != runId || u != unit || sector != s) {
                return -1;
            }
            if (seq != -3 && sq != seq) {
                return -2;
            }
            seq = sq;
        }
        return seq;
    }

    private byte[] pattern(int unit, long seq) {
        byte[] d = new byte[UNIT];
        ByteBuffer b = ByteBuffer.wrap(d);
        long x = seq * 0x9E3779B97F4A7C15L ^ unit;
        for (int s = 0; s < UNIT / SECTOR; s++) {
            int base = s * SECTOR;
            b.position(base);
            b.putLong(runId).putInt(unit).putInt(s).putLong(seq);
            while (b.position() < base + STAMP) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                b.putInt((int) x);
            }
            CRC32C crc = new CRC32C();
            crc.update(d, base, STAMP);
            b.putInt((int) crc.getValue());
        }
        return d;
    }

    // ---- SCSI parsing

    private static int sense(ByteBuf d) {
        int base = d.readerIndex() + 2;
        return ((d.getByte(base + 2) & 0x0f) << 16)
                | ((d.getByte(base + 12) & 0xff) << 8)
                | (d.getByte(base + 13) & 0xff);
    }

    /** REPORT TARGET PORT GROUPS data as group id -> asymmetric access state. */
    static Map<Integer, Integer> parseStates(byte[] d) {
        int len = Math.min(d.length, ByteBuffer.wrap(d, 0, 4).getInt() + 4);
        Map<Integer, Integer> out = new HashMap<>();
        for (int i = 4; i + 8 <= len; ) {
            int ports = d[i + 7] & 0xff;
            out.put((d[i + 2] & 0xff) << 8 | d[i + 3] & 0xff, d[i] & 0x0f);
            i += 8 + 4 * ports;
        }
        return out;
    }

    /** The target port group designator (type 5) of a device identification VPD page. */
    static int targetPortGroup(byte[] d) {
        int len = Math.min(d.length, ((d[2] & 0xff) << 8 | d[3] & 0xff) + 4);
        for (int i = 4; i + 4 <= len; ) {
            int type = d[i + 1] & 0x0f;
            int dlen = d[i + 3] & 0xff;
            if (type == 5 && dlen >= 4) {
                return (d[i + 6] & 0xff) << 8 | d[i + 7] & 0xff;
            }
            i += 4 + dlen;
        }
        return -1;
    }

    @Override
    public void close() {
        stopping = true;
        if (writer != null) {
            try {
                writer.join(o.pathTimeout().toMillis() * 4 + 10000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (recovery != null) {
            recovery.interrupt();
            try {
                recovery.join(10000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Recovered r = recovered.poll(); r != null; r = recovered.poll()) {
            r.conn.close();
        }
        for (Path p : paths) {
            if (p != null) {
                p.conn.close();
            }
        }
    }
}
