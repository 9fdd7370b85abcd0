package io.rbdgw.iscsi.pdu;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the data of a decoded PDU keeps alive. A Data-Out's data lives until the device completes the write, and
 * the write budget charges it by its length; it must not hold socket reads far larger than itself.
 */
class IscsiPduDecoderPinningTest {
    private static final int HEADER = PduCodec.BHS_LENGTH;

    private final TrackingAllocator alloc = new TrackingAllocator();
    private final Random random = new Random(7);
    private EmbeddedChannel ch;

    private byte[] dataOuts(int... lengths) {
        return CodecHarness.dataOuts(alloc, random, lengths);
    }

    /** A socket read: a buffer of {@code capacity} (as the receive allocator sized it) holding the bytes. */
    private ByteBuf read(int capacity, byte[] stream, int from, int to) {
        return alloc.directBuffer(capacity).writeBytes(stream, from, to - from);
    }

    private List<DataOut> feed(ByteBuf... reads) {
        List<DataOut> out = new ArrayList<>();
        for (ByteBuf r : reads) {
            ch.writeInbound(r);
            for (Object m; (m = ch.readInbound()) != null; ) {
                out.add((DataOut) m);
            }
        }
        return out;
    }

    @BeforeEach
    void channel() {
        ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ch.pipeline().addLast(new IscsiPduDecoder(true, 1 << 20));
    }

    /** Every test releases what it was given; the decoder must then hold nothing. */
    @AfterEach
    void nothingLeaks() {
        ch.finishAndReleaseAll();
        alloc.assertAllReleased();
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] a = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), a);
        return a;
    }

    private static byte[] range(byte[] stream, int from, int length) {
        byte[] a = new byte[length];
        System.arraycopy(stream, from, a, 0, length);
        return a;
    }

    @Test
    void aSmallDataSegmentIsCopiedOutOfALargeReadAndDoesNotKeepItAlive() {
        byte[] stream = dataOuts(4096);
        ByteBuf big = read(1 << 20, stream, 0, stream.length);

        List<DataOut> pdus = feed(big);

        assertThat(pdus).hasSize(1);
        assertThat(big.refCnt()).as("the 1 MiB read, once decoded, is freed").isZero();
        assertThat(bytes(pdus.get(0).data())).isEqualTo(range(stream, HEADER, 4096));
        pdus.get(0).release();
    }

    @Test
    void aDataSegmentThatFillsEnoughOfItsReadIsASliceOfItNotACopy() {
        int length = (1 << 20) / IscsiPduDecoder.MAX_PIN_FACTOR;
        byte[] stream = dataOuts(length);
        ByteBuf big = read(1 << 20, stream, 0, stream.length);
        int buffersBefore = alloc.count();

        List<DataOut> pdus = feed(big);

        assertThat(alloc.count()).as("no buffer allocated for a copy").isEqualTo(buffersBefore);
        assertThat(big.refCnt()).as("the data is the read itself").isEqualTo(1);
        assertThat(bytes(pdus.get(0).data())).isEqualTo(range(stream, HEADER, length));
        pdus.get(0).release();
        assertThat(big.refCnt()).isZero();
    }

    @Test
    void largeDataSegmentsKeepOnlyTheReadsTheyLieIn() {
        int length = 256 << 10;
        byte[] stream = dataOuts(length, length);
        int secondStart = HEADER + length;
        // read 1: the first PDU's header and half its data; read 2: the rest of it and half the second's;
        // read 3: the rest. Each read is as large as what it holds, as the receive allocator sizes them.
        int cut1 = HEADER + length / 2;
        int cut2 = secondStart + HEADER + length / 2;
        ByteBuf r1 = read(cut1, stream, 0, cut1);
        ByteBuf r2 = read(cut2 - cut1, stream, cut1, cut2);
        ByteBuf r3 = read(stream.length - cut2, stream, cut2, stream.length);
        int buffersBefore = alloc.count();

        List<DataOut> pdus = feed(r1, r2, r3);

        assertThat(pdus).hasSize(2);
        assertThat(alloc.count() - buffersBefore).as("no data copied").isZero();
        DataOut first = pdus.get(0);
        DataOut second = pdus.get(1);
        assertThat(bytes(first.data())).isEqualTo(range(stream, HEADER, length));
        assertThat(bytes(second.data())).isEqualTo(range(stream, secondStart + HEADER, length));

        second.release();
        assertThat(r3.refCnt()).as("only the second PDU's data was in read 3").isZero();
        assertThat(r1.refCnt()).as("the first PDU's data still lies in read 1").isPositive();
        assertThat(r2.refCnt()).isPositive();
        first.release();
        assertThat(r1.refCnt()).isZero();
        assertThat(r2.refCnt()).isZero();
    }

    @Test
    void aDataSegmentDoesNotKeepAliveTheReadThatHeldOnlyItsHeader() {
        int length = 256 << 10;
        byte[] stream = dataOuts(length, length);
        int secondData = HEADER + length + HEADER;
        // read 1: the whole first PDU and the second's header; read 2: the second's data
        ByteBuf r1 = read(secondData, stream, 0, secondData);
        ByteBuf r2 = read(stream.length - secondData, stream, secondData, stream.length);

        List<DataOut> pdus = feed(r1, r2);

        assertThat(pdus).hasSize(2);
        pdus.get(0).release();
        assertThat(r1.refCnt()).as("read 1 held only the second PDU's header").isZero();
        assertThat(bytes(pdus.get(1).data())).isEqualTo(range(stream, secondData, length));
        pdus.get(1).release();
        assertThat(r2.refCnt()).isZero();
    }

    @Test
    void aSmallDataSegmentSplitOverTwoLargeReadsIsCopied() {
        byte[] stream = dataOuts(8192);
        int cut = HEADER + 4096;
        ByteBuf r1 = read(1 << 20, stream, 0, cut);
        ByteBuf r2 = read(1 << 20, stream, cut, stream.length);

        List<DataOut> pdus = feed(r1, r2);

        assertThat(r1.refCnt()).isZero();
        assertThat(r2.refCnt()).isZero();
        assertThat(bytes(pdus.get(0).data())).isEqualTo(range(stream, HEADER, 8192));
        pdus.get(0).release();
    }
}
