package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Text Response (RFC 7143 section 11.11). */
public record TextResponse(
        boolean finalFlag,
        boolean cont,
        long lun,
        int itt,
        int ttt,
        int statSN,
        int expCmdSN,
        int maxCmdSN,
        ByteBuf data)
        implements IscsiPdu {

    public TextResponse {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.TEXT_RESPONSE;
    }
}
