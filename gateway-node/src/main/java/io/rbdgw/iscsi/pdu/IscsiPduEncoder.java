package io.rbdgw.iscsi.pdu;

import static io.rbdgw.iscsi.pdu.PduCodec.BHS_LENGTH;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Encodes {@link IscsiPdu} records. Each PDU becomes one buffer: a pooled header (BHS, AHS, header digest), the
 * data segment itself (a retained duplicate: never copied) and one small trailer with padding and data digest,
 * joined in a {@link CompositeByteBuf} so the transport writes them with a single gathering write.
 *
 * <p>Not sharable (digest settings are per connection); setters must be called from the event loop.
 */
public class IscsiPduEncoder extends MessageToMessageEncoder<IscsiPdu> {
    private boolean headerDigest;
    private boolean dataDigest;

    public IscsiPduEncoder() {
        super(IscsiPdu.class);
    }

    public void setHeaderDigest(boolean on) {
        headerDigest = on;
    }

    public void setDataDigest(boolean on) {
        dataDigest = on;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, IscsiPdu pdu, List<Object> out) {
        ByteBuf data = pdu.data();
        int dsl = data.readableBytes();
        if (dsl > 0xFFFFFF) {
            throw new EncoderException("data segment too long for DataSegmentLength: " + dsl);
        }
        int ahs = PduCodec.ahsLength(pdu);
        ByteBuf header = ctx.alloc().ioBuffer(BHS_LENGTH + ahs + (headerDigest ? 4 : 0));
        try {
            PduCodec.encode(pdu, dsl, header);
            if (headerDigest) {
                header.writeIntLE(Crc32c.compute(header, header.readerIndex(), BHS_LENGTH + ahs));
            }
        } catch (RuntimeException e) {
            header.release();
            throw e;
        }
        if (dsl == 0) {
            out.add(header);
            return;
        }
        int pad = -dsl & 3;
        int trailerLength = pad + (dataDigest ? 4 : 0);
        CompositeByteBuf pduBuf = ctx.alloc().compositeBuffer(3);
        pduBuf.addComponent(true, header);
        // the encoder releases pdu after encode(): the retained duplicate keeps the data alive until written
        pduBuf.addComponent(true, data.retainedDuplicate());
        if (trailerLength > 0) {
            ByteBuf trailer = ctx.alloc().ioBuffer(trailerLength).writeZero(pad);
            if (dataDigest) {
                trailer.writeIntLE(Crc32c.computePadded(data, data.readerIndex(), dsl));
            }
            pduBuf.addComponent(true, trailer);
        }
        out.add(pduBuf);
    }
}
