package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** SCSI Response (RFC 7143 section 11.4); {@code data} is SenseLength (2 bytes) + sense data, or empty. */
public record ScsiResponse(
        boolean bidiOverflow,
        boolean bidiUnderflow,
        boolean overflow,
        boolean underflow,
        int response,
        int status,
        int itt,
        int snackTag,
        int statSN,
        int expCmdSN,
        int maxCmdSN,
        int expDataSN,
        int bidiReadResidualCount,
        int residualCount,
        ByteBuf data)
        implements IscsiPdu {

    public ScsiResponse {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.SCSI_RESPONSE;
    }
}
