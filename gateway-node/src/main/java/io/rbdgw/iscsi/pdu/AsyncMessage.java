package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Asynchronous Message (RFC 7143 section 11.9); parameters are 16 bits, the data is sense data or text. */
public record AsyncMessage(
        long lun,
        int statSN,
        int expCmdSN,
        int maxCmdSN,
        int asyncEvent,
        int asyncVCode,
        int parameter1,
        int parameter2,
        int parameter3,
        ByteBuf data)
        implements IscsiPdu {

    public AsyncMessage {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.ASYNC_MESSAGE;
    }
}
