package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Task Management Function Request (RFC 7143 section 11.5); {@code function} is the 7-bit function code. */
public record TaskManagementRequest(
        boolean immediate,
        int function,
        long lun,
        int itt,
        int referencedTaskTag,
        int cmdSN,
        int expStatSN,
        int refCmdSN,
        int expDataSN)
        implements IscsiPdu {

    @Override
    public ByteBuf data() {
        return Unpooled.EMPTY_BUFFER;
    }

    @Override
    public int opcode() {
        return Opcodes.TASK_MGMT_REQUEST;
    }
}
