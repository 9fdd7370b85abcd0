package io.rbdgw.scsi.sbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.scsi.Fixture;
import io.rbdgw.scsi.MemoryDevice;
import io.rbdgw.scsi.RecordingTask;
import io.rbdgw.scsi.ScsiStatus;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class WriteAtomicTest {

    private static Fixture atomic(int maxBlocks, int alignBlocks, int granBlocks) {
        MemoryDevice d = MemoryDevice.thin(1024, 512);
        d.info = d.info.withAtomicWrites(maxBlocks * 512, alignBlocks * 512, granBlocks * 512);
        return new Fixture(d);
    }

    /** WRITE ATOMIC(16) CDB. */
    private static int[] cdb(int flags, long lba, int blocks) {
        int[] c = new int[16];
        c[0] = 0x9C;
        c[1] = flags;
        for (int i = 0; i < 8; i++) {
            c[2 + i] = (int) (lba >>> (56 - 8 * i)) & 0xff;
        }
        c[12] = blocks >>> 8;
        c[13] = blocks & 0xff;
        return c;
    }

    private static byte[] filled(int len, int v) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) v);
        return b;
    }

    @Test
    void writesAtomicallyWithFua() {
        Fixture f = atomic(128, 0, 0);
        RecordingTask t = f.runWithData(filled(4 * 512, 0x5A), cdb(0x08, 10, 4));
        t.good();
        assertThat(t.transferLength).isEqualTo(4 * 512);
        assertThat(f.device.ops).containsExactly("writeAtomic 5120 2048 fua");
        assertThat(Arrays.copyOfRange(f.device.data, 5120, 7168)).containsOnly((byte) 0x5A);
        f.runWithData(filled(512, 1), cdb(0x10, 0, 1)).good(); // DPO accepted
    }

    @Test
    void zeroBlocksIsGoodWithoutTransferButTheLbaIsChecked() {
        Fixture f = atomic(128, 8, 8);
        f.run(cdb(0, 0, 0)).good();
        f.run(cdb(0, 1024 + 8, 0)).check(5, 0x21, 0);
        f.run(cdb(0, 0x8000_0000_0000_0000L, 0)).check(5, 0x21, 0);
        f.run(cdb(0, -8, 0)).check(5, 0x21, 0);
        assertThat(f.device.ops).isEmpty();
    }

    @Test
    void rangeIsCheckedBeforeTheAtomicLimits() {
        Fixture f = atomic(8, 8, 8);
        RecordingTask t = f.runWithData(filled(512 * 512, 0), cdb(0, 1024 - 256, 512));
        t.check(5, 0x21, 0);
        assertThat(t.transferLength).isEqualTo(512 * 512);
    }

    @Test
    void lengthAlignmentAndGranularityAreInvalidFields() {
        Fixture f = atomic(16, 8, 4);
        f.runWithData(filled(24 * 512, 0), cdb(0, 0, 24)).invalidCdb(12, -1); // above the maximum
        f.runWithData(filled(6 * 512, 0), cdb(0, 0, 6)).invalidCdb(12, -1); // not a multiple of 4
        f.runWithData(filled(4 * 512, 0), cdb(0, 4, 4)).invalidCdb(2, -1); // LBA not a multiple of 8
        f.runWithData(filled(16 * 512, 0), cdb(0, 8, 16)).good();
        assertThat(f.device.ops).containsExactly("writeAtomic 4096 8192");
    }

    @Test
    void reservedFieldsAreRejected() {
        Fixture f = atomic(128, 0, 0);
        f.runWithData(filled(512, 0), cdb(0x20, 0, 1)).invalidCdb(1, 5); // WRPROTECT
        f.runWithData(filled(512, 0), cdb(0x02, 0, 1)).invalidCdb(1, 1); // reserved bit
        int[] boundary = cdb(0, 0, 1);
        boundary[11] = 1; // ATOMIC BOUNDARY
        f.runWithData(filled(512, 0), boundary).invalidCdb(11, 0);
        int[] group = cdb(0, 0, 1);
        group[14] = 0x40;
        f.runWithData(filled(512, 0), group).invalidCdb(14, 6);
        assertThat(f.device.ops).isEmpty();
    }

    @Test
    void shortDataOutWritesNothing() {
        Fixture f = atomic(128, 0, 0);
        RecordingTask t = f.runWithData(filled(2 * 512, 0), cdb(0, 0, 4));
        t.check(5, 0x0E, 0x03);
        assertThat(t.transferLength).isEqualTo(4 * 512);
        assertThat(f.device.ops).isEmpty();
    }

    @Test
    void softwareWriteProtectRefusesIt() {
        Fixture f = atomic(128, 0, 0);
        f.lu.setSoftwareWriteProtect(true, RecordingTask.NEXUS);
        f.runWithData(filled(512, 0), cdb(0, 0, 1)).check(7, 0x27, 0x02);
        assertThat(f.device.ops).isEmpty();
    }

    @Test
    void unsupportedWithoutDeviceAtomicWrites() {
        Fixture f = Fixture.thin();
        f.runWithData(filled(512, 0), cdb(0, 0, 1)).check(5, 0x20, 0);
        assertThat(f.device.ops).isEmpty();
    }

    @Test
    void deviceFailureIsReported() {
        Fixture f = atomic(128, 0, 0);
        f.device.failNext =
                new io.rbdgw.block.BlockDeviceException(io.rbdgw.block.BlockDeviceException.Kind.WRITE_ERROR, "boom");
        RecordingTask t = f.runWithData(filled(512, 0), cdb(0, 0, 1));
        assertThat(t.status).isEqualTo(ScsiStatus.CHECK_CONDITION);
        t.check(3, 0x0C, 0x00);
    }
}
