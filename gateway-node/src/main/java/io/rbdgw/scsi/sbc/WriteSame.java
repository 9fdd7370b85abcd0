package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiOpcodes;
import io.rbdgw.scsi.ScsiTask;

/**
 * WRITE SAME 10/16.
 *
 * <ul>
 *   <li>NUMBER OF LOGICAL BLOCKS 0 is rejected (we report WSNZ=1), as is more than MAXIMUM WRITE SAME
 *       LENGTH; ANCHOR is not supported (rejected by the usage data).</li>
 *   <li>An all-zero pattern (or NDOB=1, WRITE SAME 16 only) with UNMAP=1 on a thin device whose
 *       discards read back as zeros is a discard; other all-zero requests are
 *       {@link io.rbdgw.block.BlockDevice#writeZeroes} (the device may deallocate, but the range reads
 *       zeros, which is all SBC-3 requires for UNMAP=0 too as far as the host can observe).</li>
 *   <li>Any other pattern is written, UNMAP or not (SBC-3 5.45: a device may only deallocate when the
 *       deallocated blocks read back as the pattern).</li>
 * </ul>
 */
public final class WriteSame {

    private WriteSame() {}

    public static void execute(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        boolean sixteen = (cdb[0] & 0xff) == ScsiOpcodes.WRITE_SAME_16;
        long lba = sixteen ? Cdbs.u64(cdb, 2) : Cdbs.u32(cdb, 2);
        long blocks = sixteen ? Cdbs.u32(cdb, 10) : Cdbs.u16(cdb, 7);
        int lenOffset = sixteen ? 10 : 7;
        boolean unmap = (cdb[1] & 0x08) != 0;
        boolean ndob = sixteen && (cdb[1] & 0x01) != 0;
        DeviceInfo info = lu.info();
        int bs = info.blockSize();
        int expected = ndob ? -1 : bs;
        try {
            if (blocks == 0 || blocks > lu.maxWriteSameBlocks(info)) {
                throw ScsiError.invalidCdb(lenOffset, -1);
            }
            Blocks.checkRange(info, lba, blocks);
        } catch (ScsiError e) {
            throw e.withTransferLength(expected);
        }
        // exactly one block of data-out (none with NDOB): anything else is a confused initiator
        Blocks.checkExactDataOut(task, ndob ? 0 : bs, lenOffset);
        long offset = lba * bs;
        long length = blocks * bs;
        ByteBuf out = null;
        boolean zero = ndob;
        if (!ndob) {
            out = task.dataOut();
            zero = isZero(out, bs);
        }
        if (zero) {
            Done done = new Done(task, expected, null);
            if (unmap && info.thinProvisioned() && info.discardZeroes()) {
                lu.device().discard(offset, length, done);
            } else {
                lu.device().writeZeroes(offset, length, done);
            }
            return;
        }
        ByteBuf copy = Blocks.directCopyIfNeeded(out, bs, task.alloc());
        Done done = new Done(task, expected, copy);
        try {
            lu.device().writeSame(offset, length, Blocks.nio(out, copy, 0, bs), done);
        } catch (RuntimeException e) {
            done.releaseHeld();
            throw e;
        }
    }

    private static boolean isZero(ByteBuf b, int len) {
        int base = b.readerIndex();
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            if (b.getLong(base + i) != 0) {
                return false;
            }
        }
        for (; i < len; i++) {
            if (b.getByte(base + i) != 0) {
                return false;
            }
        }
        return true;
    }
}
