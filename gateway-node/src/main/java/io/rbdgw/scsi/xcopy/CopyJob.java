package io.rbdgw.scsi.xcopy;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.IoCallback;
import io.rbdgw.scsi.BlockErrors;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;
import io.rbdgw.scsi.WriteGate;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the steps of a server-side copy (EXTENDED COPY, WRITE USING TOKEN) in the gateway: chunks of at most
 * {@link CopyLimits#CHUNK_BYTES} are read from the source into a pooled direct buffer and written to the
 * destination. Up to {@link CopyLimits#LANES} lanes run at once, each with its own buffer and one I/O in flight,
 * taking the next chunk when its previous one is written: at most {@code LANES} chunks per command are in flight,
 * so a copy costs at most {@code LANES * CHUNK_BYTES} of memory. All copies of the gateway together hold at most
 * the {@link CopyBuffers} budget: a lane takes a chunk's bytes from it before reading and waits (without a thread)
 * when it is spent; between chunks a lane keeps its buffer unless another copy waits. A copy within one device whose
 * ranges overlap runs in one lane, in the order that never reads what it wrote. Each completion continues its lane on the thread that
 * completed it, so no thread ever waits; completions that arrive inline become loop iterations (a work-in-progress
 * counter per lane), not recursion.
 *
 * <p>Every chunk written passes the destination disk's {@link WriteGate} like a host's write: only under that
 * disk's write token, counted until its completion. Without the token the lane waits for it as a write does (the
 * gateway asks for it) and the copy ends with 02/04/0A, which hosts retry, if it does not come. The command itself
 * is not admitted by the gate of the unit that received it: a copy manager only reads its source, and the receiving
 * unit may be either side (or neither).
 *
 * <p>An aborted task (ABORT TASK, LUN RESET) takes no further chunk; the command ends once its lanes are idle.
 */
public final class CopyJob {

    private static final Logger LOG = LoggerFactory.getLogger(CopyJob.class);

    /** What the command that runs the copy records when it ends. */
    public interface Outcome {
        /**
         * @param ok    every step was carried out
         * @param steps steps completed (on failure: the number of the step that failed)
         * @param bytes bytes copied
         */
        void ended(boolean ok, int steps, long bytes);
    }

    private final ScsiTask task;
    private final CopyPlan.Step[] steps;
    private final int transferLength;
    private final Outcome outcome;
    private final boolean segmentSense;
    private final CopyBuffers buffers;
    private CopyBuffers.Copy share;
    private int chunkBytes;
    private final AtomicLong bytesCopied = new AtomicLong();
    private final AtomicInteger activeLanes = new AtomicInteger();

    // the cursor over the chunks, guarded by this
    private int step;
    private long doneInStep;

    // the first failure; written once under this
    private BlockDeviceException error;
    private int errorStep;
    private boolean errorWriting;
    private boolean refused;

    /**
     * @param segmentSense a device failure is COPY ABORTED naming the segment (EXTENDED COPY); otherwise the device's
     *                     own sense (WRITE USING TOKEN)
     * @param buffers      the gateway's copy buffer budget
     */
    public CopyJob(
            ScsiTask task,
            CopyPlan.Step[] steps,
            int transferLength,
            Outcome outcome,
            boolean segmentSense,
            CopyBuffers buffers) {
        this.task = task;
        this.buffers = buffers;
        this.steps = steps;
        this.transferLength = transferLength;
        this.outcome = outcome;
        this.segmentSense = segmentSense;
    }

    /**
     * Starts the copy; throws 05/55/03 INSUFFICIENT RESOURCES, before anything is copied, when the gateway's copy
     * buffers are spent and too many copies already wait for them.
     */
    public void start() {
        long largest = 0;
        long total = 0;
        boolean ordered = false;
        for (CopyPlan.Step s : steps) {
            largest = Math.max(largest, s.bytes());
            total += s.bytes();
            ordered |= s.backwards() || overlaps(s);
        }
        if (total == 0) {
            end();
            return;
        }
        int chunk = (int) Math.min(CopyLimits.CHUNK_BYTES, largest);
        long chunks = (total + chunk - 1) / chunk;
        int lanes = ordered ? 1 : (int) Math.min(CopyLimits.LANES, chunks);
        share = buffers.admit();
        if (share == null) {
            // SPC-4: a copy manager without the resources for a copy answers INSUFFICIENT RESOURCES; hosts then copy
            // themselves (ESXi, Windows) rather than retry the same command as they would BUSY
            throw ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x55, 0x03).withTransferLength(transferLength);
        }
        chunkBytes = chunk;
        Lane[] all = new Lane[lanes];
        for (int i = 0; i < lanes; i++) {
            all[i] = new Lane();
        }
        activeLanes.set(lanes);
        for (Lane l : all) {
            l.drive();
        }
    }

    /** A copy within one device whose source and destination ranges overlap must run in order. */
    private static boolean overlaps(CopyPlan.Step s) {
        return s.src().device() == s.dst().device()
                && s.dstOffset() < s.srcOffset() + s.bytes()
                && s.srcOffset() < s.dstOffset() + s.bytes();
    }

    /** One chunk to copy. */
    private record Chunk(int step, CopyPlan.Step s, long position, int length) {}

    /** The next chunk, or null when none is left or the copy is ending. */
    private synchronized Chunk next(int capacity) {
        if (error != null || refused || task.aborted()) {
            return null;
        }
        while (step < steps.length && doneInStep == steps[step].bytes()) {
            step++;
            doneInStep = 0;
        }
        if (step == steps.length) {
            return null;
        }
        CopyPlan.Step s = steps[step];
        int length = (int) Math.min(capacity, s.bytes() - doneInStep);
        long position = s.backwards() ? s.bytes() - doneInStep - length : doneInStep;
        doneInStep += length;
        return new Chunk(step, s, position, length);
    }

    private synchronized void failed(BlockDeviceException e, int atStep, boolean writing) {
        if (error == null) {
            error = e;
            errorStep = atStep;
            errorWriting = writing;
        }
    }

    /** Whether the copy takes no further chunk. */
    private synchronized boolean ending() {
        return error != null || refused || task.aborted();
    }

    private synchronized void refused() {
        refused = true;
    }

    /** A lane has no more work: the last one ends the command. */
    private void laneDone() {
        if (activeLanes.decrementAndGet() == 0) {
            buffers.finish(share);
            end();
        }
    }

    private void end() {
        BlockDeviceException e;
        boolean notWriter;
        int at;
        synchronized (this) {
            e = error;
            notWriter = refused;
            at = step;
        }
        long bytes = bytesCopied.get();
        if (e != null) {
            fail(e);
        } else if (notWriter) {
            LOG.debug("copy step {}: the write token of the destination did not come", at);
            outcome.ended(false, at, bytes);
            task.complete(
                    ScsiStatus.CHECK_CONDITION, null, SenseData.fixed(SenseData.NOT_READY, 0x04, 0x0A), transferLength);
        } else if (task.aborted() && bytes < totalBytes()) {
            LOG.debug("copy aborted at step {} after {} bytes", at, bytes);
            outcome.ended(false, at, bytes);
            task.complete(ScsiStatus.TASK_ABORTED, null, null, transferLength);
        } else {
            outcome.ended(true, steps.length, bytes);
            task.complete(ScsiStatus.GOOD, null, null, transferLength);
        }
    }

    private long totalBytes() {
        long n = 0;
        for (CopyPlan.Step s : steps) {
            n += s.bytes();
        }
        return n;
    }

    private void fail(BlockDeviceException e) {
        outcome.ended(false, errorStep, bytesCopied.get());
        switch (e.kind()) {
            case TRANSIENT:
            case FENCED:
            case CLOSED:
                // path and retry semantics matter more than copy details: the host retries the copy
                BlockErrors.fail(task, e, transferLength);
                return;
            default:
                if (!segmentSense) {
                    BlockErrors.fail(task, e, transferLength);
                    return;
                }
                byte[] device = BlockErrors.sense(e);
                task.complete(
                        ScsiStatus.CHECK_CONDITION,
                        null,
                        CopySense.copyAborted(
                                SenseData.asc(device), SenseData.ascq(device), errorStep, errorWriting ? 20 : 12),
                        transferLength);
        }
    }

    /** One sequential worker: read a chunk, write it, take the next. */
    private final class Lane implements IoCallback {
        private static final int READ = 0;
        private static final int READING = 1;
        private static final int WRITE = 2;
        private static final int WRITING = 3;
        /** A chunk is taken; its buffer is not (yet) granted. */
        private static final int BUFFER = 4;

        private final AtomicInteger wip = new AtomicInteger();
        private ByteBuf buf;
        private volatile WriteGate entered;
        // guarded by wip
        private int phase = READ;
        /** The lane holds {@code chunkBytes} of the budget (set by the grant before it continues the lane). */
        private boolean holding;

        private Chunk chunk;
        private BlockDeviceException laneError;
        private boolean laneRefused;
        private boolean done;

        /** The budget granted this lane's buffer after it waited: continue with it. */
        private void granted() {
            holding = true;
            drive();
        }

        @Override
        public void onSuccess(long bytes) {
            leaveGate(false);
            if (phase == WRITING) {
                bytesCopied.addAndGet(chunk.length());
                phase = READ;
            } else {
                phase = WRITE;
            }
            drive();
        }

        @Override
        public void onFailure(BlockDeviceException e) {
            leaveGate(phase == WRITING && e.kind() == BlockDeviceException.Kind.TRANSIENT);
            laneError = e;
            drive();
        }

        void drive() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            do {
                advance();
            } while (wip.decrementAndGet() != 0);
        }

        private void advance() {
            if (done) {
                return;
            }
            if (laneError != null) {
                failed(laneError, chunk.step(), phase == WRITING);
                stop();
                return;
            }
            if (laneRefused) {
                refused();
                stop();
                return;
            }
            try {
                if (phase == WRITE) {
                    if (task.aborted()) {
                        stop();
                        return;
                    }
                    CopyPlan.Step s = chunk.s();
                    WriteGate g = s.dst().writeGate();
                    if (g != null) {
                        if (!g.enter()) {
                            // wait for the destination's token as a host write would; try again once held
                            g.whenHeld(this::drive, () -> {
                                laneRefused = true;
                                drive();
                            });
                            return;
                        }
                        entered = g;
                    }
                    phase = WRITING;
                    s.dst()
                            .device()
                            .write(s.dstOffset() + chunk.position(), buf.nioBuffer(0, chunk.length()), false, this);
                    return;
                }
                if (phase == READ) {
                    if (holding && buffers.hasWaiters()) {
                        giveBack(); // another copy waits: take turns, one chunk each
                    }
                    chunk = next(chunkBytes);
                    if (chunk == null) {
                        stop();
                        return;
                    }
                    phase = BUFFER;
                }
                if (!holding) {
                    if (!buffers.acquire(share, chunkBytes, this::granted)) {
                        return; // granted() continues this lane when another chunk's buffer comes back
                    }
                    holding = true;
                }
                if (ending()) {
                    stop();
                    return;
                }
                if (buf == null) {
                    buf = task.alloc().directBuffer(chunkBytes);
                }
                phase = READING;
                CopyPlan.Step s = chunk.s();
                s.src().device().read(s.srcOffset() + chunk.position(), buf.nioBuffer(0, chunk.length()), this);
            } catch (RuntimeException e) {
                LOG.error("copy step {} failed", chunk == null ? -1 : chunk.step(), e);
                leaveGate(false);
                failed(
                        new BlockDeviceException(BlockDeviceException.Kind.WRITE_ERROR, e.toString()),
                        chunk == null ? 0 : chunk.step(),
                        phase == WRITING);
                stop();
            }
        }

        private void stop() {
            done = true;
            giveBack();
            laneDone();
        }

        /** Frees the buffer before its bytes go back to the budget, so that the budget bounds real memory. */
        private void giveBack() {
            if (buf != null) {
                buf.release();
                buf = null;
            }
            if (holding) {
                holding = false;
                buffers.release(share, chunkBytes);
            }
        }

        /** After a destination write completed: that disk's gate counts it as done. */
        private void leaveGate(boolean unknownOutcome) {
            WriteGate g = entered;
            if (g != null) {
                entered = null;
                if (unknownOutcome) {
                    g.unknownOutcome(); // librados gave up on it, but it may still land
                }
                g.exit();
            }
        }
    }
}
