package io.rbdgw.scsi.xcopy;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.IoCallback;
import io.rbdgw.scsi.BlockErrors;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;
import io.rbdgw.scsi.WriteGate;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the steps of a server-side copy (EXTENDED COPY, WRITE USING TOKEN): read a chunk of at most
 * {@link CopyLimits#CHUNK_BYTES} from the source into one pooled direct buffer, write it to the destination,
 * repeat. One I/O is in flight at a time; each completion continues the copy on the thread that completed it, so
 * no thread ever waits. Completions that arrive inline (before the device call returns) are turned into loop
 * iterations instead of recursion by a work-in-progress counter.
 *
 * <p>Every chunk written passes the destination disk's {@link WriteGate} like a host's write: only under that
 * disk's write token, counted until its completion. Without the token the copy waits for it as a write does (the
 * gateway asks for it) and ends with 02/04/0A, which hosts retry, if it does not come. The command itself is not
 * admitted by the gate of the unit that received it: a copy manager only reads its source, and the receiving unit
 * may be either side (or neither).
 *
 * <p>An aborted task (ABORT TASK, LUN RESET) stops before its next chunk.
 */
public final class CopyJob implements IoCallback {

    private static final Logger LOG = LoggerFactory.getLogger(CopyJob.class);

    /** What the command that runs the copy records when it ends. */
    public interface Outcome {
        /**
         * @param ok    every step was carried out
         * @param steps steps completed
         * @param bytes bytes copied
         */
        void ended(boolean ok, int steps, long bytes);
    }

    private static final int READ = 0;
    private static final int READING = 1;
    private static final int WRITE = 2;
    private static final int WRITING = 3;
    private static final int DONE = -1;

    private final ScsiTask task;
    private final CopyPlan.Step[] steps;
    private final int transferLength;
    private final Outcome outcome;
    private final boolean segmentSense;
    private final AtomicInteger wip = new AtomicInteger();
    private ByteBuf buf;
    /** The destination gate passed for the write in progress. */
    private volatile WriteGate entered;

    // guarded by wip: written before an I/O starts or in its callback, read by the next drain pass
    private int phase = READ;
    private int step;
    private long doneInStep;
    private long bytesCopied;
    private int chunk;
    private BlockDeviceException error;
    private boolean refused;

    /**
     * @param segmentSense a device failure is COPY ABORTED naming the segment (EXTENDED COPY); otherwise the device's
     *                     own sense (WRITE USING TOKEN)
     */
    public CopyJob(ScsiTask task, CopyPlan.Step[] steps, int transferLength, Outcome outcome, boolean segmentSense) {
        this.task = task;
        this.steps = steps;
        this.transferLength = transferLength;
        this.outcome = outcome;
        this.segmentSense = segmentSense;
    }

    public void start() {
        long largest = 0;
        for (CopyPlan.Step s : steps) {
            largest = Math.max(largest, s.bytes());
        }
        if (largest > 0) {
            buf = task.alloc().directBuffer((int) Math.min(CopyLimits.CHUNK_BYTES, largest));
        }
        drive();
    }

    @Override
    public void onSuccess(long bytes) {
        leaveGate(false);
        phase = phase == READING ? WRITE : READ;
        if (phase == READ) {
            doneInStep += chunk;
            bytesCopied += chunk;
        }
        drive();
    }

    @Override
    public void onFailure(BlockDeviceException e) {
        leaveGate(phase == WRITING && e.kind() == BlockDeviceException.Kind.TRANSIENT);
        error = e;
        drive();
    }

    private void drive() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        do {
            advance();
        } while (wip.decrementAndGet() != 0);
    }

    /** Starts the next I/O, or finishes the command. */
    private void advance() {
        if (phase == DONE) {
            return;
        }
        if (error != null) {
            fail(error);
            return;
        }
        if (refused) {
            notWriter();
            return;
        }
        if (task.aborted()) {
            aborted();
            return;
        }
        try {
            if (phase == WRITE) {
                CopyPlan.Step s = steps[step];
                WriteGate g = s.dst().writeGate();
                if (g != null) {
                    if (!g.enter()) {
                        // wait for the destination's token as a host write would; try again once held
                        g.whenHeld(this::drive, () -> {
                            refused = true;
                            drive();
                        });
                        return;
                    }
                    entered = g;
                }
                phase = WRITING;
                s.dst().device().write(s.dstOffset() + position(s), buf.nioBuffer(0, chunk), false, this);
                return;
            }
            while (step < steps.length && doneInStep == steps[step].bytes()) {
                step++;
                doneInStep = 0;
            }
            if (step == steps.length) {
                finish();
                return;
            }
            CopyPlan.Step s = steps[step];
            chunk = (int) Math.min(buf.capacity(), s.bytes() - doneInStep);
            phase = READING;
            s.src().device().read(s.srcOffset() + position(s), buf.nioBuffer(0, chunk), this);
        } catch (RuntimeException e) {
            LOG.error("copy step {} failed", step, e);
            leaveGate(false);
            fail(new BlockDeviceException(BlockDeviceException.Kind.WRITE_ERROR, e.toString()));
        }
    }

    /** Offset of the current chunk within the step. */
    private long position(CopyPlan.Step s) {
        return s.backwards() ? s.bytes() - doneInStep - chunk : doneInStep;
    }

    private void finish() {
        phase = DONE;
        release();
        outcome.ended(true, steps.length, bytesCopied);
        task.complete(ScsiStatus.GOOD, null, null, transferLength);
    }

    private void fail(BlockDeviceException e) {
        boolean writing = phase == WRITING;
        phase = DONE;
        release();
        outcome.ended(false, step, bytesCopied);
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
                int field = writing ? 20 : 12;
                task.complete(
                        ScsiStatus.CHECK_CONDITION,
                        null,
                        CopySense.copyAborted(SenseData.asc(device), SenseData.ascq(device), step, field),
                        transferLength);
        }
    }

    /** The destination's write token did not come: ends retryably, as a write to it would (02/04/0A). */
    private void notWriter() {
        LOG.debug("copy step {}: the write token of the destination did not come", step);
        phase = DONE;
        release();
        outcome.ended(false, step, bytesCopied);
        task.complete(
                ScsiStatus.CHECK_CONDITION, null, SenseData.fixed(SenseData.NOT_READY, 0x04, 0x0A), transferLength);
    }

    /** Task management aborted the command: no further chunk; the transport discards the outcome. */
    private void aborted() {
        LOG.debug("copy aborted at step {} after {} bytes", step, bytesCopied);
        phase = DONE;
        release();
        outcome.ended(false, step, bytesCopied);
        task.complete(ScsiStatus.TASK_ABORTED, null, null, transferLength);
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

    private void release() {
        if (buf != null) {
            buf.release();
            buf = null;
        }
    }
}
