package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.IoCallback;
import io.rbdgw.scsi.BlockErrors;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;

/** Completes a task with GOOD or the mapped failure; releases a gathered data-out copy if any. */
final class Done implements IoCallback {

    private final ScsiTask task;
    private final int transferLength;
    private final ByteBuf copy;

    Done(ScsiTask task, int transferLength, ByteBuf copy) {
        this.task = task;
        this.transferLength = transferLength;
        this.copy = copy;
    }

    void releaseCopy() {
        if (copy != null) {
            copy.release();
        }
    }

    @Override
    public void onSuccess(long bytes) {
        releaseCopy();
        task.complete(ScsiStatus.GOOD, null, null, transferLength);
    }

    @Override
    public void onFailure(BlockDeviceException error) {
        releaseCopy();
        BlockErrors.fail(task, error, transferLength);
    }
}
