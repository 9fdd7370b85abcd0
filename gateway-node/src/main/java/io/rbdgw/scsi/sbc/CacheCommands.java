package io.rbdgw.scsi.sbc;

import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiTask;

/** SYNCHRONIZE CACHE 10/16 and PRE-FETCH 10/16. */
public final class CacheCommands {

    private CacheCommands() {}

    /**
     * SYNCHRONIZE CACHE: range check, then a flush of the whole device (RBD has no ranged flush). IMMED
     * is accepted but the status still waits for the flush: that is always allowed and keeps a host
     * from believing data durable too early.
     */
    public static void synchronizeCache(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        checkRange(lu.info(), cdb);
        lu.device().flush(new Done(task, -1, null));
    }

    /** PRE-FETCH: GOOD after the range check (the backend has no cache worth filling). */
    public static void preFetch(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        checkRange(lu.info(), cdb);
        Completions.good(task, -1);
    }

    private static void checkRange(DeviceInfo info, byte[] cdb) {
        long lba = Blocks.lba(cdb);
        long blocks = (cdb[0] & 0xff) >= 0x80 ? Cdbs.u32(cdb, 10) : Cdbs.u16(cdb, 7);
        Blocks.checkRange(info, lba, blocks);
    }
}
