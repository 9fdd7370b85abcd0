package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Login Response (RFC 7143 section 11.13). */
public record LoginResponse(
        boolean transit,
        boolean cont,
        int csg,
        int nsg,
        int versionMax,
        int versionActive,
        long isid,
        int tsih,
        int itt,
        int statSN,
        int expCmdSN,
        int maxCmdSN,
        int statusClass,
        int statusDetail,
        ByteBuf data)
        implements IscsiPdu {

    public LoginResponse {
        if (data == null) {
            data = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int opcode() {
        return Opcodes.LOGIN_RESPONSE;
    }
}
