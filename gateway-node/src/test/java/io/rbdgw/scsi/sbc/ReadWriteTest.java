package io.rbdgw.scsi.sbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.scsi.Fixture;
import io.rbdgw.scsi.RecordingTask;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.SenseData;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ReadWriteTest {

    private final Fixture f = Fixture.thin(); // 1024 blocks of 512

    private static byte[] pattern(int len, int seed) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void write10ThenRead10And16() {
        byte[] data = pattern(1024, 7);
        RecordingTask w = f.runWithData(data, 0x2A, 0x08, 0, 0, 0, 10, 0, 0, 2, 0);
        w.good();
        assertThat(w.transferLength).isEqualTo(1024);
        assertThat(f.device.lastFua).isTrue();
        assertThat(Arrays.copyOfRange(f.device.data, 5120, 6144)).isEqualTo(data);

        RecordingTask r = f.run(0x28, 0, 0, 0, 0, 10, 0, 0, 2, 0);
        assertThat(r.good()).isEqualTo(data);
        assertThat(r.transferLength).isEqualTo(1024);
        RecordingTask r16 = f.run(0x88, 0, 0, 0, 0, 0, 0, 0, 0, 11, 0, 0, 0, 1, 0, 0);
        assertThat(r16.good()).isEqualTo(Arrays.copyOfRange(data, 512, 1024));
    }

    @Test
    void read6LengthZeroMeans256Blocks() {
        RecordingTask r = f.run(0x08, 0, 0, 0, 0, 0);
        assertThat(r.good()).hasSize(256 * 512);
    }

    @Test
    void write6And12() {
        byte[] data = pattern(512, 3);
        f.runWithData(data, 0x0A, 0, 0, 3, 1, 0).good();
        assertThat(f.device.lastFua).isFalse();
        assertThat(f.run(0xA8, 0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0).good()).isEqualTo(data);
        f.runWithData(data, 0xAA, 0, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0).good();
        assertThat(Arrays.copyOfRange(f.device.data, 2048, 2560)).isEqualTo(data);
    }

    @Test
    void zeroLengthTransfersNothing() {
        RecordingTask r = f.run(0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(r.good()).isEmpty();
        assertThat(r.transferLength).isZero();
        assertThat(f.device.ops).isEmpty();
    }

    @Test
    void outOfRange() {
        f.run(0x28, 0, 0, 0, 0x03, 0xFF, 0, 0, 2, 0).check(5, 0x21, 0);
        f.run(0x88, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0, 0)
                .check(5, 0x21, 0);
        f.run(0x28, 0, 0, 0, 0x04, 0x00, 0, 0, 0, 0).check(5, 0x21, 0); // LBA = capacity, 0 blocks
        assertThat(f.device.ops).isEmpty();
    }

    @Test
    void beyondMaximumTransferLength() {
        Fixture big = new Fixture(io.rbdgw.scsi.MemoryDevice.thin(40000, 512));
        big.run(0x28, 0, 0, 0, 0, 0, 0, 0x40, 0x01, 0).invalidCdb(7, -1); // 16385 blocks > 8 MiB
    }

    @Test
    void lessThanOneBlockOfDataOutWritesNothingButReportsTheCdbLength() {
        RecordingTask w = f.runWithData(new byte[200], 0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0);
        w.good();
        assertThat(w.transferLength).isEqualTo(512);
        assertThat(f.device.ops).isEmpty();
        RecordingTask none = f.run(0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0); // expected transfer length 0
        none.good();
        assertThat(none.transferLength).isEqualTo(512);
        assertThat(f.device.ops).isEmpty();
    }

    @Test
    void overflowWritesOnlyTheWholeBlocksThatArrived() {
        byte[] a = new byte[1024];
        java.util.Arrays.fill(a, (byte) 'a');
        f.runWithData(a, 0x2A, 0, 0, 0, 0, 0, 0, 0, 2, 0).good();
        byte[] b = new byte[512 + 100];
        java.util.Arrays.fill(b, (byte) 'b');
        RecordingTask w = f.runWithData(b, 0x2A, 0, 0, 0, 0, 0, 0, 0, 2, 0); // CDB 2 blocks, 1.2 sent
        w.good();
        assertThat(w.transferLength).isEqualTo(1024);
        byte[] back = f.run(0x28, 0, 0, 0, 0, 0, 0, 0, 2, 0).good();
        assertThat(back[0]).isEqualTo((byte) 'b');
        assertThat(back[511]).isEqualTo((byte) 'b');
        assertThat(back[512]).isEqualTo((byte) 'a');
        assertThat(back[1023]).isEqualTo((byte) 'a');
    }

    @Test
    void underflowWritesOnlyWhatTheCdbAsksFor() {
        byte[] a = new byte[1024];
        java.util.Arrays.fill(a, (byte) 'a');
        f.runWithData(a, 0x8A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0).good();
        byte[] b = new byte[1024];
        java.util.Arrays.fill(b, (byte) 'b');
        RecordingTask w = f.runWithData(b, 0x8A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0); // 1 block, 2 sent
        w.good();
        assertThat(w.transferLength).isEqualTo(512);
        byte[] back = f.run(0x28, 0, 0, 0, 0, 0, 0, 0, 2, 0).good();
        assertThat(back[511]).isEqualTo((byte) 'b');
        assertThat(back[512]).isEqualTo((byte) 'a');
    }

    @Test
    void writeAndVerifyWithOverflowVerifiesWhatWasWritten() {
        byte[] b = new byte[512];
        java.util.Arrays.fill(b, (byte) 'v');
        RecordingTask w = f.runWithData(b, 0x2E, 0x02, 0, 0, 0, 0, 0, 0, 2, 0); // BYTCHK, 2 blocks, 1 sent
        w.good();
        assertThat(w.transferLength).isEqualTo(1024);
        assertThat(f.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).good()[100]).isEqualTo((byte) 'v');
    }

    @Test
    void deviceErrorsAreMapped() {
        f.device.failNext = new BlockDeviceException(BlockDeviceException.Kind.READ_ERROR, "eio");
        f.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).check(3, 0x11, 0);
        f.device.failNext = new BlockDeviceException(BlockDeviceException.Kind.WRITE_ERROR, "eio");
        f.runWithData(new byte[512], 0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0).check(3, 0x0C, 0);
        f.device.failNext = new BlockDeviceException(BlockDeviceException.Kind.FENCED, "lock");
        f.runWithData(new byte[512], 0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0).check(2, 0x04, 0x0A);
        f.device.failNext = new BlockDeviceException(BlockDeviceException.Kind.TRANSIENT, "slow");
        RecordingTask busy = f.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0);
        assertThat(busy.status).isEqualTo(ScsiStatus.BUSY);
        assertThat(busy.sense).isNull();
        f.device.failNext = new BlockDeviceException(BlockDeviceException.Kind.CLOSED, "bye");
        f.run(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0).check(2, 0x04, 0x0C);
    }

    @Test
    void verifyWithoutAndWithByteCheck() {
        byte[] data = pattern(1024, 9);
        f.runWithData(data, 0x2A, 0, 0, 0, 0, 20, 0, 0, 2, 0).good();
        f.run(0x2F, 0, 0, 0, 0, 20, 0, 0, 2, 0).good();
        f.run(0x2F, 0, 0, 0, 0x04, 0, 0, 0, 2, 0).check(5, 0x21, 0);
        f.runWithData(data, 0x2F, 0x02, 0, 0, 0, 20, 0, 0, 2, 0).good();
        byte[] wrong = data.clone();
        wrong[700] ^= 1;
        RecordingTask t = f.runWithData(wrong, 0x8F, 0x02, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0);
        t.check(0x0E, 0x1D, 0);
        assertThat(t.sense[0] & 0x80).isEqualTo(0x80);
        assertThat(((t.sense[5] & 0xff) << 8) | (t.sense[6] & 0xff)).isEqualTo(700);
        f.run(0x2F, 0x04, 0, 0, 0, 20, 0, 0, 2, 0).invalidCdb(1, 2); // BYTCHK=10b
    }

    @Test
    void writeAndVerifyWritesWithFuaAndCompares() {
        byte[] data = pattern(512, 1);
        f.runWithData(data, 0x2E, 0x02, 0, 0, 0, 30, 0, 0, 1, 0).good();
        assertThat(f.device.lastFua).isTrue();
        assertThat(f.device.ops).contains("read 15360 512");
        assertThat(Arrays.copyOfRange(f.device.data, 15360, 15872)).isEqualTo(data);
    }

    @Test
    void syncCacheAndPrefetch() {
        f.run(0x35, 0x02, 0, 0, 0, 0, 0, 0, 0, 0).good();
        assertThat(f.device.ops).containsExactly("flush");
        f.run(0x91, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0).check(5, 0x21, 0);
        f.run(0x34, 0, 0, 0, 0, 0, 0, 0, 8, 0).good();
        f.run(0x90, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 1, 0, 0).check(5, 0x21, 0);
    }

    @Test
    void readCapacity() {
        byte[] rc10 = f.run(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0).good();
        assertThat(rc10).containsExactly(0, 0, 0x03, 0xFF - 256, 0, 0, 2, 0);
        byte[] rc16 =
                f.run(0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0).good();
        assertThat(rc16).hasSize(32);
        assertThat(rc16[7] & 0xff).isEqualTo(0xFF);
        assertThat(rc16[6]).isEqualTo((byte) 0x03);
        assertThat(rc16[13]).isZero(); // one logical block per physical block
        assertThat(rc16[14] & 0xC0).isEqualTo(0xC0); // LBPME, LBPRZ
        Fixture thick = new Fixture(io.rbdgw.scsi.MemoryDevice.thick(8, 4096));
        byte[] t16 =
                thick.run(0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0).good();
        assertThat(t16[14] & 0xC0).isZero();
        assertThat(t16[13]).isZero();
        assertThat(SenseData.LENGTH).isEqualTo(18);
    }

    @Test
    void getLbaStatus() {
        f.device.deallocated.set(0, 1024);
        f.runWithData(new byte[1024], 0x2A, 0, 0, 0, 0, 4, 0, 0, 2, 0).good();
        byte[] s = f.run(0x9E, 0x12, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 24, 0, 0).good();
        assertThat(s).hasSize(24);
        assertThat(s[3]).isEqualTo((byte) 20);
        assertThat(s[15]).isEqualTo((byte) 4);
        assertThat(s[19]).isEqualTo((byte) 2);
        assertThat(s[20]).isEqualTo((byte) 0); // mapped
        byte[] d = f.run(0x9E, 0x12, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 24, 0, 0).good();
        assertThat(d[20]).isEqualTo((byte) 1); // deallocated
        assertThat(((d[18] & 0xff) << 8) | (d[19] & 0xff)).isEqualTo(1018);
        f.run(0x9E, 0x12, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 24, 0, 0).check(5, 0x21, 0);
    }

    @Test
    void getLbaStatusWithTheTopLbaBitSetIsOutOfRange() {
        f.run(0x9E, 0x12, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 24, 0, 0).check(5, 0x21, 0); // 2^63
        f.run(0x9E, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 24, 0, 0)
                .check(5, 0x21, 0);
        assertThat(f.device.ops).isEmpty();
    }
}
