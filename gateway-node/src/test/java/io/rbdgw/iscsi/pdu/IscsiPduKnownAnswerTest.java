package io.rbdgw.iscsi.pdu;

import static io.rbdgw.iscsi.pdu.CodecHarness.decode;
import static io.rbdgw.iscsi.pdu.CodecHarness.decoder;
import static io.rbdgw.iscsi.pdu.CodecHarness.encode;
import static io.rbdgw.iscsi.pdu.CodecHarness.releaseAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Byte-exact checks against layouts and vectors taken from the RFCs rather than from our own encoder. */
class IscsiPduKnownAnswerTest {

    private static byte[] hex(String s) {
        return ByteBufUtil.decodeHexDump(s.replace(" ", ""));
    }

    @Test
    void loginRequestBuiltByHandFromTheRfcLayout() {
        byte[] text = "AuthMethod=None\0".getBytes(StandardCharsets.US_ASCII);
        byte[] bhs = hex(
                "43 87 00 00" // I + opcode 3; T, CSG=1, NSG=3; Version-max 0, Version-min 0
                        + "00 000010" // TotalAHSLength 0, DataSegmentLength 16
                        + "80 12 34 56 78 9a 01 02" // ISID, TSIH
                        + "11 22 33 44" // ITT
                        + "00 05 00 00" // CID, reserved
                        + "00 00 00 01" // CmdSN
                        + "ff ff ff fe" // ExpStatSN
                        + "00000000 00000000 00000000 00000000");
        TrackingAllocator alloc = new TrackingAllocator();
        List<Object> out =
                decode(alloc, decoder(true, 8192, false, false), CodecHarness.concat(bhs, text), new Random(1), 64);
        assertThat(out).hasSize(1);
        LoginRequest login = (LoginRequest) out.get(0);
        assertThat(login.transit()).isTrue();
        assertThat(login.cont()).isFalse();
        assertThat(login.csg()).isEqualTo(1);
        assertThat(login.nsg()).isEqualTo(3);
        assertThat(login.versionMax()).isZero();
        assertThat(login.versionMin()).isZero();
        assertThat(login.isid()).isEqualTo(0x80123456789aL);
        assertThat(login.tsih()).isEqualTo(0x0102);
        assertThat(login.itt()).isEqualTo(0x11223344);
        assertThat(login.cid()).isEqualTo(5);
        assertThat(login.cmdSN()).isEqualTo(1);
        assertThat(login.expStatSN()).isEqualTo(0xfffffffe);
        assertThat(ByteBufUtil.getBytes(login.data())).isEqualTo(text);

        // and the encoder writes the same bytes back
        byte[] again = encode(alloc, false, false, List.of(login));
        assertThat(again).isEqualTo(CodecHarness.concat(bhs, text));
        releaseAll(out);
        alloc.assertAllReleased();
    }

    @Test
    void crc32cVectorsFromRfc3720AppendixB4() {
        byte[] zeros = new byte[32];
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xff);
        byte[] inc = new byte[32];
        byte[] dec = new byte[32];
        for (int i = 0; i < 32; i++) {
            inc[i] = (byte) i;
            dec[i] = (byte) (31 - i);
        }
        assertThat(Crc32c.compute(Unpooled.wrappedBuffer(zeros), 0, 32)).isEqualTo(0x8a9136aa);
        assertThat(Crc32c.compute(Unpooled.wrappedBuffer(ones), 0, 32)).isEqualTo(0x62a8ab43);
        assertThat(Crc32c.compute(Unpooled.wrappedBuffer(inc), 0, 32)).isEqualTo(0x46dd794e);
        assertThat(Crc32c.compute(Unpooled.wrappedBuffer(dec), 0, 32)).isEqualTo(0x113fdb5c);
        // direct and composite buffers take other paths through Crc32c
        ByteBuf direct = Unpooled.directBuffer(40).writeZero(4).writeBytes(ones);
        assertThat(Crc32c.compute(direct, 4, 32)).isEqualTo(0x62a8ab43);
        direct.release();
        ByteBuf composite =
                Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(inc, 0, 10), Unpooled.wrappedBuffer(inc, 10, 22));
        assertThat(Crc32c.compute(composite, 0, 32)).isEqualTo(0x46dd794e);
        composite.release();
    }

    @Test
    void rfc3720ReadCommandHeaderWithItsDigestOnTheWire() {
        // RFC 3720 B.4 "iSCSI - Read (10) Command PDU" and its CRC bytes as transmitted: 56 3a 96 d9
        byte[] wire = hex("01 c0 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                + "14 00 00 00 00 00 04 00 00 00 00 14 00 00 00 18"
                + "28 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00"
                + "56 3a 96 d9");
        assertThat(Crc32c.compute(Unpooled.wrappedBuffer(wire), 0, 48)).isEqualTo(0xd9963a56);
        TrackingAllocator alloc = new TrackingAllocator();
        List<Object> out = decode(alloc, decoder(true, 8192, true, false), wire, new Random(2), 10);
        assertThat(out).hasSize(1);
        ScsiCommand cmd = (ScsiCommand) out.get(0);
        assertThat(cmd.finalFlag()).isTrue();
        assertThat(cmd.read()).isTrue();
        assertThat(cmd.write()).isFalse();
        assertThat(cmd.itt()).isEqualTo(0x14000000);
        assertThat(cmd.expectedDataTransferLength()).isEqualTo(1024);
        assertThat(cmd.cmdSN()).isEqualTo(0x14);
        assertThat(cmd.expStatSN()).isEqualTo(0x18);
        assertThat(cmd.cdb()[0]).isEqualTo((byte) 0x28);
        assertThat(cmd.cdb()[8]).isEqualTo((byte) 0x02);
        // our encoder produces the identical bytes, digest included
        assertThat(encode(alloc, true, false, List.of(cmd))).isEqualTo(wire);
        releaseAll(out);
        alloc.assertAllReleased();
    }

    @Test
    void dataDigestCoversPaddingAndIsLittleEndianOnTheWire() {
        TrackingAllocator alloc = new TrackingAllocator();
        // 32 zero bytes: no padding, digest bytes must be aa 36 91 8a
        NopOut zeros = new NopOut(false, 0, 1, -1, 0, 0, Unpooled.wrappedBuffer(new byte[32]));
        byte[] wire = encode(alloc, false, true, List.of(zeros));
        assertThat(wire).hasSize(48 + 32 + 4);
        assertThat(Arrays.copyOfRange(wire, 80, 84)).isEqualTo(hex("aa 36 91 8a"));
        // 30 zero bytes + 2 padding zero bytes: the digest of the padded segment is the same
        NopOut padded = new NopOut(false, 0, 1, -1, 0, 0, Unpooled.wrappedBuffer(new byte[30]));
        wire = encode(alloc, false, true, List.of(padded));
        assertThat(wire).hasSize(48 + 32 + 4);
        assertThat(Arrays.copyOfRange(wire, 80, 84)).isEqualTo(hex("aa 36 91 8a"));
        zeros.release();
        padded.release();
        alloc.assertAllReleased();
    }

    @Test
    void targetPduFieldOffsets() {
        TrackingAllocator alloc = new TrackingAllocator();
        byte[] w = encode(
                alloc,
                false,
                false,
                List.of(new DataIn(
                        true,
                        false,
                        false,
                        true,
                        true,
                        0x02,
                        0x0001000000000000L,
                        0x0a0b0c0d,
                        0xffffffff,
                        0x11,
                        0x12,
                        0x13,
                        0x14,
                        0x15,
                        0x16,
                        Unpooled.wrappedBuffer(new byte[4]))));
        assertThat(Arrays.copyOfRange(w, 0, 48))
                .isEqualTo(hex("25 83 00 02 00 000004 0001000000000000 0a0b0c0d"
                        + "ffffffff 00000011 00000012 00000013 00000014 00000015 00000016"));
        w = encode(
                alloc,
                false,
                false,
                List.of(new ScsiResponse(true, false, false, true, 0x01, 0x02, 7, 8, 9, 10, 11, 12, 13, 14, null)));
        assertThat(w)
                .isEqualTo(hex("21 92 01 02 00 000000 0000000000000000 00000007"
                        + "00000008 00000009 0000000a 0000000b 0000000c 0000000d 0000000e"));
        w = encode(
                alloc,
                false,
                false,
                List.of(new LoginResponse(
                        true, false, 1, 3, 0, 0, 0x0000023d0001L, 0x10, 5, 6, 7, 8, 0x02, 0x01, null)));
        assertThat(w)
                .isEqualTo(hex("23 87 00 00 00 000000 0000023d0001 0010 00000005 00000000"
                        + "00000006 00000007 00000008 0201 0000 00000000 00000000"));
        w = encode(alloc, false, false, List.of(new LogoutResponse(0, 5, 6, 7, 8, 2, 20)));
        assertThat(Arrays.copyOfRange(w, 40, 44)).isEqualTo(hex("0002 0014"));
        w = encode(alloc, false, false, List.of(new AsyncMessage(0, 1, 2, 3, 4, 5, 6, 7, 8, null)));
        assertThat(Arrays.copyOfRange(w, 16, 20)).isEqualTo(hex("ffffffff"));
        assertThat(Arrays.copyOfRange(w, 36, 44)).isEqualTo(hex("04 05 0006 0007 0008"));
        alloc.assertAllReleased();
    }
}
