package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Text Request (RFC 7143 section 11.10). */
public record TextRequest(
        boolean immediate,
        boolean finalFlag,
        boolean cont,
        long lun,
        int itt,
        int ttt,
        int cmdSN,
        int expStatSN,
        ByteBuf data)
        implements IscsiPdu {

    public TextRequest {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.TEXT_REQUEST;
    }
}
