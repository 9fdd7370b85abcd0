package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** SNACK Request (RFC 7143 section 11.16); {@code type} is 4 bits, {@code ttt} is the TTT or SNACK Tag. */
public record SnackRequest(int type, long lun, int itt, int ttt, int expStatSN, int begRun, int runLength)
        implements IscsiPdu {

    @Override
    public ByteBuf data() {
        return Unpooled.EMPTY_BUFFER;
    }

    @Override
    public int opcode() {
        return Opcodes.SNACK_REQUEST;
    }
}
