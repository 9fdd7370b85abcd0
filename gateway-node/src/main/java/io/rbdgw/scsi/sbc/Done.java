package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.ScsiTask;

/** Completes a task with GOOD or the mapped failure; releases a gathered data-out copy if any. */
final class Done extends BlockCallback {

    Done(ScsiTask task, int transferLength, ByteBuf copy) {
        super(task, transferLength, copy);
    }

    @Override
    void succeeded(long bytes) {
        releaseHeld();
        good();
    }
}
