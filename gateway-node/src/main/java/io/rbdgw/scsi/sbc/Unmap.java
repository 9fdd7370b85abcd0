package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.block.IoCallback;
import io.rbdgw.scsi.BlockErrors;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * UNMAP (SBC-3 5.28). Unsupported (05/20/00) on a fully provisioned device. The whole parameter list
 * is validated before anything is discarded: a length below 8 or a block descriptor data length
 * beyond the list is 05/1A/00; more descriptors than MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT or a
 * descriptor longer than MAXIMUM UNMAP LBA COUNT is 05/26/00; a range beyond the capacity is
 * 05/21/00. The descriptors are then discarded concurrently.
 */
public final class Unmap {

    private Unmap() {}

    public static void execute(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        DeviceInfo info = lu.info();
        int len = Cdbs.u16(cdb, 7);
        if (!info.thinProvisioned()) {
            throw ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x20, 0x00);
        }
        if (len == 0) {
            Completions.good(task, -1);
            return;
        }
        if (len < 8) {
            throw ScsiError.parameterListLength().withTransferLength(len);
        }
        ByteBuf out = Blocks.dataOut(task, len);
        int base = out.readerIndex();
        int bdLen = out.getUnsignedShort(base + 2);
        try {
            if (bdLen > len - 8) {
                throw ScsiError.parameterListLength();
            }
            int count = bdLen / 16;
            if (count > LogicalUnit.MAX_UNMAP_DESCRIPTORS) {
                throw ScsiError.invalidParameter(2, -1);
            }
            long maxBlocks = lu.maxUnmapBlocks(info);
            int nonEmpty = 0;
            for (int i = 0; i < count; i++) {
                int at = 8 + 16 * i;
                long lba = out.getLong(base + at);
                long blocks = out.getUnsignedInt(base + at + 8);
                if (blocks > maxBlocks) {
                    throw ScsiError.invalidParameter(at + 8, -1);
                }
                Blocks.checkRangeAllowEmpty(info, lba, blocks);
                if (blocks > 0) {
                    nonEmpty++;
                }
            }
            if (nonEmpty == 0) {
                Completions.good(task, len);
                return;
            }
            Job job = new Job(task, len, nonEmpty);
            int bs = info.blockSize();
            for (int i = 0; i < count; i++) {
                int at = 8 + 16 * i;
                long lba = out.getLong(base + at);
                long blocks = out.getUnsignedInt(base + at + 8);
                if (blocks > 0) {
                    lu.device().discard(lba * bs, blocks * bs, job);
                }
            }
        } catch (ScsiError e) {
            throw e.withTransferLength(len);
        }
    }

    /** Counts the discards down; the first failure decides the outcome. */
    private static final class Job implements IoCallback {
        private final ScsiTask task;
        private final int len;
        private final AtomicInteger remaining;
        private volatile BlockDeviceException failure;

        Job(ScsiTask task, int len, int count) {
            this.task = task;
            this.len = len;
            this.remaining = new AtomicInteger(count);
        }

        @Override
        public void onSuccess(long bytes) {
            done();
        }

        @Override
        public void onFailure(BlockDeviceException error) {
            if (failure == null) {
                failure = error;
            }
            done();
        }

        private void done() {
            if (remaining.decrementAndGet() == 0) {
                BlockDeviceException f = failure;
                if (f == null) {
                    task.complete(ScsiStatus.GOOD, null, null, len);
                } else {
                    BlockErrors.fail(task, f, len);
                }
            }
        }
    }
}
