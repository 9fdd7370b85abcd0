package io.rbdgw.scsi.spc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiTask;
import java.util.Arrays;

/** REPORT LUNS (SPC-4 6.33). */
public final class ReportLuns {

    private ReportLuns() {}

    public static void execute(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        respond(task, cdb, lu.reportedLuns());
    }

    /**
     * Answers with {@code luns}. SELECT REPORT 0 and 2 list every LUN, 1 (well known LUNs) lists none;
     * other values and an allocation length below 16 are rejected.
     */
    public static void respond(ScsiTask task, byte[] cdb, long[] luns) {
        int select = cdb[2] & 0xff;
        if (select > 2) {
            throw ScsiError.invalidCdb(2, -1);
        }
        long alloc = Cdbs.u32(cdb, 6);
        if (alloc < 16) {
            throw ScsiError.invalidCdb(6, -1);
        }
        long[] list = select == 1 ? new long[0] : luns.clone();
        Arrays.sort(list);
        ByteBuf b = task.alloc().buffer(8 + 8 * list.length);
        b.writeInt(8 * list.length).writeInt(0);
        for (long lun : list) {
            b.writeLong(encode(lun));
        }
        Completions.data(task, b, alloc);
    }

    /** SAM-5 LUN field: peripheral device addressing below 256, flat space addressing up to 16383. */
    public static long encode(long lun) {
        if (lun < 256) {
            return lun << 48;
        }
        return (0x4000L | (lun & 0x3FFF)) << 48;
    }
}
