package io.rbdgw.scsi.spc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.TargetPortGroups;
import java.util.List;

/** REPORT TARGET PORT GROUPS (SPC-4 6.36), from the unit's {@link TargetPortGroups}. */
public final class TargetPortGroupsReport {

    /** Supported states we announce: Active/Optimized, Active/Non-optimized, Standby, Unavailable, Transitioning. */
    static final int SUPPORTED_STATES = 0x80 | 0x08 | 0x04 | 0x02 | 0x01;

    private TargetPortGroupsReport() {}

    public static void execute(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        int format = (cdb[1] & 0xE0) >>> 5;
        if (format > 1) {
            throw ScsiError.invalidCdb(1, 7);
        }
        long alloc = Cdbs.u32(cdb, 6);
        TargetPortGroups tpgs = lu.targetPortGroups();
        List<TargetPortGroups.Group> groups = tpgs.groups(task.nexus());
        ByteBuf b = task.alloc().buffer(64);
        b.writeInt(0);
        if (format == 1) {
            b.writeByte(0x10)
                    .writeByte(Math.min(255, tpgs.implicitTransitionSeconds()))
                    .writeShort(0);
        }
        for (TargetPortGroups.Group g : groups) {
            b.writeByte((g.preferred() ? 0x80 : 0) | (g.state() & 0x0F));
            b.writeByte(SUPPORTED_STATES);
            b.writeShort(g.id());
            b.writeByte(0);
            b.writeByte(0); // STATUS CODE: no status available
            b.writeByte(0);
            b.writeByte(g.relativePorts().size());
            for (int port : g.relativePorts()) {
                b.writeShort(0).writeShort(port);
            }
        }
        b.setInt(0, b.writerIndex() - 4);
        Completions.data(task, b, alloc);
    }
}
