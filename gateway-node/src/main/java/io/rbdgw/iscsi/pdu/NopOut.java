package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** NOP-Out (RFC 7143 section 11.18); the data segment is ping data echoed in the NOP-In. */
public record NopOut(boolean immediate, long lun, int itt, int ttt, int cmdSN, int expStatSN, ByteBuf data)
        implements IscsiPdu {

    public NopOut {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.NOP_OUT;
    }
}
