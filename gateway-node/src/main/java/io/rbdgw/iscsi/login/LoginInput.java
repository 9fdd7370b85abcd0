package io.rbdgw.iscsi.login;

import io.netty.buffer.ByteBuf;

/**
 * The fields of one Login Request PDU, copied by the session layer. The negotiator reads {@code data}
 * (readerIndex to writerIndex, without the padding) but neither releases nor retains it: the caller
 * keeps ownership.
 */
public record LoginInput(
        boolean transit,
        boolean cont,
        int csg,
        int nsg,
        int versionMax,
        int versionMin,
        long isid,
        int tsih,
        int cid,
        ByteBuf data) {}
