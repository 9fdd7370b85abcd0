package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiTask;

/** READ CAPACITY 10/16 and GET LBA STATUS. */
public final class Capacity {

    private Capacity() {}

    /** READ CAPACITY(10): 0xFFFFFFFF as the last LBA when it does not fit, telling the host to use 16. */
    public static void readCapacity10(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        if ((cdb[8] & 0x01) == 0 && Cdbs.u32(cdb, 2) != 0) {
            throw ScsiError.invalidCdb(2, -1); // LOGICAL BLOCK ADDRESS must be 0 without PMI
        }
        DeviceInfo info = lu.info();
        long last = info.blockCount() - 1;
        ByteBuf b = task.alloc().buffer(8);
        b.writeInt(last > 0xFFFF_FFFEL ? -1 : (int) last).writeInt(info.blockSize());
        Completions.data(task, b, 8);
    }

    /**
     * READ CAPACITY(16): LBPME when thin provisioned, LBPRZ when discarded blocks read zero; a 512-byte
     * device reports 4096-byte physical blocks so that hosts align to RBD's natural granularity.
     */
    public static void readCapacity16(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        if ((cdb[14] & 0x01) == 0 && Cdbs.u64(cdb, 2) != 0) {
            throw ScsiError.invalidCdb(2, -1);
        }
        DeviceInfo info = lu.info();
        ByteBuf b = task.alloc().buffer(32);
        b.writeLong(info.blockCount() - 1).writeInt(info.blockSize());
        b.writeByte(0); // no protection information
        // LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT: 0. Neither RBD nor a file has a physical
        // sector larger than the logical block; alignment hints go in the block limits VPD page.
        b.writeByte(0);
        int lbp = 0;
        if (info.thinProvisioned()) {
            lbp = 0x80 | (info.discardZeroes() ? 0x40 : 0); // LBPME, LBPRZ
        }
        b.writeByte(lbp).writeByte(0); // LOWEST ALIGNED LBA 0
        b.writeZero(16);
        Completions.data(task, b, Cdbs.u32(cdb, 10));
    }

    /** GET LBA STATUS: one descriptor, for the extent that starts at the requested LBA. */
    public static void getLbaStatus(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        long lba = Cdbs.u64(cdb, 2);
        long alloc = Cdbs.u32(cdb, 10);
        DeviceInfo info = lu.info();
        if (lba < 0 || lba >= info.blockCount()) { // the LBA is unsigned: 2^63 and up are out of range
            throw ScsiError.lbaOutOfRange();
        }
        if (alloc == 0) {
            Completions.good(task, 0);
            return;
        }
        lu.device().allocationStatus(lba * info.blockSize(), new StatusDone(task, lba, info, alloc));
    }

    private static final class StatusDone extends BlockCallback {
        private final long lba;
        private final DeviceInfo info;
        private final long alloc;

        StatusDone(ScsiTask task, long lba, DeviceInfo info, long alloc) {
            super(task, -1, null);
            this.lba = lba;
            this.info = info;
            this.alloc = alloc;
        }

        @Override
        void succeeded(long bytes) {
            boolean mapped = bytes >= 0;
            long blocks = Math.abs(bytes) / info.blockSize();
            blocks = Math.max(1, Math.min(blocks, info.blockCount() - lba));
            blocks = Math.min(blocks, 0xFFFF_FFFFL);
            ByteBuf b = task.alloc().buffer(24);
            b.writeInt(20).writeInt(0);
            b.writeLong(lba).writeInt((int) blocks).writeByte(mapped ? 0 : 1).writeZero(3);
            Completions.data(task, b, alloc);
        }
    }
}
