package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * An iSCSI PDU. Implementations are immutable records; the only resource they hold is the data segment, so
 * reference counting delegates to {@link #data()} and {@code ReferenceCountUtil.release(pdu)} frees it.
 * PDU types without a data segment return {@code Unpooled.EMPTY_BUFFER}, whose release is a no-op.
 */
public interface IscsiPdu extends ReferenceCounted {

    /** The opcode, see {@link Opcodes}. */
    int opcode();

    /** The data segment without padding or digest; {@code Unpooled.EMPTY_BUFFER} when there is none. */
    ByteBuf data();

    @Override
    default int refCnt() {
        return data().refCnt();
    }

    @Override
    default IscsiPdu retain() {
        data().retain();
        return this;
    }

    @Override
    default IscsiPdu retain(int increment) {
        data().retain(increment);
        return this;
    }

    @Override
    default IscsiPdu touch() {
        data().touch();
        return this;
    }

    @Override
    default IscsiPdu touch(Object hint) {
        data().touch(hint);
        return this;
    }

    @Override
    default boolean release() {
        return data().release();
    }

    @Override
    default boolean release(int decrement) {
        return data().release(decrement);
    }
}
