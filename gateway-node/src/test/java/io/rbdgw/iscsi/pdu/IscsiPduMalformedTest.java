package io.rbdgw.iscsi.pdu;

import static io.rbdgw.iscsi.pdu.CodecHarness.concat;
import static io.rbdgw.iscsi.pdu.CodecHarness.decode;
import static io.rbdgw.iscsi.pdu.CodecHarness.decoder;
import static io.rbdgw.iscsi.pdu.CodecHarness.encode;
import static io.rbdgw.iscsi.pdu.CodecHarness.releaseAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IscsiPduMalformedTest {
    private final TrackingAllocator alloc = new TrackingAllocator();
    private final Random random = new Random(11);

    private byte[] wire(boolean digests, IscsiPdu pdu) {
        byte[] b = encode(alloc, digests, digests, List.of(pdu));
        pdu.release();
        return b;
    }

    private NopOut nextPdu() {
        return new NopOut(false, 0, 4242, -1, 1, 1, Unpooled.wrappedBuffer(new byte[] {9, 8, 7}));
    }

    /** Decodes bad + a valid NOP-Out and checks: one non-fatal InvalidPdu, then the NOP-Out. */
    private InvalidPdu assertRejectedThenRecovers(
            boolean targetSide, boolean digests, byte[] bad, int maxData, int reason) {
        NopOut next = nextPdu();
        byte[] stream = concat(
                bad,
                targetSide
                        ? wire(digests, next.retain())
                        : wire(
                                digests,
                                new NopIn(0, 4242, -1, 1, 1, 1, next.data().retain())));
        List<Object> out = decode(alloc, decoder(targetSide, maxData, digests, digests), stream, random, 33);
        assertThat(out).hasSize(2);
        InvalidPdu invalid = (InvalidPdu) out.get(0);
        assertThat(invalid.fatal()).isFalse();
        assertThat(invalid.rejectReason()).isEqualTo(reason);
        assertThat(invalid.header().readableBytes()).isEqualTo(48);
        assertThat(out.get(1)).isInstanceOfAny(NopOut.class, NopIn.class);
        releaseAll(out);
        next.release();
        alloc.assertAllReleased();
        return invalid;
    }

    /** Exposes how many bytes the decoder holds. */
    private static final class ProbeDecoder extends IscsiPduDecoder {
        ProbeDecoder() {
            super(true, 8192);
        }

        int buffered() {
            return actualReadableBytes();
        }
    }

    private static void patchDsl(byte[] pdu, int dsl) {
        pdu[5] = (byte) (dsl >>> 16);
        pdu[6] = (byte) (dsl >>> 8);
        pdu[7] = (byte) dsl;
    }

    @ParameterizedTest(name = "opcode 0x{0}")
    @ValueSource(ints = {0x07, 0x0f, 0x1c, 0x3e})
    void unknownOpcodeIsRejectedAndItsDataSkipped(int opcode) {
        byte[] bad = new byte[48 + 12];
        bad[0] = (byte) opcode;
        patchDsl(bad, 10);
        bad[16] = 0x12;
        InvalidPdu invalid = assertRejectedThenRecovers(true, false, bad, 8192, RejectReason.COMMAND_NOT_SUPPORTED);
        assertThat(invalid.itt()).isEqualTo(0x12000000);
    }

    @Test
    void opcodeOfTheWrongDirectionIsRejected() {
        byte[] nopIn = wire(true, new NopIn(0, 1, -1, 1, 1, 1, PduSamples.data(random, 6)));
        assertRejectedThenRecovers(true, true, nopIn, 8192, RejectReason.COMMAND_NOT_SUPPORTED);
        byte[] nopOut = wire(true, new NopOut(false, 0, 1, -1, 1, 1, PduSamples.data(random, 6)));
        assertRejectedThenRecovers(false, true, nopOut, 8192, RejectReason.COMMAND_NOT_SUPPORTED);
    }

    @Test
    void oversizedDataSegmentIsSkippedWithoutBufferingIt() {
        int len = 300_000;
        byte[] bad = wire(true, new DataOut(true, 0, 5, 6, 1, 0, 0, PduSamples.data(random, len)));
        byte[] good = wire(true, nextPdu());
        byte[] stream = concat(bad, good);
        ProbeDecoder decoder = new ProbeDecoder();
        decoder.setHeaderDigest(true);
        decoder.setDataDigest(true);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.config().setAllocator(alloc);
        int chunk = 1000;
        int maxBuffered = 0;
        for (int pos = 0; pos < stream.length; pos += chunk) {
            int n = Math.min(chunk, stream.length - pos);
            ch.writeInbound(alloc.buffer(n).writeBytes(stream, pos, n));
            maxBuffered = Math.max(maxBuffered, decoder.buffered());
        }
        assertThat(maxBuffered).as("bytes held by the decoder").isLessThanOrEqualTo(chunk);
        InvalidPdu invalid = ch.readInbound();
        assertThat(invalid.rejectReason()).isEqualTo(RejectReason.PROTOCOL_ERROR);
        assertThat(invalid.fatal()).isFalse();
        assertThat(invalid.itt()).isEqualTo(5);
        NopOut next = ch.readInbound();
        assertThat(next.itt()).isEqualTo(4242);
        assertThat(ch.finish()).isFalse();
        invalid.release();
        next.release();
        alloc.assertAllReleased();
    }

    @Test
    void oversizedDataSegmentThroughTheCommonPath() {
        byte[] bad = wire(false, new TextRequest(false, true, false, 0, 1, -1, 1, 1, PduSamples.data(random, 9000)));
        assertRejectedThenRecovers(true, false, bad, 8192, RejectReason.PROTOCOL_ERROR);
    }

    @Test
    void dataSegmentOnPduTypesThatMustNotHaveOne() {
        List<IscsiPdu> initiator = List.of(
                new TaskManagementRequest(true, 1, 0, 1, 2, 3, 4, 5, 6),
                new LogoutRequest(false, 0, 1, 2, 3, 4),
                new SnackRequest(1, 0, 1, 2, 3, 4, 5));
        for (IscsiPdu pdu : initiator) {
            byte[] b = concat(wire(true, pdu), new byte[8]); // 5 bytes + 3 padding; no data digest: data digest off
            patchDsl(b, 5);
            assertRejectedThenRecovers(true, false, fixHeaderDigestOff(b), 8192, RejectReason.PROTOCOL_ERROR);
        }
        List<IscsiPdu> target = List.of(
                new TaskManagementResponse(0, 1, 2, 3, 4),
                new LogoutResponse(0, 1, 2, 3, 4, 5, 6),
                new R2t(0, 1, 2, 3, 4, 5, 6, 7, 8));
        for (IscsiPdu pdu : target) {
            byte[] b = concat(wire(false, pdu), new byte[4]);
            patchDsl(b, 4);
            assertRejectedThenRecovers(false, false, b, 8192, RejectReason.PROTOCOL_ERROR);
        }
    }

    /** wire(true, ...) appends a header digest; drop it for a digest-less stream. */
    private static byte[] fixHeaderDigestOff(byte[] withDigest) {
        return concat(Arrays.copyOf(withDigest, 48), Arrays.copyOfRange(withDigest, 52, withDigest.length));
    }

    @Test
    void ahsOnAPduTypeOtherThanScsiCommand() {
        byte[] nop = wire(false, new NopOut(false, 0, 1, -1, 1, 1, PduSamples.data(random, 4)));
        byte[] bad = concat(Arrays.copyOf(nop, 48), new byte[] {0, 1, 1, 0}, Arrays.copyOfRange(nop, 48, nop.length));
        bad[4] = 1;
        assertRejectedThenRecovers(true, false, bad, 8192, RejectReason.INVALID_PDU_FIELD);
    }

    private byte[] scsiCommandWithAhs(byte[] ahs) {
        byte[] cmd = wire(
                false,
                new ScsiCommand(
                        false, true, true, false, 0, 0, 1, 512, 1, 1, new byte[16], PduSamples.data(random, 5)));
        byte[] bad = concat(Arrays.copyOf(cmd, 48), ahs, Arrays.copyOfRange(cmd, 48, cmd.length));
        bad[4] = (byte) (ahs.length / 4);
        return bad;
    }

    @Test
    void bidirectionalReadAhsIsNotSupported() {
        byte[] bad = scsiCommandWithAhs(new byte[] {0, 5, 2, 0, 0, 0, 2, 0});
        assertRejectedThenRecovers(true, false, bad, 8192, RejectReason.COMMAND_NOT_SUPPORTED);
    }

    @Test
    void malformedAhsChains() {
        // AHSLength runs past TotalAHSLength
        assertRejectedThenRecovers(
                true,
                false,
                scsiCommandWithAhs(new byte[] {0, 9, 1, 0, 1, 2, 3, 4}),
                8192,
                RejectReason.INVALID_PDU_FIELD);
        // two Extended CDB AHS
        assertRejectedThenRecovers(
                true,
                false,
                scsiCommandWithAhs(new byte[] {0, 2, 1, 0, 7, 0, 0, 0, 0, 2, 1, 0, 7, 0, 0, 0}),
                8192,
                RejectReason.INVALID_PDU_FIELD);
        // unknown AHS type
        assertRejectedThenRecovers(
                true, false, scsiCommandWithAhs(new byte[] {0, 1, 9, 0}), 8192, RejectReason.INVALID_PDU_FIELD);
    }

    @Test
    void truncatedStreamEmitsNothingAndLeaksNothing() {
        byte[] full = concat(
                wire(true, new NopOut(false, 0, 1, -1, 1, 1, PduSamples.data(random, 5))),
                wire(true, new NopOut(false, 0, 2, -1, 1, 1, PduSamples.data(random, 5))));
        int firstLength = full.length / 2;
        for (int cut = 0; cut < full.length; cut++) {
            List<Object> out = decode(alloc, decoder(true, 8192, true, true), Arrays.copyOf(full, cut), random, 5);
            assertThat(out).as("cut at %d", cut).hasSize(cut < firstLength ? 0 : 1);
            releaseAll(out);
        }
        alloc.assertAllReleased();
    }

    @Test
    void nothingIsDecodedAfterAFatalError() {
        byte[] one = wire(true, nextPdu());
        byte[] bad = one.clone();
        bad[20] ^= 0x10;
        List<Object> out = decode(alloc, decoder(true, 8192, true, true), concat(bad, one, one), random, 40);
        assertThat(out).hasSize(1);
        assertThat(((InvalidPdu) out.get(0)).fatal()).isTrue();
        releaseAll(out);
        alloc.assertAllReleased();
    }

    @Test
    void digestSettingsChangeBetweenPdus() {
        // login without digests, then the handler switches them on before the next PDU is decoded
        byte[] login = wire(
                false, new LoginRequest(true, false, 1, 3, 0, 0, 1L, 0, 1, 0, 1, 1, Unpooled.wrappedBuffer(new byte[] {
                    'a', '=', 'b', 0
                })));
        byte[] nop = wire(true, nextPdu());
        IscsiPduDecoder decoder = new IscsiPduDecoder(true, 8192);
        EmbeddedChannel ch = new EmbeddedChannel(decoder, new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof LoginRequest) {
                    decoder.setHeaderDigest(true);
                    decoder.setDataDigest(true);
                }
                ctx.fireChannelRead(msg);
            }
        });
        ch.config().setAllocator(alloc);
        ch.writeInbound(alloc.buffer().writeBytes(concat(login, nop))); // both in one read
        LoginRequest l = ch.readInbound();
        NopOut n = ch.readInbound();
        assertThat(n.itt()).isEqualTo(4242);
        assertThat(ch.finish()).isFalse();
        l.release();
        n.release();
        alloc.assertAllReleased();
    }
}
