package io.rbdgw.scsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits medium writes to one disk only while this gateway holds the disk's write token, and counts the writes
 * it admitted until their backend completion, so that the token is handed over only once none of them can still
 * change the medium.
 *
 * <p>Hot path: one atomic increment and one volatile read per write ({@link #enter}), one atomic decrement on
 * completion. Without the token a write waits here (at most {@code maxWaiting} of them, each at most
 * {@code maxWait}) while the token is asked for; past either bound it ends with CHECK CONDITION 02/04/0A
 * (NOT READY, ASYMMETRIC ACCESS STATE TRANSITION), which hosts retry. Never 05/25/00.
 *
 * <p>Revoking and admitting race by design (a Dekker pair): a writer increments the counter, then reads
 * {@code held}; {@link #revoke} clears {@code held}, then {@link #whenIdle} reads the counter. Either the writer
 * sees the gate closed and backs out, or the idle wait sees its increment and waits for its completion.
 */
public final class WriteGate {

    private static final Logger LOG = LoggerFactory.getLogger(WriteGate.class);

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "write-gate timer");
        t.setDaemon(true);
        return t;
    });

    /** Something waiting for the token: {@code granted} runs once it is held, {@code refused} past the bounds. */
    private record Waiting(Runnable granted, Runnable refused, long deadline) {}

    private final String disk;
    private final Runnable want;
    private final int maxWaiting;
    private final long maxWaitNanos;
    private volatile boolean held;
    private final AtomicInteger inflight = new AtomicInteger();
    private final AtomicReference<Runnable> idle = new AtomicReference<>();
    private final ConcurrentLinkedQueue<Waiting> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waitingCount = new AtomicInteger();
    private volatile boolean closed;
    /**
     * A write ended BUSY (librados timed it out, or could not queue it): its outcome is unknown, it may still
     * land. This gate never reports idle again, so a contender fences this gateway rather than be overtaken.
     */
    private volatile boolean unsettled;

    /**
     * @param disk       the disk (logs)
     * @param want       asks for the token (cheap, idempotent; runs on the transport's thread)
     * @param maxWaiting writes that may wait for the token at once
     * @param maxWait    how long one write waits for it
     */
    public WriteGate(String disk, Runnable want, int maxWaiting, Duration maxWait) {
        this.disk = disk;
        this.want = want;
        this.maxWaiting = maxWaiting;
        this.maxWaitNanos = maxWait.toNanos();
    }

    public String disk() {
        return disk;
    }

    public boolean held() {
        return held;
    }

    /** Writes admitted and not completed yet. */
    public int inflight() {
        return inflight.get();
    }

    /** Writes waiting for the token. */
    public int waiting() {
        return waitingCount.get();
    }

    /**
     * True: the write may run now, and {@link #exit} must follow its completion. Public for writes a command makes
     * to another unit's disk (EXTENDED COPY destinations), which pass this gate by hand.
     */
    public boolean enter() {
        inflight.incrementAndGet();
        if (held) {
            return true;
        }
        exit();
        return false;
    }

    public void exit() {
        if (inflight.decrementAndGet() == 0 && !held) {
            fireIdle();
        }
    }

    /** The task ends when its completion has run through this gate. */
    ScsiTask track(ScsiTask task) {
        return new Tracked(task, this);
    }

    /** A write that found the gate closed: it waits for the token, or ends retryably. */
    void park(LogicalUnit lu, ScsiTask task) {
        // through the gate again when granted: it may have been revoked meanwhile
        whenHeld(
                () -> {
                    if (task.aborted()) {
                        // aborted while it waited (PREEMPT AND ABORT): it never reaches the medium; the transport
                        // sends nothing
                        task.complete(ScsiStatus.TASK_ABORTED, null, null, -1);
                    } else {
                        lu.execute(task);
                    }
                },
                () -> reject(task));
    }

    /**
     * For a caller that found the gate closed and will try {@link #enter} again: asks for the token and runs
     * {@code granted} once it is held (on the thread that grants it), or {@code refused} if it is not within the
     * wait bound, too many already wait, or the disk closes. Exactly one of them runs. Public for the writes an
     * EXTENDED COPY or WRITE USING TOKEN makes to a destination disk chunk by chunk.
     */
    public void whenHeld(Runnable granted, Runnable refused) {
        if (closed || waitingCount.incrementAndGet() > maxWaiting) {
            if (!closed) {
                waitingCount.decrementAndGet();
            }
            refused.run();
            want.run();
            return;
        }
        waiting.add(new Waiting(granted, refused, System.nanoTime() + maxWaitNanos));
        want.run();
        try {
            TIMER.schedule(this::expire, maxWaitNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            expire();
        }
        if (held || closed) {
            release(); // granted (or closed) while it was being queued
        }
    }

    /** Asks for the token without queueing a write (a caller that found the gate closed and gives up). */
    public void ask() {
        want.run();
    }

    /** The token is this gateway's: writes are admitted, those waiting run now. */
    public void grant() {
        held = true;
        release();
    }

    /** No further write is admitted (they wait); writes admitted before may still be running. */
    public void revoke() {
        held = false;
    }

    /** Runs {@code r} once every write admitted before the last {@link #revoke} completed (at once if none). */
    public void whenIdle(Runnable r) {
        idle.set(r);
        if (inflight.get() == 0) {
            fireIdle();
        }
    }

    /** The disk is closing: waiting writes end retryably, later ones too. */
    public void close() {
        closed = true;
        held = false;
        release();
    }

    /**
     * A write admitted by this gate ended BUSY (librados timed it out, or could not queue it): it may still land, so
     * the gate never reports idle again.
     */
    public void unknownOutcome() {
        if (!unsettled) {
            unsettled = true;
            LOG.warn(
                    "disk {}: a write ended BUSY (timed out in librados?): its outcome is unknown, so this "
                            + "gateway will not hand the write token over; a peer that needs it fences this gateway",
                    disk);
        }
    }

    /** Whether a write ended with an unknown outcome (then the token only leaves this gateway by a fence). */
    public boolean unsettled() {
        return unsettled;
    }

    private void fireIdle() {
        if (unsettled) {
            return;
        }
        Runnable r = idle.getAndSet(null);
        if (r != null) {
            r.run();
        }
    }

    private void release() {
        Waiting w;
        while ((w = waiting.poll()) != null) {
            waitingCount.decrementAndGet();
            if (closed) {
                w.refused().run();
            } else {
                w.granted().run();
            }
        }
    }

    private void expire() {
        long now = System.nanoTime();
        for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
            Waiting w = it.next();
            if (now - w.deadline() >= 0 && waiting.remove(w)) {
                waitingCount.decrementAndGet();
                w.refused().run();
            }
        }
    }

    private static void reject(ScsiTask task) {
        task.complete(ScsiStatus.CHECK_CONDITION, null, SenseData.fixed(SenseData.NOT_READY, 0x04, 0x0A), -1);
    }

    /** Completes the transport's task, then lets the gate count the write as done. */
    private static final class Tracked implements ScsiTask {
        private final ScsiTask task;
        private final WriteGate gate;

        Tracked(ScsiTask task, WriteGate gate) {
            this.task = task;
            this.gate = gate;
        }

        @Override
        public byte[] cdb() {
            return task.cdb();
        }

        @Override
        public ItNexus nexus() {
            return task.nexus();
        }

        @Override
        public long lun() {
            return task.lun();
        }

        @Override
        public int expectedTransferLength() {
            return task.expectedTransferLength();
        }

        @Override
        public ByteBuf dataOut() {
            return task.dataOut();
        }

        @Override
        public ByteBufAllocator alloc() {
            return task.alloc();
        }

        @Override
        public void complete(int status, ByteBuf dataIn, byte[] sense, int transferLength) {
            if (status == ScsiStatus.BUSY) {
                gate.unknownOutcome();
            }
            try {
                task.complete(status, dataIn, sense, transferLength);
            } finally {
                gate.exit();
            }
        }

        @Override
        public void executingOn(LogicalUnit lu) {
            task.executingOn(lu);
        }

        @Override
        public boolean aborted() {
            return task.aborted();
        }
    }
}
