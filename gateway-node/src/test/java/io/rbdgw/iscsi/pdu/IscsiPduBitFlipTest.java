package io.rbdgw.iscsi.pdu;

import static io.rbdgw.iscsi.pdu.CodecHarness.concat;
import static io.rbdgw.iscsi.pdu.CodecHarness.decode;
import static io.rbdgw.iscsi.pdu.CodecHarness.decoder;
import static io.rbdgw.iscsi.pdu.CodecHarness.encode;
import static io.rbdgw.iscsi.pdu.CodecHarness.releaseAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every single-bit error in a digest-protected region is caught. */
class IscsiPduBitFlipTest {

    private static void assertFatalForEveryHeaderBit(boolean targetSide, IscsiPdu pdu, int headerLength) {
        TrackingAllocator alloc = new TrackingAllocator();
        byte[] valid = encode(alloc, true, true, List.of(pdu));
        // enough trailing bytes that a corrupted TotalAHSLength still finds its "digest"
        byte[] filler = new byte[1100];
        new Random(5).nextBytes(filler);
        byte[] stream = concat(valid, valid, filler);
        Random r = new Random(6);
        for (int bit = 0; bit < headerLength * 8; bit++) {
            byte[] s = stream.clone();
            s[bit / 8] ^= (byte) (1 << (bit % 8));
            List<Object> out = decode(alloc, decoder(targetSide, 1 << 20, true, true), s, r, 97);
            assertThat(out).as("bit %d", bit).hasSize(1);
            InvalidPdu invalid = (InvalidPdu) out.get(0);
            assertThat(invalid.fatal()).isTrue();
            assertThat(invalid.header().readableBytes()).isEqualTo(48);
            releaseAll(out);
        }
        pdu.release();
        alloc.assertAllReleased();
    }

    @Test
    void anyHeaderBitFlipIsFatalWithHeaderDigest() {
        Random r = new Random(1);
        // BHS + header digest
        assertFatalForEveryHeaderBit(true, new NopOut(false, 1, 2, 3, 4, 5, PduSamples.data(r, 5)), 52);
        // BHS + Extended CDB AHS + header digest
        byte[] cdb = new byte[24];
        r.nextBytes(cdb);
        assertFatalForEveryHeaderBit(
                true,
                new ScsiCommand(false, true, false, true, 1, 0, 9, 512, 1, 1, cdb, PduSamples.data(r, 3)),
                48 + 12 + 4);
        assertFatalForEveryHeaderBit(
                false,
                new DataIn(true, false, false, false, true, 0, 0, 1, -1, 2, 3, 4, 5, 6, 7, PduSamples.data(r, 7)),
                52);
    }

    @Test
    void anyDataBitFlipIsADataDigestErrorAndDecodingContinues() {
        TrackingAllocator alloc = new TrackingAllocator();
        Random r = new Random(2);
        NopOut first = new NopOut(false, 1, 0x0badcafe, -1, 4, 5, PduSamples.data(r, 5));
        NopOut next = new NopOut(true, 1, 77, -1, 5, 5, PduSamples.data(r, 9));
        byte[] valid = encode(alloc, true, true, List.of(first));
        byte[] nextBytes = encode(alloc, true, true, List.of(next));
        int dataStart = 52;
        assertThat(valid).hasSize(dataStart + 8 + 4); // 5 bytes + 3 padding + digest
        for (int bit = dataStart * 8; bit < valid.length * 8; bit++) {
            byte[] s = valid.clone();
            s[bit / 8] ^= (byte) (1 << (bit % 8));
            List<Object> out = decode(alloc, decoder(true, 8192, true, true), concat(s, nextBytes), r, 13);
            assertThat(out).as("bit %d", bit).hasSize(2);
            InvalidPdu invalid = (InvalidPdu) out.get(0);
            assertThat(invalid.fatal()).isFalse();
            assertThat(invalid.rejectReason()).isEqualTo(RejectReason.DATA_DIGEST_ERROR);
            assertThat(invalid.itt()).isEqualTo(0x0badcafe);
            assertThat(ByteBufUtil.getBytes(invalid.header())).isEqualTo(Arrays.copyOf(valid, 48));
            PduSamples.assertSamePdu(out.get(1), next);
            releaseAll(out);
        }
        first.release();
        next.release();
        alloc.assertAllReleased();
    }

    @Test
    void withoutDigestsAFlippedDataBitIsDeliveredAsIs() {
        // the counter-check: the errors above come from the digests, not from something else
        TrackingAllocator alloc = new TrackingAllocator();
        NopOut pdu = new NopOut(false, 1, 2, -1, 4, 5, Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        byte[] s = encode(alloc, false, false, List.of(pdu));
        s[48] ^= 1;
        List<Object> out = decode(alloc, decoder(true, 8192, false, false), s, new Random(3), 100);
        assertThat(ByteBufUtil.getBytes(((NopOut) out.get(0)).data())).containsExactly(0, 2, 3);
        releaseAll(out);
        pdu.release();
        alloc.assertAllReleased();
    }
}
