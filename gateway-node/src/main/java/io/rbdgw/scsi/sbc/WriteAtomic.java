package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;

/**
 * WRITE ATOMIC(16) (SBC-4 5.48): the data reaches the medium all or nothing with respect to every
 * other command, through {@link io.rbdgw.block.BlockDevice#writeAtomic}.
 *
 * <p>CDB: byte 1 WRPROTECT/DPO/FUA, bytes 2-9 LBA, bytes 10-11 ATOMIC BOUNDARY (must be 0: we report
 * no maximum atomic boundary size; the usage data rejects anything else), bytes 12-13 NUMBER OF
 * LOGICAL BLOCKS, byte 14 group number. Order of checks: 05/20/00 if the device has no atomic writes;
 * the range (05/21/00); 0 blocks is GOOD with no transfer; then the limits of the block limits VPD
 * page (MAXIMUM ATOMIC TRANSFER LENGTH and ATOMIC TRANSFER LENGTH GRANULARITY against the length,
 * ATOMIC ALIGNMENT against the LBA), each 05/24/00 pointing at the field.
 *
 * <p>Data-out shorter than the CDB's length (residual overflow): a WRITE writes the blocks that
 * arrived, but writing part of an atomic write would not be what the initiator asked for, so nothing
 * is written and the command ends 05/0E/03; the CDB's length is still the transfer length.
 */
public final class WriteAtomic {

    private WriteAtomic() {}

    public static void execute(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        DeviceInfo info = lu.info();
        long maxBlocks = lu.maxAtomicTransferBlocks(info);
        if (maxBlocks == 0) {
            throw ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x20, 0x00);
        }
        long lba = Cdbs.u64(cdb, 2);
        int blocks = Cdbs.u16(cdb, 12);
        int bs = info.blockSize();
        int len = blocks * bs;
        boolean fua = (cdb[1] & 0x08) != 0;
        try {
            Blocks.checkRange(info, lba, blocks);
            if (blocks == 0) {
                task.complete(ScsiStatus.GOOD, null, null, 0);
                return;
            }
            long granularity = lu.atomicGranularityBlocks(info);
            if (blocks > maxBlocks || (granularity > 1 && blocks % granularity != 0)) {
                throw ScsiError.invalidCdb(12, -1);
            }
            long alignment = lu.atomicAlignmentBlocks(info);
            if (alignment > 1 && lba % alignment != 0) {
                throw ScsiError.invalidCdb(2, -1);
            }
        } catch (ScsiError e) {
            throw e.withTransferLength(len);
        }
        if (Blocks.blocksSent(task, blocks, bs) < blocks) {
            throw ScsiError.shortDataOut(len);
        }
        ByteBuf out = task.dataOut();
        ByteBuf copy = Blocks.directCopyIfNeeded(out, len, task.alloc());
        Done done = new Done(task, len, copy);
        try {
            lu.device().writeAtomic(lba * bs, Blocks.nio(out, copy, 0, len), fua, done);
        } catch (RuntimeException e) {
            done.releaseHeld();
            throw e;
        }
    }
}
