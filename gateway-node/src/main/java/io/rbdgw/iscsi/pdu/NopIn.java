package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** NOP-In (RFC 7143 section 11.19). */
public record NopIn(long lun, int itt, int ttt, int statSN, int expCmdSN, int maxCmdSN, ByteBuf data)
        implements IscsiPdu {

    public NopIn {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.NOP_IN;
    }
}
