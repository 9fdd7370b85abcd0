package io.rbdgw.iscsi.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Runs PDUs through the encoder and byte streams through the decoder on EmbeddedChannels. */
final class CodecHarness {
    private CodecHarness() {}

    /** Data-Outs with random data segments of these lengths, encoded back to back (no digests). */
    static byte[] dataOuts(TrackingAllocator alloc, Random random, int... lengths) {
        List<IscsiPdu> pdus = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            pdus.add(new DataOut(true, 0, i, 1, 0, 0, 0, PduSamples.data(random, lengths[i])));
        }
        byte[] stream = encode(alloc, false, false, pdus);
        pdus.forEach(IscsiPdu::release);
        return stream;
    }

    /** Encodes the PDUs (retaining them, so the caller still owns them) into one byte stream. */
    static byte[] encode(TrackingAllocator alloc, boolean headerDigest, boolean dataDigest, List<IscsiPdu> pdus) {
        IscsiPduEncoder encoder = new IscsiPduEncoder();
        encoder.setHeaderDigest(headerDigest);
        encoder.setDataDigest(dataDigest);
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast(encoder);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (IscsiPdu pdu : pdus) {
            ch.writeOutbound(pdu.retain());
            for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
                bytes.writeBytes(ByteBufUtil.getBytes(b));
                b.release();
            }
        }
        ch.finish();
        ch.checkException();
        return bytes.toByteArray();
    }

    static IscsiPduDecoder decoder(boolean targetSide, int maxData, boolean headerDigest, boolean dataDigest) {
        IscsiPduDecoder d = new IscsiPduDecoder(targetSide, maxData);
        d.setHeaderDigest(headerDigest);
        d.setDataDigest(dataDigest);
        return d;
    }

    /**
     * Feeds {@code stream} to the decoder in random chunks of 1..maxChunk bytes, closes the channel and returns all
     * emitted messages (the caller must release them). Exceptions from the pipeline are rethrown.
     */
    static List<Object> decode(
            TrackingAllocator alloc, IscsiPduDecoder decoder, byte[] stream, Random r, int maxChunk) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast(decoder);
        List<Object> out = new ArrayList<>();
        try {
            for (int pos = 0; pos < stream.length; ) {
                int n = Math.min(stream.length - pos, 1 + r.nextInt(maxChunk));
                ch.writeInbound(alloc.buffer(n).writeBytes(stream, pos, n));
                pos += n;
                drain(ch, out);
            }
            ch.finish();
            drain(ch, out);
            ch.checkException();
        } catch (RuntimeException | Error e) {
            out.forEach(ReferenceCountUtil::release);
            throw e;
        }
        return out;
    }

    private static void drain(EmbeddedChannel ch, List<Object> out) {
        for (Object m; (m = ch.readInbound()) != null; ) {
            out.add(m);
        }
    }

    static void releaseAll(List<?> objects) {
        objects.forEach(ReferenceCountUtil::release);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }
}
