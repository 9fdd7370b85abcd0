package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** SCSI Data-Out (RFC 7143 section 11.7.1). */
public record DataOut(
        boolean finalFlag, long lun, int itt, int ttt, int expStatSN, int dataSN, int bufferOffset, ByteBuf data)
        implements IscsiPdu {

    public DataOut {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.DATA_OUT;
    }
}
