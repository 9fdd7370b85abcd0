package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Reject (RFC 7143 section 11.17); {@code data} is the 48-byte header of the rejected PDU. */
public record Reject(int reason, int statSN, int expCmdSN, int maxCmdSN, int dataSN, ByteBuf data) implements IscsiPdu {

    public Reject {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.REJECT;
    }
}
