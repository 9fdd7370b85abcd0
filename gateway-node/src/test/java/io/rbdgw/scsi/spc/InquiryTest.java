package io.rbdgw.scsi.spc;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.scsi.Fixture;
import io.rbdgw.scsi.LuIdentity;
import io.rbdgw.scsi.RecordingTask;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class InquiryTest {

    private final Fixture f = Fixture.thin();

    private byte[] vpd(int page) {
        byte[] d = f.run(0x12, 1, page, 0x01, 0, 0).good();
        assertThat(d[1] & 0xff).isEqualTo(page);
        assertThat(((d[2] & 0xff) << 8 | (d[3] & 0xff)) + 4).isEqualTo(d.length);
        return d;
    }

    @Test
    void standardInquiry() {
        byte[] d = f.run(0x12, 0, 0, 0, 96, 0).good();
        assertThat(d).hasSize(66);
        assertThat(d[0]).isEqualTo((byte) 0);
        assertThat(d[2]).isEqualTo((byte) 6);
        assertThat(d[3]).isEqualTo((byte) 0x12);
        assertThat(d[4] & 0xff).isEqualTo(61);
        assertThat(d[5] & 0x30).isEqualTo(0x10); // TPGS implicit
        assertThat(d[5] & 0x08).isEqualTo(0x08); // 3PC: EXTENDED COPY
        assertThat(d[7] & 0x02).isEqualTo(0x02); // CmdQue
        assertThat(new String(d, 8, 8, StandardCharsets.US_ASCII)).isEqualTo("RBDGW   ");
    }

    @Test
    void allocationLengthTruncates() {
        RecordingTask t = f.run(0x12, 0, 0, 0, 5, 0);
        assertThat(t.good()).hasSize(5);
        assertThat(t.transferLength).isEqualTo(5);
    }

    @Test
    void pageCodeWithoutEvpdAndUnknownPage() {
        f.run(0x12, 0, 0x80, 0, 96, 0).invalidCdb(2, -1);
        f.run(0x12, 1, 0x99, 0, 96, 0).invalidCdb(2, -1);
        f.run(0x12, 2, 0, 0, 96, 0).invalidCdb(1, 1); // CMDDT
    }

    @Test
    void supportedPagesAndSerial() {
        byte[] d = vpd(0x00);
        assertThat(Arrays.copyOfRange(d, 4, d.length)).containsExactly(0x00, 0x80, 0x83, 0x86, 0x8F, 0xB0, 0xB1, 0xB2);
        for (int i = 4; i < d.length; i++) {
            vpd(d[i] & 0xff);
        }
        byte[] s = vpd(0x80);
        assertThat(new String(s, 4, s.length - 4, StandardCharsets.US_ASCII))
                .isEqualTo(f.lu.identity().serial());
    }

    @Test
    void deviceIdentificationDesignators() {
        byte[] d = vpd(0x83);
        List<int[]> headers = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 4; i < d.length; ) {
            int len = d[i + 3] & 0xff;
            headers.add(new int[] {d[i] & 0xff, d[i + 1] & 0xff});
            bodies.add(Arrays.copyOfRange(d, i + 4, i + 4 + len));
            i += 4 + len;
        }
        assertThat(headers).extracting(h -> h[1] & 0x0F).containsExactly(3, 1, 4, 5, 8);
        byte[] naa = bodies.get(0);
        assertThat(naa).hasSize(16).isEqualTo(f.lu.identity().naaDesignator());
        assertThat((naa[0] & 0xF0) >>> 4).isEqualTo(6);
        assertThat(headers.get(2)[1] & 0x30).isEqualTo(0x10); // target port association
        assertThat(bodies.get(2)[3]).isEqualTo((byte) RecordingTask.NEXUS.relativeTargetPort());
        String name = new String(bodies.get(4), StandardCharsets.UTF_8);
        assertThat(name).startsWith(RecordingTask.NEXUS.targetPortName() + "\0");
        assertThat(bodies.get(4).length % 4).isZero();
    }

    @Test
    void identityIsStableAndNotLios() {
        LuIdentity a = LuIdentity.fromDeviceIdentity("rbd/pool/img-1");
        LuIdentity b = LuIdentity.fromDeviceIdentity("rbd/pool/img-1");
        LuIdentity c = LuIdentity.fromDeviceIdentity("rbd/pool/img-2");
        assertThat(a).isEqualTo(b);
        assertThat(a.naaHex()).isNotEqualTo(c.naaHex());
        assertThat(a.serial()).isNotEqualTo(c.serial());
        assertThat(a.naaHex()).startsWith("60a5247").doesNotStartWith("6001405");
    }

    @Test
    void blockLimits() {
        byte[] d = vpd(0xB0);
        assertThat(d).hasSize(64);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(d);
        assertThat(d[4] & 1).isEqualTo(1); // WSNZ
        assertThat(d[5] & 0xff).isEqualTo(8); // CAW length
        assertThat(b.getInt(8)).isEqualTo((8 << 20) / 512);
        assertThat(b.getInt(12)).isEqualTo((4 << 20) / 512);
        assertThat(b.getInt(20)).isEqualTo(1 << 20); // MAXIMUM UNMAP LBA COUNT capped at 2^20 blocks
        assertThat(b.getInt(24)).isEqualTo(256);
        assertThat(b.getInt(28)).isEqualTo((4 << 20) / 512);
        assertThat(b.getLong(36)).isEqualTo(0xFFFF); // MAXIMUM WRITE SAME LENGTH: WRITE SAME(10)'s limit
        assertThat(b.getInt(44)).isZero(); // no atomic writes: MAXIMUM ATOMIC TRANSFER LENGTH 0
        assertThat(b.getInt(48)).isZero(); // ATOMIC ALIGNMENT
        assertThat(b.getInt(52)).isZero(); // ATOMIC TRANSFER LENGTH GRANULARITY
    }

    @Test
    void blockLimitsReportTheAtomicWriteLimits() {
        io.rbdgw.scsi.MemoryDevice dev = io.rbdgw.scsi.MemoryDevice.thin(1024, 512);
        dev.info = dev.info.withAtomicWrites(64 * 1024, 8 * 512, 8 * 512);
        byte[] d = new Fixture(dev).run(0x12, 1, 0xB0, 0, 255, 0).good();
        assertThat(d).hasSize(64);
        assertThat(d[3] & 0xff).isEqualTo(0x3C);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(d);
        assertThat(b.getInt(44)).isEqualTo(128);
        assertThat(b.getInt(48)).isEqualTo(8);
        assertThat(b.getInt(52)).isEqualTo(8);
        assertThat(b.getInt(56)).isZero();
        assertThat(b.getInt(60)).isZero();
    }

    @Test
    void characteristicsAndProvisioning() {
        byte[] b1 = vpd(0xB1);
        assertThat(b1[5]).isEqualTo((byte) 1);
        byte[] b2 = vpd(0xB2);
        assertThat(b2[5] & 0xE4).isEqualTo(0xE4);
        assertThat(b2[6] & 0x07).isEqualTo(2);
        Fixture thick = new Fixture(io.rbdgw.scsi.MemoryDevice.thick(8, 512));
        byte[] t = thick.run(0x12, 1, 0xB2, 0, 64, 0).good();
        assertThat(t[5]).isZero();
        assertThat(t[6]).isZero();
    }

    @Test
    void extendedInquiry() {
        byte[] d = vpd(0x86);
        assertThat(d).hasSize(64);
        assertThat(d[5] & 0x07).isEqualTo(0x07);
        assertThat(d[6] & 0x01).isZero();
    }
}
