package io.rbdgw.scsi.xcopy;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.IoCallback;
import io.rbdgw.scsi.BlockErrors;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;
import io.rbdgw.scsi.WriteGate;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the steps of an EXTENDED COPY: read a chunk of at most {@link CopyLimits#CHUNK_BYTES}
 * from the source into one pooled direct buffer, write it to the destination, repeat. One I/O is
 * in flight at a time; each completion continues the copy on the thread that completed it, so no
 * thread ever waits. Completions that arrive inline (before the device call returns) are turned
 * into loop iterations instead of recursion by a work-in-progress counter.
 */
final class CopyJob implements IoCallback {

    private static final Logger LOG = LoggerFactory.getLogger(CopyJob.class);

    /** The gate of the unit that received the command (null: ungated); its admission covers that disk. */
    private final WriteGate receivingGate;
    /** The destination gate passed for the write in progress, if it is another disk's. */
    private volatile WriteGate entered;

    private static final int READ = 0;
    private static final int READING = 1;
    private static final int WRITE = 2;
    private static final int WRITING = 3;

    private final ScsiTask task;
    private final ItNexus nexus;
    private final CopyRequest request;
    private final CopyResults results;
    private final CopyPlan.Step[] steps;
    private final int transferLength;
    private final AtomicInteger wip = new AtomicInteger();
    private ByteBuf buf;

    // guarded by wip: written before an I/O starts or in its callback, read by the next drain pass
    private int phase = READ;
    private int step;
    private long doneInStep;
    private long bytesCopied;
    private int chunk;
    private BlockDeviceException error;

    CopyJob(
            ScsiTask task,
            CopyRequest request,
            CopyResults results,
            CopyPlan.Step[] steps,
            int transferLength,
            WriteGate receivingGate) {
        this.task = task;
        this.receivingGate = receivingGate;
        this.nexus = task.nexus();
        this.request = request;
        this.results = results;
        this.steps = steps;
        this.transferLength = transferLength;
    }

    void start() {
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
        leaveGate();
        phase = phase == READING ? WRITE : READ;
        if (phase == READ) {
            doneInStep += chunk;
            bytesCopied += chunk;
        }
        drive();
    }

    @Override
    public void onFailure(BlockDeviceException e) {
        leaveGate();
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
        if (error != null) {
            fail(error);
            return;
        }
        try {
            if (phase == WRITE) {
                CopyPlan.Step s = steps[step];
                // The command was admitted by its own unit's gate; a destination on another disk is written only
                // under that disk's write token too, or a late copy could land over a host's newer write there.
                WriteGate g = s.dst().writeGate();
                if (g != null && g != receivingGate) {
                    if (!g.enter()) {
                        g.ask();
                        notWriter(g.disk());
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
            LOG.error("EXTENDED COPY segment {} failed", step, e);
            error = new BlockDeviceException(BlockDeviceException.Kind.WRITE_ERROR, e.toString());
            fail(error);
        }
    }

    /** Offset of the current chunk within the step. */
    private long position(CopyPlan.Step s) {
        return s.backwards() ? s.bytes() - doneInStep - chunk : doneInStep;
    }

    private void finish() {
        release();
        results.end(nexus, request, true, steps.length, bytesCopied);
        task.complete(ScsiStatus.GOOD, null, null, transferLength);
    }

    private void fail(BlockDeviceException e) {
        if (phase == -1) {
            return; // already completed
        }
        boolean writing = phase == WRITING;
        phase = -1;
        release();
        results.end(nexus, request, false, step, bytesCopied);
        switch (e.kind()) {
            case TRANSIENT:
            case FENCED:
            case CLOSED:
                // path and retry semantics matter more than copy details: the host retries the copy
                BlockErrors.fail(task, e, transferLength);
                return;
            default:
                byte[] device = BlockErrors.sense(e);
                int field = writing ? 20 : 12;
                task.complete(
                        ScsiStatus.CHECK_CONDITION,
                        null,
                        CopySense.copyAborted(SenseData.asc(device), SenseData.ascq(device), step, field),
                        transferLength);
        }
    }

    /** After a destination write on another disk completed: that disk's gate counts it as done. */
    private void leaveGate() {
        WriteGate g = entered;
        if (g != null) {
            entered = null;
            g.exit();
        }
    }

    /** The destination's write token is another gateway's: ends retryably, as a write to it would (02/04/0A). */
    private void notWriter(String disk) {
        LOG.debug("EXTENDED COPY segment {}: this gateway does not hold the write token of {}", step, disk);
        phase = -1;
        release();
        results.end(nexus, request, false, step, bytesCopied);
        task.complete(
                ScsiStatus.CHECK_CONDITION, null, SenseData.fixed(SenseData.NOT_READY, 0x04, 0x0A), transferLength);
    }

    private void release() {
        if (buf != null) {
            buf.release();
            buf = null;
        }
    }
}
