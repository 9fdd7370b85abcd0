package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Login Request (RFC 7143 section 11.12); {@code isid} is the 48-bit ISID, {@code tsih} and {@code cid} 16-bit. */
public record LoginRequest(
        boolean transit,
        boolean cont,
        int csg,
        int nsg,
        int versionMax,
        int versionMin,
        long isid,
        int tsih,
        int itt,
        int cid,
        int cmdSN,
        int expStatSN,
        ByteBuf data)
        implements IscsiPdu {

    public LoginRequest {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.LOGIN_REQUEST;
    }
}
