package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Task Management Function Response (RFC 7143 section 11.6). */
public record TaskManagementResponse(int response, int itt, int statSN, int expCmdSN, int maxCmdSN)
        implements IscsiPdu {

    @Override
    public ByteBuf data() {
        return Unpooled.EMPTY_BUFFER;
    }

    @Override
    public int opcode() {
        return Opcodes.TASK_MGMT_RESPONSE;
    }
}
