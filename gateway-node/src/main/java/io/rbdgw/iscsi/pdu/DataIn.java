package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** SCSI Data-In (RFC 7143 section 11.7.2); {@code status} is meaningful only when {@code hasStatus}. */
public record DataIn(
        boolean finalFlag,
        boolean acknowledge,
        boolean overflow,
        boolean underflow,
        boolean hasStatus,
        int status,
        long lun,
        int itt,
        int ttt,
        int statSN,
        int expCmdSN,
        int maxCmdSN,
        int dataSN,
        int bufferOffset,
        int residualCount,
        ByteBuf data)
        implements IscsiPdu {

    public DataIn {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.DATA_IN;
    }
}
