package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCounted;

/**
 * Not a PDU: what {@link IscsiPduDecoder} emits for input it cannot accept, instead of throwing.
 *
 * @param rejectReason the {@link RejectReason} to answer with
 * @param header a copy of the offending 48-byte BHS (the data of a Reject PDU), or EMPTY if not available
 * @param itt the Initiator Task Tag of the offending PDU (0xffffffff if unknown)
 * @param fatal true when the stream cannot be resynchronised (e.g. header digest error): the decoder drops
 *     all further input and the connection must be closed
 * @param message a human-readable description for logs
 */
public record InvalidPdu(int rejectReason, ByteBuf header, int itt, boolean fatal, String message)
        implements ReferenceCounted {

    public InvalidPdu {
        if (header == null) {
            header = Unpooled.EMPTY_BUFFER;
        }
    }

    @Override
    public int refCnt() {
        return header.refCnt();
    }

    @Override
    public InvalidPdu retain() {
        header.retain();
        return this;
    }

    @Override
    public InvalidPdu retain(int increment) {
        header.retain(increment);
        return this;
    }

    @Override
    public InvalidPdu touch() {
        header.touch();
        return this;
    }

    @Override
    public InvalidPdu touch(Object hint) {
        header.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return header.release();
    }

    @Override
    public boolean release(int decrement) {
        return header.release(decrement);
    }
}
