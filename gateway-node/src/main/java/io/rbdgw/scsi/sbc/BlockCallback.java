package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.IoCallback;
import io.rbdgw.scsi.BlockErrors;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;

/**
 * The base of the block commands' device callbacks (any device thread). The failure path is the same for
 * all of them: release the buffer the command holds, map the device error to a SCSI outcome
 * ({@link BlockErrors}) and complete the task. A subclass says what success means.
 */
abstract class BlockCallback implements IoCallback {

    final ScsiTask task;
    /** The transfer length reported with the outcome (-1: none). */
    final int transferLength;
    /** A buffer the command holds until the device is done with it (a gathered copy, a read buffer), or null. */
    private ByteBuf held;

    BlockCallback(ScsiTask task, int transferLength, ByteBuf held) {
        this.task = task;
        this.transferLength = transferLength;
        this.held = held;
    }

    /** What the command does when the device operation succeeded. */
    abstract void succeeded(long bytes);

    @Override
    public final void onSuccess(long bytes) {
        succeeded(bytes);
    }

    @Override
    public final void onFailure(BlockDeviceException error) {
        releaseHeld();
        BlockErrors.fail(task, error, transferLength);
    }

    /** Releases the held buffer (also when the device call threw before it took the callback). */
    final void releaseHeld() {
        ByteBuf b = held;
        if (b != null) {
            held = null;
            b.release();
        }
    }

    /** The held buffer, which the caller now owns (handed on as data-in). */
    final ByteBuf takeHeld() {
        ByteBuf b = held;
        held = null;
        return b;
    }

    /** Completes the task with GOOD and the transfer length. */
    final void good() {
        task.complete(ScsiStatus.GOOD, null, null, transferLength);
    }
}
