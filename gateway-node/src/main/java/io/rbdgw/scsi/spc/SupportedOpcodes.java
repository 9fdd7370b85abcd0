package io.rbdgw.scsi.spc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.CommandSpec;
import io.rbdgw.scsi.CommandTable;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiTask;

/** REPORT SUPPORTED OPERATION CODES (SPC-4 6.35), generated from the logical unit's command table. */
public final class SupportedOpcodes {

    private SupportedOpcodes() {}

    public static void execute(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        boolean rctd = (cdb[2] & 0x80) != 0;
        int options = cdb[2] & 0x07;
        int opcode = cdb[3] & 0xff;
        int sa = Cdbs.u16(cdb, 4);
        long alloc = Cdbs.u32(cdb, 6);
        CommandTable table = lu.commands();
        ByteBuf b;
        switch (options) {
            case 0:
                b = task.alloc().buffer(4 + table.all().size() * (rctd ? 20 : 8));
                b.writeInt(0);
                for (CommandSpec c : table.all()) {
                    b.writeByte(c.opcode())
                            .writeByte(0)
                            .writeShort(Math.max(0, c.serviceAction()))
                            .writeByte(0)
                            .writeByte((rctd ? 0x02 : 0) | (c.hasServiceAction() ? 0x01 : 0))
                            .writeShort(c.cdbLength());
                    if (rctd) {
                        timeouts(b, c);
                    }
                }
                b.setInt(0, b.writerIndex() - 4);
                break;
            case 1:
                if (table.hasServiceActions(opcode)) {
                    throw ScsiError.invalidCdb(2, -1);
                }
                b = one(task, table.find(opcode, -1), rctd);
                break;
            case 2:
                if (!table.hasServiceActions(opcode)) {
                    throw ScsiError.invalidCdb(2, -1);
                }
                b = one(task, table.find(opcode, sa), rctd);
                break;
            case 3:
                b = one(task, table.find(opcode, table.hasServiceActions(opcode) ? sa : sa == 0 ? -1 : -2), rctd);
                break;
            default:
                throw ScsiError.invalidCdb(2, 2);
        }
        Completions.data(task, b, alloc);
    }

    /** The one-command parameter data: SUPPORT 011b with the usage data, or 001b when unsupported. */
    private static ByteBuf one(ScsiTask task, CommandSpec c, boolean rctd) {
        if (c == null) {
            ByteBuf b = task.alloc().buffer(4);
            b.writeByte(0).writeByte(0x01).writeShort(0);
            return b;
        }
        ByteBuf b = task.alloc().buffer(4 + c.cdbLength() + 12);
        b.writeByte(0)
                .writeByte((rctd ? 0x80 : 0) | 0x03)
                .writeShort(c.cdbLength())
                .writeBytes(c.usage());
        if (rctd) {
            timeouts(b, c);
        }
        return b;
    }

    private static void timeouts(ByteBuf b, CommandSpec c) {
        b.writeShort(0x0A)
                .writeByte(0)
                .writeByte(0)
                .writeInt(c.nominalTimeout())
                .writeInt(c.recommendedTimeout());
    }
}
