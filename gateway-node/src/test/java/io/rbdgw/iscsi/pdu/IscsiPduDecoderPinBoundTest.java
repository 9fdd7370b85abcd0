package io.rbdgw.iscsi.pdu;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hard bound on socket reads that data slices keep alive ({@link IscsiPduDecoder#boundPins}). A hostile
 * initiator can fill each large read with one data segment just big enough to be sliced and bytes the gateway drops
 * at once (data for a command it refused, a Data-Out for no task): without the bound every such read stays alive,
 * eight times the data it is charged for. With it, reads past the bound are not pinned; their segments are copied.
 */
class IscsiPduDecoderPinBoundTest {
    private static final int HEADER = PduCodec.BHS_LENGTH;
    private static final int MIB = 1 << 20;
    private static final int HELD = MIB / IscsiPduDecoder.MAX_PIN_FACTOR;

    private final TrackingAllocator alloc = new TrackingAllocator();
    private final Random random = new Random(11);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    /** A budget that counts what it gives, up to {@code limit}. */
    static final class Budget implements ReadPinBudget {
        final long limit;
        final AtomicLong pinned = new AtomicLong();

        Budget(long limit) {
            this.limit = limit;
        }

        @Override
        public boolean tryPin(long bytes) {
            if (pinned.addAndGet(bytes) > limit) {
                pinned.addAndGet(-bytes);
                return false;
            }
            return true;
        }

        @Override
        public void unpin(long bytes) {
            pinned.addAndGet(-bytes);
        }
    }

    private EmbeddedChannel channel(ReadPinBudget budget, long perConnection) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        IscsiPduDecoder decoder = new IscsiPduDecoder(true, 0xFFFFFF);
        decoder.boundPins(budget, perConnection);
        ch.pipeline().addLast(decoder);
        channels.add(ch);
        return ch;
    }

    private static IscsiPduDecoder decoder(EmbeddedChannel ch) {
        return ch.pipeline().get(IscsiPduDecoder.class);
    }

    @AfterEach
    void nothingLeaks() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        alloc.assertAllReleased();
    }

    private byte[] dataOuts(int... lengths) {
        return CodecHarness.dataOuts(alloc, random, lengths);
    }

    /** One full 1 MiB read: a Data-Out of {@link #HELD} bytes, then one that fills the rest of the read. */
    private ByteBuf hostileRead() {
        byte[] stream = dataOuts(HELD, MIB - HELD - 2 * HEADER);
        assertThat(stream).hasSize(MIB);
        return alloc.directBuffer(MIB).writeBytes(stream);
    }

    /** Feeds the reads; keeps the first Data-Out of each read, releases the rest (what the gateway drops). */
    private static List<DataOut> feedKeepingFirst(EmbeddedChannel ch, List<ByteBuf> reads) {
        List<DataOut> kept = new ArrayList<>();
        for (ByteBuf r : reads) {
            ch.writeInbound(r);
            boolean first = true;
            for (Object m; (m = ch.readInbound()) != null; first = false) {
                if (first) {
                    kept.add((DataOut) m);
                } else {
                    ((DataOut) m).release();
                }
            }
        }
        return kept;
    }

    private static long alive(List<ByteBuf> reads) {
        return reads.stream().filter(r -> r.refCnt() > 0).count();
    }

    private static boolean liesIn(DataOut d, List<ByteBuf> reads) {
        ByteBuf b = d.data();
        while (b.unwrap() != null) {
            b = b.unwrap();
        }
        for (ByteBuf r : reads) {
            if (r == b) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aHostileStreamPinsReadsOnlyUpToTheConnectionsBoundAndTheRestIsCopied() {
        Budget budget = new Budget(Long.MAX_VALUE);
        EmbeddedChannel ch = channel(budget, 4L * MIB);
        List<ByteBuf> reads = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            reads.add(hostileRead());
        }

        List<DataOut> held = feedKeepingFirst(ch, reads);

        assertThat(held).hasSize(20);
        assertThat(alive(reads))
                .as("1 MiB reads kept alive by 20 held 128 KiB segments, bound 4 MiB (unbounded: all 20)")
                .isEqualTo(4);
        assertThat(decoder(ch).pinnedReadBytes()).isEqualTo(4L * MIB);
        assertThat(budget.pinned.get()).isEqualTo(4L * MIB);
        assertThat(held.subList(0, 4)).allMatch(d -> liesIn(d, reads));
        assertThat(held.subList(4, 20)).as("copied").noneMatch(d -> liesIn(d, reads));
        for (DataOut d : held) {
            assertThat(d.data().readableBytes()).isEqualTo(HELD);
        }

        held.forEach(DataOut::release);
        decoder(ch).reclaimPins();
        assertThat(alive(reads)).isZero();
        assertThat(decoder(ch).pinnedReadBytes()).isZero();
        assertThat(budget.pinned.get()).isZero();
    }

    @Test
    void theSharedBudgetBoundsAllConnectionsTogether() {
        Budget budget = new Budget(3L * MIB);
        EmbeddedChannel a = channel(budget, 100L * MIB);
        EmbeddedChannel b = channel(budget, 100L * MIB);
        List<ByteBuf> readsA = new ArrayList<>();
        List<ByteBuf> readsB = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            readsA.add(hostileRead());
            readsB.add(hostileRead());
        }

        List<DataOut> heldA = feedKeepingFirst(a, readsA);
        List<DataOut> heldB = feedKeepingFirst(b, readsB);

        assertThat(alive(readsA)).as("connection A took 3 MiB, all there is").isEqualTo(3);
        assertThat(alive(readsB))
                .as("nothing left for connection B: its segments are copies")
                .isZero();
        assertThat(budget.pinned.get()).isEqualTo(3L * MIB);

        heldA.forEach(DataOut::release);
        decoder(a).reclaimPins();
        assertThat(budget.pinned.get()).isZero();
        heldB.forEach(DataOut::release);
    }

    @Test
    void segmentsSharingAReadChargeItOnceAndAreNotCopied() {
        Budget budget = new Budget(Long.MAX_VALUE);
        EmbeddedChannel ch = channel(budget, 64L * MIB);
        int length = MIB / 4 - HEADER; // four Data-Outs fill a 1 MiB read exactly
        List<ByteBuf> reads = new ArrayList<>();
        List<byte[]> streams = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            byte[] stream = dataOuts(length, length, length, length);
            streams.add(stream);
            reads.add(alloc.directBuffer(MIB).writeBytes(stream));
        }
        int buffersBefore = alloc.count();

        List<DataOut> pdus = new ArrayList<>();
        for (ByteBuf r : reads) {
            ch.writeInbound(r);
            for (Object m; (m = ch.readInbound()) != null; ) {
                pdus.add((DataOut) m);
            }
        }

        assertThat(pdus).hasSize(12);
        assertThat(alloc.count() - buffersBefore).as("no copies").isZero();
        assertThat(pdus).allMatch(d -> liesIn(d, reads));
        assertThat(decoder(ch).pinnedReadBytes()).as("each read charged once").isEqualTo(3L * MIB);
        byte[] last = streams.get(2);
        byte[] expected = new byte[length];
        System.arraycopy(last, last.length - length, expected, 0, length);
        byte[] actual = new byte[length];
        pdus.get(11).data().getBytes(pdus.get(11).data().readerIndex(), actual);
        assertThat(actual).isEqualTo(expected);

        // the first read's segments done: it is freed (and given back) while the others stay
        pdus.subList(0, 4).forEach(DataOut::release);
        decoder(ch).reclaimPins();
        assertThat(reads.get(0).refCnt()).isZero();
        assertThat(decoder(ch).pinnedReadBytes()).isEqualTo(2L * MIB);
        pdus.subList(4, 12).forEach(DataOut::release);
        decoder(ch).reclaimPins();
        assertThat(budget.pinned.get()).isZero();
    }

    @Test
    void aClosedConnectionGivesItsPinsBackAndItsSlicesStillHoldTheirData() {
        Budget budget = new Budget(Long.MAX_VALUE);
        EmbeddedChannel ch = channel(budget, 64L * MIB);
        List<ByteBuf> reads = List.of(hostileRead(), hostileRead());
        List<DataOut> held = feedKeepingFirst(ch, reads);
        assertThat(budget.pinned.get()).isEqualTo(2L * MIB);

        ch.finishAndReleaseAll();

        assertThat(budget.pinned.get()).as("given back at close").isZero();
        assertThat(alive(reads)).as("still held by the slices in flight").isEqualTo(2);
        held.forEach(DataOut::release);
        assertThat(alive(reads)).isZero();
    }

    @Test
    void readsAreReclaimedOnTheNextReadOnceTheirSlicesAreReleased() {
        Budget budget = new Budget(Long.MAX_VALUE);
        EmbeddedChannel ch = channel(budget, 2L * MIB);
        List<ByteBuf> first = List.of(hostileRead(), hostileRead());
        feedKeepingFirst(ch, first).forEach(DataOut::release);
        assertThat(decoder(ch).pinnedReadBytes()).isEqualTo(2L * MIB);

        List<ByteBuf> second = List.of(hostileRead(), hostileRead());
        List<DataOut> held = feedKeepingFirst(ch, second);

        assertThat(alive(first)).as("released before the next read was decoded").isZero();
        assertThat(held).as("so the next reads could be pinned, not copied").allMatch(d -> liesIn(d, second));
        held.forEach(DataOut::release);
    }
}
