package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Ready To Transfer (RFC 7143 section 11.8). */
public record R2t(
        long lun,
        int itt,
        int ttt,
        int statSN,
        int expCmdSN,
        int maxCmdSN,
        int r2tSN,
        int bufferOffset,
        int desiredDataTransferLength)
        implements IscsiPdu {

    @Override
    public ByteBuf data() {
        return Unpooled.EMPTY_BUFFER;
    }

    @Override
    public int opcode() {
        return Opcodes.R2T;
    }
}
