package io.rbdgw.scsi.sbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.scsi.Fixture;
import io.rbdgw.scsi.MemoryDevice;
import io.rbdgw.scsi.RecordingTask;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class WriteSameUnmapCompareTest {

    private final Fixture f = Fixture.thin(); // 1024 x 512, thin, discard zeroes, CAW up to 8 blocks

    private static byte[] filled(int len, int v) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) v);
        return b;
    }

    @Test
    void writeSamePatternIsWrittenEvenWithUnmap() {
        f.runWithData(filled(512, 0xAB), 0x41, 0x08, 0, 0, 0, 10, 0, 0, 4, 0).good();
        assertThat(f.device.ops).containsExactly("writeSame 5120 2048");
        assertThat(Arrays.copyOfRange(f.device.data, 5120, 7168)).containsOnly((byte) 0xAB);
    }

    @Test
    void writeSameZerosWithUnmapDiscardsOnThinDevice() {
        f.runWithData(new byte[512], 0x93, 0x08, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0)
                .good();
        assertThat(f.device.ops).containsExactly("discard 5120 2048");
        f.device.ops.clear();
        f.runWithData(new byte[512], 0x41, 0, 0, 0, 0, 10, 0, 0, 4, 0).good();
        assertThat(f.device.ops).containsExactly("writeZeroes 5120 2048");
    }

    @Test
    void writeSameZerosWithUnmapWritesZeroesWhenDiscardMayLeaveData() {
        MemoryDevice d = new MemoryDevice(new io.rbdgw.block.DeviceInfo(1 << 20, 512, true, false, true, 4096, 0, "x"));
        Fixture g = new Fixture(d);
        g.runWithData(new byte[512], 0x41, 0x08, 0, 0, 0, 0, 0, 0, 1, 0).good();
        assertThat(d.ops).containsExactly("writeZeroes 0 512");
    }

    @Test
    void writeSameNdobNeedsNoData() {
        RecordingTask t = f.run(0x93, 0x09, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0);
        t.good();
        assertThat(t.transferLength).isEqualTo(-1);
        assertThat(f.device.ops).containsExactly("discard 512 1024");
        f.run(0x41, 0x01, 0, 0, 0, 1, 0, 0, 2, 0).invalidCdb(1, 0); // no NDOB in WRITE SAME(10)
    }

    @Test
    void writeSameFieldChecks() {
        f.runWithData(new byte[512], 0x41, 0, 0, 0, 0, 0, 0, 0, 0, 0).invalidCdb(7, -1); // WSNZ
        f.runWithData(new byte[512], 0x41, 0x10, 0, 0, 0, 0, 0, 0, 1, 0).invalidCdb(1, 4); // ANCHOR
        f.runWithData(new byte[512], 0x41, 0, 0, 0, 0x03, 0xFF, 0, 0, 2, 0).check(5, 0x21, 0);
        Fixture big = new Fixture(MemoryDevice.thick(70000, 512));
        big.runWithData(new byte[512], 0x93, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x01, 0, 0)
                .invalidCdb(10, -1);
        f.run(0x41, 0, 0, 0, 0, 0, 0, 0, 1, 0).invalidCdb(7, -1);
    }

    @Test
    void writeSameNeedsExactlyOneBlockOfDataOut() {
        f.runWithData(new byte[256], 0x41, 0, 0, 0, 0, 0, 0, 0, 1, 0).invalidCdb(7, -1);
        RecordingTask tooMuch = f.runWithData(new byte[1024], 0x93, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0);
        tooMuch.invalidCdb(10, -1);
        assertThat(tooMuch.transferLength).isEqualTo(512);
        // NDOB: no data-out at all
        f.runWithData(new byte[512], 0x93, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)
                .invalidCdb(10, -1);
        assertThat(f.device.ops).isEmpty();
    }

    private static byte[] unmapList(long[][] descriptors) {
        ByteBuffer b = ByteBuffer.allocate(8 + 16 * descriptors.length);
        b.putShort((short) (6 + 16 * descriptors.length))
                .putShort((short) (16 * descriptors.length))
                .putInt(0);
        for (long[] d : descriptors) {
            b.putLong(d[0]).putInt((int) d[1]).putInt(0);
        }
        return b.array();
    }

    @Test
    void unmapDiscardsEveryDescriptor() {
        byte[] list = unmapList(new long[][] {{0, 8}, {100, 0}, {1000, 24}});
        f.runWithData(list, 0x42, 0, 0, 0, 0, 0, 0, 0, list.length, 0).good();
        assertThat(f.device.ops).containsExactly("discard 0 4096", "discard 512000 12288");
    }

    @Test
    void unmapOfNoBlocksMayStartAtTheCapacity() {
        byte[] atEnd = unmapList(new long[][] {{1024, 0}, {5, 0}});
        f.runWithData(atEnd, 0x42, 0, 0, 0, 0, 0, 0, 0, atEnd.length, 0).good();
        byte[] beyond = unmapList(new long[][] {{1025, 0}});
        f.runWithData(beyond, 0x42, 0, 0, 0, 0, 0, 0, 0, beyond.length, 0).check(5, 0x21, 0);
        byte[] negative = unmapList(new long[][] {{-1, 0}});
        f.runWithData(negative, 0x42, 0, 0, 0, 0, 0, 0, 0, negative.length, 0).check(5, 0x21, 0);
        assertThat(f.device.ops).isEmpty();
    }

    @Test
    void unmapParameterListErrors() {
        f.run(0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0).good(); // empty list
        f.runWithData(new byte[4], 0x42, 0, 0, 0, 0, 0, 0, 0, 4, 0).check(5, 0x1A, 0);
        byte[] list = unmapList(new long[][] {{0, 8}});
        list[3] = 32; // descriptor data length beyond the list
        f.runWithData(list, 0x42, 0, 0, 0, 0, 0, 0, 0, list.length, 0).check(5, 0x1A, 0);
        byte[] oob = unmapList(new long[][] {{0, 8}, {1020, 8}});
        f.runWithData(oob, 0x42, 0, 0, 0, 0, 0, 0, 0, oob.length, 0).check(5, 0x21, 0);
        long[][] many = new long[257][];
        for (int i = 0; i < many.length; i++) {
            many[i] = new long[] {i, 1};
        }
        byte[] tooMany = unmapList(many);
        f.runWithData(tooMany, 0x42, 0, 0, 0, 0, 0, 0, tooMany.length >> 8, tooMany.length & 0xff, 0)
                .check(5, 0x26, 0);
        f.runWithData(list, 0x42, 0x01, 0, 0, 0, 0, 0, 0, list.length, 0).invalidCdb(1, 0); // ANCHOR
        assertThat(f.device.ops).isEmpty();
        Fixture thick = new Fixture(MemoryDevice.thick(64, 512));
        byte[] ok = unmapList(new long[][] {{0, 8}});
        thick.runWithData(ok, 0x42, 0, 0, 0, 0, 0, 0, 0, ok.length, 0).check(5, 0x20, 0);
    }

    @Test
    void compareAndWriteSucceedsAndMiscompares() {
        byte[] old = filled(1024, 0x11);
        System.arraycopy(old, 0, f.device.data, 2048, 1024);
        byte[] buf = new byte[2048];
        System.arraycopy(old, 0, buf, 0, 1024);
        Arrays.fill(buf, 1024, 2048, (byte) 0x22);
        RecordingTask ok = f.runWithData(buf, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0);
        ok.good();
        assertThat(ok.transferLength).isEqualTo(2048);
        assertThat(Arrays.copyOfRange(f.device.data, 2048, 3072)).containsOnly((byte) 0x22);

        RecordingTask bad = f.runWithData(buf, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0);
        bad.check(0x0E, 0x1D, 0);
        assertThat(bad.sense[0] & 0x80).isEqualTo(0x80);
        assertThat(bad.sense[6]).isEqualTo((byte) 0); // first byte already differs
        byte[] partly = new byte[2048];
        Arrays.fill(partly, 0, 1024, (byte) 0x22);
        partly[600] = 0;
        f.runWithData(partly, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0).check(0x0E, 0x1D, 0);
    }

    @Test
    void compareAndWriteInformationIsTheOffsetOfTheFirstDifference() {
        byte[] buf = new byte[1024];
        buf[300] = 5; // compare data differs from the zeroed medium at byte 300
        RecordingTask t = f.runWithData(buf, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0);
        t.check(0x0E, 0x1D, 0);
        assertThat(((t.sense[5] & 0xff) << 8) | (t.sense[6] & 0xff)).isEqualTo(300);
    }

    @Test
    void compareAndWriteLimits() {
        f.runWithData(new byte[9 * 1024], 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0)
                .invalidCdb(13, -1);
        f.runWithData(new byte[1024], 0x89, 0, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 1, 0, 0)
                .check(5, 0x21, 0);
        // data-out of any size but 2 * blocks is rejected before anything is compared
        f.runWithData(new byte[512], 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)
                .invalidCdb(13, -1);
        f.runWithData(new byte[2048], 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)
                .invalidCdb(13, -1);
        RecordingTask tooFew = f.runWithData(new byte[2048], 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0);
        tooFew.invalidCdb(13, -1);
        assertThat(tooFew.transferLength).isEqualTo(3072);
        // NUMBER OF LOGICAL BLOCKS 0 (e.g. 256 truncated to 8 bits) with data-out is not a no-op
        f.runWithData(new byte[4096], 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                .invalidCdb(13, -1);
        RecordingTask none = f.run(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        none.good();
        assertThat(f.device.ops).isEmpty();
    }
}
