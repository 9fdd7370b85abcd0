package io.rbdgw.iscsi.pdu;

import static io.rbdgw.iscsi.pdu.CodecHarness.decode;
import static io.rbdgw.iscsi.pdu.CodecHarness.decoder;
import static io.rbdgw.iscsi.pdu.CodecHarness.encode;
import static io.rbdgw.iscsi.pdu.CodecHarness.releaseAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IscsiPduRoundTripTest {
    private static final int MAX = 0xFFFFFF;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (boolean targetSide : new boolean[] {true, false}) {
            for (boolean hd : new boolean[] {false, true}) {
                for (boolean dd : new boolean[] {false, true}) {
                    for (int len : new int[] {0, 1, 2, 3, 4, 5, 8, 1000}) {
                        b.add(Arguments.of(targetSide, hd, dd, len));
                    }
                }
            }
        }
        return b.build();
    }

    @ParameterizedTest(name = "targetSide={0} headerDigest={1} dataDigest={2} dataLength={3}")
    @MethodSource("cases")
    void everyPduTypeRoundTrips(boolean targetSide, boolean hd, boolean dd, int dataLength) {
        Random r = new Random(dataLength * 31L + (hd ? 7 : 0) + (dd ? 3 : 0) + (targetSide ? 1 : 0));
        TrackingAllocator alloc = new TrackingAllocator();
        List<IscsiPdu> pdus = targetSide ? PduSamples.initiator(r, dataLength) : PduSamples.target(r, dataLength);
        byte[] stream = encode(alloc, hd, dd, pdus);

        // whole stream at once, then in chunks of 1..7 bytes
        for (int maxChunk : new int[] {stream.length, 7}) {
            List<Object> out = decode(alloc, decoder(targetSide, MAX, hd, dd), stream, r, maxChunk);
            assertThat(out).hasSameSizeAs(pdus);
            for (int i = 0; i < pdus.size(); i++) {
                PduSamples.assertSamePdu(out.get(i), pdus.get(i));
            }
            releaseAll(out);
        }
        releaseAll(pdus);
        alloc.assertAllReleased();
    }

    @Test
    void largeDataSegmentsSplitAcrossManySmallReads() {
        Random r = new Random(42);
        TrackingAllocator alloc = new TrackingAllocator();
        for (boolean dd : new boolean[] {false, true}) {
            int len = 256 * 1024 + 3;
            List<IscsiPdu> pdus = List.of(
                    new DataOut(true, 1L, 2, 3, 4, 5, 6, PduSamples.data(r, len)),
                    new ScsiCommand(
                            false, true, false, true, 1, 0L, 9, len, 1, 1, new byte[16], PduSamples.data(r, len)));
            byte[] stream = encode(alloc, true, dd, pdus);
            List<Object> out = decode(alloc, decoder(true, MAX, true, dd), stream, r, 1500);
            assertThat(out).hasSize(2);
            PduSamples.assertSamePdu(out.get(0), pdus.get(0));
            PduSamples.assertSamePdu(out.get(1), pdus.get(1));
            releaseAll(out);
            releaseAll(pdus);
        }
        alloc.assertAllReleased();
    }

    @Test
    void decodedDataIsASliceOfTheInputNotACopy() {
        TrackingAllocator alloc = new TrackingAllocator();
        IscsiPdu pdu = new NopOut(false, 0, 1, -1, 1, 1, Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5}));
        byte[] stream = encode(alloc, false, false, List.of(pdu));
        List<Object> out = decode(alloc, decoder(true, MAX, false, false), stream, new Random(1), stream.length);
        ByteBuf data = ((NopOut) out.get(0)).data();
        assertThat(data.unwrap()).as("derived from the cumulation").isNotNull();
        assertThat(data.readableBytes()).isEqualTo(5);
        releaseAll(out);
        pdu.release();
        alloc.assertAllReleased();
    }

    @Test
    void encoderPassesTheDataSegmentOnWithoutCopyingIt() {
        TrackingAllocator alloc = new TrackingAllocator();
        byte[] payload = new byte[4099];
        ByteBuf data = Unpooled.wrappedBuffer(payload);
        EmbeddedChannel ch = new EmbeddedChannel(new IscsiPduEncoder());
        ch.config().setAllocator(alloc);
        ch.writeOutbound(new DataIn(true, false, false, false, false, 0, 0, 1, -1, 0, 0, 0, 0, 0, 0, data));
        CompositeByteBuf wire = ch.readOutbound();
        assertThat(wire.numComponents()).isEqualTo(3);
        assertThat(wire.component(0).readableBytes()).isEqualTo(48);
        assertThat(wire.component(1).array()).isSameAs(payload);
        assertThat(wire.component(2).readableBytes()).isEqualTo(1); // padding only
        assertThat(data.refCnt()).as("still referenced by the outbound buffer").isEqualTo(1);
        wire.release();
        assertThat(data.refCnt()).isZero();
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Test
    void pduWithoutDataIsOneHeaderBuffer() {
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel ch = new EmbeddedChannel(new IscsiPduEncoder());
        ch.config().setAllocator(alloc);
        ch.writeOutbound(new R2t(0, 1, 2, 3, 4, 5, 6, 7, 8));
        ByteBuf wire = ch.readOutbound();
        assertThat(wire.readableBytes()).isEqualTo(48);
        wire.release();
        assertThat(ch.finish()).isFalse();
        alloc.assertAllReleased();
    }

    @Test
    void extendedCdbTravelsInAnAhs() {
        TrackingAllocator alloc = new TrackingAllocator();
        byte[] cdb = new byte[32];
        for (int i = 0; i < cdb.length; i++) {
            cdb[i] = (byte) (i + 1);
        }
        ScsiCommand cmd = new ScsiCommand(false, true, true, false, 0, 0, 7, 512, 1, 1, cdb, null);
        byte[] stream = encode(alloc, false, false, List.of(cmd));
        // TotalAHSLength 5 words: AHSLength 17 (16 CDB bytes + reserved), type 1, reserved, 16 bytes
        assertThat(stream).hasSize(48 + 20);
        assertThat(stream[4]).isEqualTo((byte) 5);
        assertThat(stream[48]).isEqualTo((byte) 0);
        assertThat(stream[49]).isEqualTo((byte) 17);
        assertThat(stream[50]).isEqualTo((byte) 1);
        assertThat(stream[52]).isEqualTo((byte) 17);
        List<Object> out = decode(alloc, decoder(true, MAX, false, false), stream, new Random(3), 5);
        PduSamples.assertSamePdu(out.get(0), cmd);
        releaseAll(out);
        alloc.assertAllReleased();
    }
}
