package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Logout Response (RFC 7143 section 11.15); the times are 16-bit seconds. */
public record LogoutResponse(
        int response, int itt, int statSN, int expCmdSN, int maxCmdSN, int time2Wait, int time2Retain)
        implements IscsiPdu {

    @Override
    public ByteBuf data() {
        return Unpooled.EMPTY_BUFFER;
    }

    @Override
    public int opcode() {
        return Opcodes.LOGOUT_RESPONSE;
    }
}
