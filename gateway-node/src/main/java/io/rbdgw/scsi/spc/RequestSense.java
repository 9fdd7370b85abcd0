package io.rbdgw.scsi.spc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;

/**
 * REQUEST SENSE: returns (and clears) the oldest pending unit attention of the nexus, or NO SENSE.
 * DESC=1 returns descriptor-format sense (SPC-4 4.5.2).
 */
public final class RequestSense {

    private RequestSense() {}

    public static void execute(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        int ua = lu.unitAttentionQueues().poll(task.nexus());
        byte[] sense = ua >= 0
                ? SenseData.fixed(SenseData.UNIT_ATTENTION, ua >>> 8, ua & 0xff)
                : SenseData.fixed(SenseData.NO_SENSE, 0, 0);
        respond(task, sense, (cdb[1] & 0x01) != 0, Cdbs.u8(cdb, 4));
    }

    /** Answers REQUEST SENSE with {@code fixedSense}, converted to descriptor format if asked. */
    public static void respond(ScsiTask task, byte[] fixedSense, boolean descriptor, int allocationLength) {
        ByteBuf b;
        if (descriptor) {
            b = task.alloc().buffer(8);
            b.writeByte(0x72)
                    .writeByte(SenseData.senseKey(fixedSense))
                    .writeByte(SenseData.asc(fixedSense))
                    .writeByte(SenseData.ascq(fixedSense))
                    .writeZero(3)
                    .writeByte(0);
        } else {
            b = task.alloc().buffer(fixedSense.length);
            b.writeBytes(fixedSense);
        }
        Completions.data(task, b, allocationLength);
    }
}
