package io.rbdgw.scsi.sbc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiTask;

/**
 * READ DEFECT DATA 10/12 (SBC-3 5.19, 5.20). A virtual disk has no grown or primary defects: both
 * lists exist and are empty, so each requested list is reported valid (PLISTV/GLISTV) with a DEFECT
 * LIST LENGTH of 0, in the requested format (any address format describes an empty list).
 */
public final class DefectData {

    private DefectData() {}

    /** READ DEFECT DATA(10): 4-byte header; REQ_PLIST, REQ_GLIST and the format are in byte 2. */
    public static void readDefectData10(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        ByteBuf b = task.alloc().buffer(4);
        b.writeByte(0).writeByte(cdb[2] & 0x1F).writeShort(0);
        Completions.data(task, b, Cdbs.u16(cdb, 7));
    }

    /** READ DEFECT DATA(12): 8-byte header (generation code 0); the request bits are in byte 1. */
    public static void readDefectData12(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        ByteBuf b = task.alloc().buffer(8);
        b.writeByte(0).writeByte(cdb[1] & 0x1F).writeShort(0).writeInt(0);
        Completions.data(task, b, Cdbs.u32(cdb, 6));
    }
}
