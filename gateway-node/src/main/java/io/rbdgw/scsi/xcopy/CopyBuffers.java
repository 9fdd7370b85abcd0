package io.rbdgw.scsi.xcopy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway-wide budget of copy chunk buffers: every EXTENDED COPY and WRITE USING TOKEN of the gateway takes a
 * chunk's bytes from it before reading the chunk and gives them back once the chunk is written. Without it the copy
 * memory was bounded per command only (255 copies per unit, 4 MiB each), so a few hosts could make a gateway hold
 * gigabytes of direct buffers.
 *
 * <p>A lane that finds the budget spent waits in a FIFO queue without blocking a thread: the release of another
 * chunk grants it and continues the lane on the releasing thread, so copies slow down rather than fail. The wait is
 * bounded because every chunk holder ends: its read or write completes or fails within the device's I/O timeout, a
 * wait for the write token within the write wait. Copy commands that hold no buffer and wait for one are bounded
 * too ({@code maxWaitingCopies}): beyond it, while others wait, a new copy is refused before it starts (05/55/03
 * INSUFFICIENT RESOURCES).
 *
 * <p>Grants run through a per-thread trampoline: a chunk granted while another grant continues a lane on the same
 * thread (devices that complete inline) runs after it, not nested in it.
 */
public final class CopyBuffers {

    private static final Logger LOG = LoggerFactory.getLogger(CopyBuffers.class);

    /**
     * 64 MiB: 64 chunks, 16 copies at full speed (4 lanes each), ample for an ESXi host's clone or Storage vMotion
     * (it sends 4 to 8 copies at once) and a fraction of the direct memory the write buffers leave.
     */
    public static final long DEFAULT_BYTES = 64L << 20;
    /** Copy commands that may wait for a buffer at once; more are refused. */
    public static final int DEFAULT_MAX_WAITING_COPIES = 256;

    /** The budget of units that no gateway configured (tools, tests): one for the JVM, with the defaults. */
    public static final CopyBuffers DEFAULT = new CopyBuffers(DEFAULT_BYTES, DEFAULT_MAX_WAITING_COPIES);

    private static final long REFUSAL_LOG_NANOS = 10_000_000_000L;
    private static final ThreadLocal<ArrayDeque<Runnable>> GRANTED = ThreadLocal.withInitial(ArrayDeque::new);
    private static final ThreadLocal<boolean[]> DRAINING = ThreadLocal.withInitial(() -> new boolean[1]);

    /** One admitted copy command: what it holds, so that the budget knows whether it waits. */
    public static final class Copy {
        // guarded by the budget
        private long held;
        private boolean finished;

        private Copy() {}
    }

    private record Waiter(Copy copy, int bytes, Runnable granted) {}

    private final long budget;
    private final int maxWaitingCopies;
    // guarded by this
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private long inUse;
    private long peak;
    private int waitingCopies;
    private long refused;
    private long refusedSinceLog;
    private long lastRefusalLog = System.nanoTime() - REFUSAL_LOG_NANOS;

    /**
     * @param budget           bytes of chunk buffers all copies together hold at most; at least one chunk
     * @param maxWaitingCopies copy commands that may wait for a buffer while others hold them all (0: refuse rather
     *                         than wait)
     */
    public CopyBuffers(long budget, int maxWaitingCopies) {
        if (budget < CopyLimits.CHUNK_BYTES) {
            throw new IllegalArgumentException("the copy buffer must hold at least one chunk of "
                    + (CopyLimits.CHUNK_BYTES >> 10) + " KiB, not " + budget + " bytes");
        }
        if (maxWaitingCopies < 0) {
            throw new IllegalArgumentException("waiting copies cannot be negative: " + maxWaitingCopies);
        }
        this.budget = budget;
        this.maxWaitingCopies = maxWaitingCopies;
    }

    /**
     * A copy command about to start, or null when it is refused: the budget is spent, copies wait for it and
     * {@code maxWaitingCopies} of them already hold nothing.
     */
    public synchronized Copy admit() {
        if (!waiters.isEmpty() && waitingCopies >= maxWaitingCopies) {
            refused++;
            refusedSinceLog++;
            long now = System.nanoTime();
            if (now - lastRefusalLog >= REFUSAL_LOG_NANOS) {
                LOG.warn(
                        "{} copy command(s) refused (05/55/03): {} copies wait for copy buffers, all {} MiB are in use"
                                + " (--max-copy-buffer, --max-waiting-copies); hosts fall back to their own copy",
                        refusedSinceLog,
                        waitingCopies,
                        budget >> 20);
                lastRefusalLog = now;
                refusedSinceLog = 0;
            }
            return null;
        }
        waitingCopies++; // it holds nothing yet
        return new Copy();
    }

    /**
     * Takes {@code bytes} for {@code copy}: true when they are granted now; otherwise false, and {@code granted}
     * runs once they are (on the thread that releases them).
     */
    public boolean acquire(Copy copy, int bytes, Runnable granted) {
        synchronized (this) {
            if (waiters.isEmpty() && budget - inUse >= bytes) {
                grant(copy, bytes);
                return true;
            }
            waiters.add(new Waiter(copy, bytes, granted));
            return false;
        }
    }

    /** Whether some copy waits for a buffer: a lane then gives its buffer back between chunks. */
    public synchronized boolean hasWaiters() {
        return !waiters.isEmpty();
    }

    /** Gives back {@code bytes} that {@code copy} took; grants them to the waiters first in line. */
    public void release(Copy copy, int bytes) {
        List<Runnable> run = null;
        synchronized (this) {
            inUse -= bytes;
            copy.held -= bytes;
            if (copy.held == 0 && !copy.finished) {
                waitingCopies++;
            }
            while (!waiters.isEmpty() && budget - inUse >= waiters.peek().bytes()) {
                Waiter w = waiters.poll();
                grant(w.copy(), w.bytes());
                if (run == null) {
                    run = new ArrayList<>(2);
                }
                run.add(w.granted());
            }
        }
        if (run != null) {
            continueGranted(run);
        }
    }

    /** The copy ended: every lane gave its buffer back. */
    public synchronized void finish(Copy copy) {
        if (!copy.finished) {
            copy.finished = true;
            if (copy.held == 0) {
                waitingCopies--;
            }
        }
    }

    /** Bytes of chunk buffers held now. */
    public synchronized long inUse() {
        return inUse;
    }

    /** The most bytes ever held at once. */
    public synchronized long peak() {
        return peak;
    }

    /** Copy commands admitted that hold no buffer now. */
    public synchronized int waitingCopies() {
        return waitingCopies;
    }

    /** Copy commands refused so far. */
    public synchronized long refused() {
        return refused;
    }

    public long budget() {
        return budget;
    }

    public int maxWaitingCopies() {
        return maxWaitingCopies;
    }

    private void grant(Copy copy, int bytes) {
        if (copy.held == 0) {
            waitingCopies--;
        }
        copy.held += bytes;
        inUse += bytes;
        peak = Math.max(peak, inUse);
    }

    /** Runs granted lanes one after another on this thread, never nested in a lane this thread is already in. */
    private static void continueGranted(List<Runnable> granted) {
        ArrayDeque<Runnable> queue = GRANTED.get();
        queue.addAll(granted);
        boolean[] draining = DRAINING.get();
        if (draining[0]) {
            return; // the outer call runs them
        }
        draining[0] = true;
        try {
            Runnable r;
            while ((r = queue.poll()) != null) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("a copy lane failed to continue after its buffer was granted", e);
                }
            }
        } finally {
            draining[0] = false;
        }
    }
}
