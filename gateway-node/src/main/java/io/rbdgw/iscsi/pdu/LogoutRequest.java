package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Logout Request (RFC 7143 section 11.14); {@code reasonCode} is 7 bits, {@code cid} 16 bits. */
public record LogoutRequest(boolean immediate, int reasonCode, int itt, int cid, int cmdSN, int expStatSN)
        implements IscsiPdu {

    @Override
    public ByteBuf data() {
        return Unpooled.EMPTY_BUFFER;
    }

    @Override
    public int opcode() {
        return Opcodes.LOGOUT_REQUEST;
    }
}
