package io.rbdgw.scsi.spc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.LuIdentity;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.xcopy.CopyCommands;
import java.nio.charset.StandardCharsets;

/** INQUIRY: standard data and the vital product data pages 0x00, 0x80, 0x83, 0x86, 0x8F, 0xB0, 0xB1, 0xB2. */
public final class Inquiry {

    /** The VPD pages we return, ascending (page 0x00 lists them). */
    static final int[] PAGES = {0x00, 0x80, 0x83, 0x86, 0x8F, 0xB0, 0xB1, 0xB2};

    private Inquiry() {}

    public static void execute(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        boolean evpd = (cdb[1] & 0x01) != 0;
        int page = cdb[2] & 0xff;
        int alloc = Cdbs.u16(cdb, 3);
        if (!evpd) {
            if (page != 0) {
                throw ScsiError.invalidCdb(2, -1);
            }
            Completions.data(task, standard(task, lu.identity(), 0x00), alloc);
            return;
        }
        ByteBuf b = task.alloc().buffer(64);
        try {
            b.writeByte(0x00).writeByte(page).writeShort(0); // header; length patched below
            switch (page) {
                case 0x00:
                    for (int p : PAGES) {
                        b.writeByte(p);
                    }
                    break;
                case 0x80:
                    b.writeBytes(lu.identity().serial().getBytes(StandardCharsets.US_ASCII));
                    break;
                case 0x83:
                    deviceIdentification(b, lu, task.nexus());
                    break;
                case 0x86:
                    extended(b);
                    break;
                case 0x8F:
                    CopyCommands.thirdPartyCopyPage(b, lu);
                    break;
                case 0xB0:
                    blockLimits(b, lu, lu.info());
                    break;
                case 0xB1:
                    b.writeShort(1).writeZero(0x3C - 2); // MEDIUM ROTATION RATE 1: non-rotating
                    break;
                case 0xB2:
                    provisioning(b, lu.info());
                    break;
                default:
                    throw ScsiError.invalidCdb(2, -1);
            }
        } catch (RuntimeException e) {
            b.release();
            throw e;
        }
        b.setShort(2, b.writerIndex() - 4);
        Completions.data(task, b, alloc);
    }

    /**
     * Standard INQUIRY data with the given first byte (peripheral qualifier and device type):
     * SPC-4, HiSup, response data format 2, implicit ALUA (TPGS=01), CmdQue, and version descriptors
     * for SAM-5, SPC-4, SBC-3 and iSCSI.
     */
    public static ByteBuf standard(ScsiTask task, LuIdentity id, int peripheral) {
        ByteBuf b = task.alloc().buffer(66);
        b.writeByte(peripheral);
        b.writeByte(0x00); // RMB=0
        b.writeByte(0x06); // VERSION: SPC-4
        b.writeByte(0x12); // HISUP, RESPONSE DATA FORMAT 2
        b.writeByte(66 - 5); // ADDITIONAL LENGTH
        b.writeByte(peripheral == 0x00 ? 0x18 : 0x10); // TPGS=01 (implicit ALUA), 3PC=1 for a real LU
        b.writeByte(0x00);
        b.writeByte(0x02); // CMDQUE
        ascii(b, id.vendor(), 8);
        ascii(b, id.product(), 16);
        ascii(b, id.revision(), 4);
        b.writeZero(58 - 36); // vendor specific, reserved
        b.writeShort(0x00A0); // SAM-5
        b.writeShort(0x0460); // SPC-4
        b.writeShort(0x04C0); // SBC-3
        b.writeShort(0x0960); // iSCSI
        return b;
    }

    private static void deviceIdentification(ByteBuf b, LogicalUnit lu, ItNexus nexus) {
        LuIdentity id = lu.identity();
        // NAA (IEEE registered extended), logical unit, binary
        b.writeByte(0x01).writeByte(0x03).writeByte(0).writeByte(16).writeBytes(id.naaDesignator());
        // T10 vendor identification, logical unit, ASCII: vendor + serial
        byte[] serial = id.serial().getBytes(StandardCharsets.US_ASCII);
        b.writeByte(0x02).writeByte(0x01).writeByte(0).writeByte(8 + serial.length);
        ascii(b, id.vendor(), 8);
        b.writeBytes(serial);
        // relative target port, target port association, PIV=1
        b.writeByte(0x51)
                .writeByte(0x94)
                .writeByte(0)
                .writeByte(4)
                .writeShort(0)
                .writeShort(lu.targetPortGroups().relativePortOf(nexus));
        // target port group
        b.writeByte(0x51)
                .writeByte(0x95)
                .writeByte(0)
                .writeByte(4)
                .writeShort(0)
                .writeShort(lu.targetPortGroups().groupOf(nexus));
        // SCSI name string of the target port, UTF-8, null terminated, padded to a multiple of 4
        byte[] name = nexus.targetPortName().getBytes(StandardCharsets.UTF_8);
        int len = (name.length + 1 + 3) & ~3;
        b.writeByte(0x53)
                .writeByte(0x98)
                .writeByte(0)
                .writeByte(len)
                .writeBytes(name)
                .writeZero(len - name.length);
    }

    private static void extended(ByteBuf b) {
        b.writeByte(0x00);
        b.writeByte(0x07); // HEADSUP, ORDSUP, SIMPSUP
        b.writeByte(0x00); // V_SUP=0, NV_SUP=0
        b.writeByte(0x01); // LUICLR
        b.writeZero(0x3C - 4);
    }

    private static void blockLimits(ByteBuf b, LogicalUnit lu, DeviceInfo info) {
        int bs = info.blockSize();
        b.writeByte(0x01); // WSNZ: WRITE SAME with 0 blocks is rejected
        b.writeByte(lu.maxCompareAndWriteBlocks(info)); // MAXIMUM COMPARE AND WRITE LENGTH
        b.writeShort(0); // OPTIMAL TRANSFER LENGTH GRANULARITY
        b.writeInt((int) lu.maxTransferBlocks(info)); // MAXIMUM TRANSFER LENGTH
        b.writeInt(info.optimalTransferBytes() / bs); // OPTIMAL TRANSFER LENGTH
        b.writeInt(0); // MAXIMUM PREFETCH LENGTH
        boolean thin = info.thinProvisioned();
        b.writeInt((int) Math.min(0xFFFF_FFFFL, lu.maxUnmapBlocks(info))); // MAXIMUM UNMAP LBA COUNT
        b.writeInt(thin ? LogicalUnit.MAX_UNMAP_DESCRIPTORS : 0); // MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT
        b.writeInt(thin ? Math.max(1, info.optimalTransferBytes() / bs) : 0); // OPTIMAL UNMAP GRANULARITY
        b.writeInt(0); // UGAVALID=0
        b.writeLong(lu.maxWriteSameBlocks(info)); // MAXIMUM WRITE SAME LENGTH
        b.writeInt((int) lu.maxAtomicTransferBlocks(info)); // MAXIMUM ATOMIC TRANSFER LENGTH
        b.writeInt((int) lu.atomicAlignmentBlocks(info)); // ATOMIC ALIGNMENT
        b.writeInt((int) lu.atomicGranularityBlocks(info)); // ATOMIC TRANSFER LENGTH GRANULARITY
        b.writeInt(0); // MAX. ATOMIC TRANSFER LENGTH WITH ATOMIC BOUNDARY
        b.writeInt(0); // MAXIMUM ATOMIC BOUNDARY SIZE
        b.writeZero(0x3C + 4 - b.writerIndex()); // SBC-4 page length 0x3C
    }

    private static void provisioning(ByteBuf b, DeviceInfo info) {
        boolean thin = info.thinProvisioned();
        b.writeByte(0x00); // THRESHOLD EXPONENT
        int flags = thin ? 0xE0 : 0x00; // LBPU, LBPWS, LBPWS10
        if (thin && info.discardZeroes()) {
            flags |= 0x04; // LBPRZ
        }
        b.writeByte(flags);
        b.writeByte(thin ? 0x02 : 0x00); // PROVISIONING TYPE: thin / full
        b.writeByte(0x00);
    }

    private static void ascii(ByteBuf b, String s, int width) {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        b.writeBytes(bytes, 0, Math.min(width, bytes.length));
        for (int i = bytes.length; i < width; i++) {
            b.writeByte(' ');
        }
    }
}
