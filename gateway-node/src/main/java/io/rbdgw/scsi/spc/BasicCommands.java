package io.rbdgw.scsi.spc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiTask;

/** The small SPC commands and the hand-over of the reservation commands. */
public final class BasicCommands {

    private BasicCommands() {}

    /** TEST UNIT READY: the unit is always ready while it exists. */
    public static void testUnitReady(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        Completions.good(task, -1);
    }

    /**
     * START STOP UNIT: accepted and ignored (the medium cannot be stopped or ejected; LOEJ with START=0
     * on a non-removable medium is a no-op). Power conditions other than START_VALID (0) and ACTIVE (1)
     * make no sense for us and are rejected.
     */
    public static void startStopUnit(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        int powerCondition = (cdb[4] & 0xF0) >>> 4;
        if (powerCondition > 1) {
            throw ScsiError.invalidCdb(4, 7);
        }
        if (powerCondition == 0 && (cdb[3] & 0x0F) != 0) {
            throw ScsiError.invalidCdb(3, 3);
        }
        Completions.good(task, -1);
    }

    /**
     * PREVENT ALLOW MEDIUM REMOVAL: GOOD for PREVENT 0 and 1 (nothing to lock on a non-removable
     * medium; libiscsi only tests locking on removable media); the obsolete values 2 and 3 are rejected.
     */
    public static void preventAllow(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        if ((cdb[4] & 0x02) != 0) {
            throw ScsiError.invalidCdb(4, 1);
        }
        Completions.good(task, -1);
    }

    /**
     * LOG SENSE: only the supported log pages page (0x00, subpage 0) of cumulative/current values.
     */
    public static void logSense(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        int page = cdb[2] & 0x3F;
        int subpage = cdb[3] & 0xff;
        if (page != 0) {
            throw ScsiError.invalidCdb(2, 5);
        }
        if (subpage != 0) {
            throw ScsiError.invalidCdb(3, 7);
        }
        if (Cdbs.u16(cdb, 5) != 0) {
            throw ScsiError.invalidCdb(5, 7);
        }
        ByteBuf b = task.alloc().buffer(5);
        b.writeByte(0x00).writeByte(0x00).writeShort(1).writeByte(0x00);
        Completions.data(task, b, Cdbs.u16(cdb, 7));
    }

    public static void reserve(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        lu.reservations().reserve(task);
    }

    public static void release(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        lu.reservations().release(task);
    }

    public static void persistentReserveIn(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        lu.reservations().persistentReserveIn(task);
    }

    public static void persistentReserveOut(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        lu.reservations().persistentReserveOut(task);
    }
}
