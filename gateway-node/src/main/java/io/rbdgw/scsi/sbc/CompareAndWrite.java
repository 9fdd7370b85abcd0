package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;

/**
 * COMPARE AND WRITE (SBC-3 5.2): the data-out holds the compare data then the write data, n blocks
 * each. A miscompare answers 0E/1D/00 with INFORMATION = offset of the first differing byte from the
 * start of the data-out buffer (which is also its offset in the compared range, the compare data
 * coming first). A data-out of any size other than 2 * NUMBER OF LOGICAL BLOCKS blocks is 05/24/00
 * before anything is compared. FUA is honoured with a flush after the write when the device caches writes.
 */
public final class CompareAndWrite {

    private CompareAndWrite() {}

    public static void execute(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        long lba = Blocks.lba(cdb);
        int blocks = cdb[13] & 0xff;
        DeviceInfo info = lu.info();
        int bs = info.blockSize();
        int len = 2 * blocks * bs;
        try {
            if (blocks > lu.maxCompareAndWriteBlocks(info)) {
                throw ScsiError.invalidCdb(13, -1);
            }
            Blocks.checkRange(info, lba, blocks);
        } catch (ScsiError e) {
            throw e.withTransferLength(len);
        }
        // the data-out must be exactly compare + write data: with any other size the initiator and
        // the CDB disagree about the command, and a partial compare would be meaningless
        Blocks.checkExactDataOut(task, len, 13);
        if (blocks == 0) {
            task.complete(ScsiStatus.GOOD, null, null, 0);
            return;
        }
        ByteBuf out = task.dataOut();
        ByteBuf copy = Blocks.directCopyIfNeeded(out, len, task.alloc());
        int half = len / 2;
        boolean flush = (cdb[1] & 0x08) != 0 && info.volatileWriteCache();
        CawDone done = new CawDone(lu, task, copy, len, flush);
        try {
            lu.device()
                    .compareAndWrite(lba * bs, Blocks.nio(out, copy, 0, half), Blocks.nio(out, copy, half, half), done);
        } catch (RuntimeException e) {
            done.releaseHeld();
            throw e;
        }
    }

    private static final class CawDone extends BlockCallback {
        private final LogicalUnit lu;
        private final boolean flush;

        CawDone(LogicalUnit lu, ScsiTask task, ByteBuf copy, int len, boolean flush) {
            super(task, len, copy);
            this.lu = lu;
            this.flush = flush;
        }

        @Override
        void succeeded(long bytes) {
            releaseHeld();
            if (flush) {
                lu.device().flush(new Done(task, transferLength, null));
            } else {
                good();
            }
        }
    }
}
