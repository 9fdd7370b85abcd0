package io.rbdgw.scsi.spc;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.scsi.CommandSpec;
import io.rbdgw.scsi.Fixture;
import io.rbdgw.scsi.RecordingTask;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ModeAndOpcodesTest {

    private final Fixture f = Fixture.thin();

    @Test
    void modeSense6AllPagesWithBlockDescriptor() {
        byte[] d = f.run(0x1A, 0, 0x3F, 0, 255, 0).good();
        assertThat(d[0] & 0xff).isEqualTo(d.length - 1);
        assertThat(d[2]).isEqualTo((byte) 0x10); // DPOFUA, WP=0
        assertThat(d[3]).isEqualTo((byte) 8);
        assertThat(ByteBuffer.wrap(d).getInt(4)).isEqualTo(1024);
        assertThat(ByteBuffer.wrap(d).getInt(8) & 0xFFFFFF).isEqualTo(512);
        assertThat(d[12]).isEqualTo((byte) 0x08);
        assertThat(d[14] & 0x04).isEqualTo(0x04); // WCE
        int control = 12 + 20;
        assertThat(d[control]).isEqualTo((byte) 0x0A);
        assertThat(d[control + 12]).isEqualTo((byte) 0x1C);
        assertThat(d).hasSize(12 + 20 + 12 + 12);
    }

    @Test
    void modeSense10LongLbaAndDbdAndChangeable() {
        byte[] d = f.run(0x5A, 0x10, 0x08, 0, 0, 0, 0, 0, 255, 0).good();
        assertThat(ByteBuffer.wrap(d).getShort(0)).isEqualTo((short) (d.length - 2));
        assertThat(d[4] & 1).isEqualTo(1);
        assertThat(ByteBuffer.wrap(d).getShort(6)).isEqualTo((short) 16);
        assertThat(ByteBuffer.wrap(d).getLong(8)).isEqualTo(1024);
        byte[] noBd = f.run(0x5A, 0x08, 0x48, 0, 0, 0, 0, 0, 255, 0).good(); // DBD, changeable caching
        assertThat(noBd).hasSize(8 + 20);
        assertThat(noBd[10]).isZero(); // nothing changeable in the caching page
        f.run(0x1A, 0, 0xC8, 0, 255, 0).check(5, 0x39, 0);
        f.run(0x1A, 0, 0x19, 0, 255, 0).invalidCdb(2, 5);
        f.run(0x1A, 0, 0x08, 1, 255, 0).invalidCdb(3, -1);
    }

    @Test
    void modeSelectAcceptsCurrentAndRejectsChanges() {
        byte[] current = f.run(0x1A, 0x08, 0x08, 0, 255, 0).good();
        byte[] list = current.clone();
        list[0] = 0;
        f.runWithData(list, 0x15, 0x10, 0, 0, list.length, 0).good();
        byte[] changed = list.clone();
        changed[6] ^= 0x04; // WCE
        f.runWithData(changed, 0x15, 0x10, 0, 0, changed.length, 0).check(5, 0x26, 0);
        f.runWithData(list, 0x15, 0x00, 0, 0, list.length, 0).invalidCdb(1, 4);
        f.runWithData(list, 0x15, 0x11, 0, 0, list.length, 0).invalidCdb(1, 0);
        f.runWithData(new byte[2], 0x15, 0x10, 0, 0, 2, 0).check(5, 0x1A, 0);
    }

    @Test
    void softwareWriteProtectIsChangeableAndRefusesWrites() {
        byte[] mask = f.run(0x1A, 0x08, 0x4A, 0, 255, 0).good(); // DBD, changeable control page
        assertThat(mask[4 + 4]).isEqualTo((byte) 0x08); // only SWP
        byte[] control = f.run(0x1A, 0x08, 0x0A, 0, 255, 0).good();
        byte[] list = control.clone();
        list[0] = 0;
        list[4 + 4] |= 0x08;
        f.lu.nexusCreated(RecordingTask.OTHER);
        f.runWithData(list, 0x15, 0x10, 0, 0, list.length, 0).good();
        assertThat(f.lu.softwareWriteProtected()).isTrue();
        assertThat(f.run(0x1A, 0, 0x0A, 0, 255, 0).good()[2] & 0x80).isEqualTo(0x80); // WP
        assertThat(f.run(0x1A, 0x08, 0x0A, 0, 255, 0).good()[4 + 4] & 0x08).isEqualTo(0x08);
        f.runWithData(new byte[512], 0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0).check(7, 0x27, 0x02);
        f.runWithData(new byte[512], 0x41, 0, 0, 0, 0, 0, 0, 0, 1, 0).check(7, 0x27, 0x02);
        f.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0).good(); // reads still work
        assertThat(f.device.ops).containsExactly("read 0 512");
        // the other nexus learns that mode parameters changed (after its power-on UA)
        assertThat(f.lu.unitAttentionQueues().poll(RecordingTask.OTHER)).isEqualTo(0x2900);
        assertThat(f.lu.unitAttentionQueues().poll(RecordingTask.OTHER)).isEqualTo(0x2A01);
        byte[] clear = control.clone();
        clear[0] = 0;
        f.runWithData(clear, 0x15, 0x10, 0, 0, clear.length, 0).good();
        assertThat(f.lu.softwareWriteProtected()).isFalse();
        f.runWithData(new byte[512], 0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0).good();
    }

    @Test
    void everyTableEntryIsReportedWithItsUsageData() {
        byte[] all = f.run(0xA3, 0x0C, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0).good();
        int len = ByteBuffer.wrap(all).getInt(0);
        assertThat(len).isEqualTo(all.length - 4);
        assertThat(len / 8).isEqualTo(f.lu.commands().all().size());
        for (int i = 4; i < all.length; i += 8) {
            int op = all[i] & 0xff;
            boolean servact = (all[i + 5] & 1) != 0;
            int sa = ((all[i + 2] & 0xff) << 8) | (all[i + 3] & 0xff);
            CommandSpec spec = f.lu.commands().find(op, servact ? sa : -1);
            assertThat(spec).as("opcode %02x/%02x", op, sa).isNotNull();
            byte[] one = servact
                    ? f.run(0xA3, 0x0C, 0x02, op, 0, sa, 0, 0, 1, 0, 0, 0).good()
                    : f.run(0xA3, 0x0C, 0x01, op, 0, 0, 0, 0, 1, 0, 0, 0).good();
            assertThat(one[1] & 0x07).isEqualTo(3);
            int cdbLen = ((one[2] & 0xff) << 8) | (one[3] & 0xff);
            assertThat(cdbLen).isEqualTo(((all[i + 6] & 0xff) << 8) | (all[i + 7] & 0xff));
            assertThat(Arrays.copyOfRange(one, 4, 4 + cdbLen)).isEqualTo(spec.usage());
            // the dispatcher accepts a CDB that sets exactly the usage bits it reports... except where a
            // handler checks values; reserved bits beyond the usage data are always rejected
            int[] cdb = new int[cdbLen];
            cdb[0] = op;
            if (servact) {
                cdb[1] = sa;
            }
            for (int b = 1; b < cdbLen - 1; b++) {
                int reserved = ~spec.usage()[b] & 0xff;
                if (reserved != 0) {
                    int[] bad = cdb.clone();
                    bad[b] |= Integer.highestOneBit(reserved);
                    f.run(bad).invalidCdb(b, 31 - Integer.numberOfLeadingZeros(Integer.highestOneBit(reserved)));
                }
            }
        }
    }

    @Test
    void unsupportedCommandsAreReportedUnsupportedAndRejected() {
        byte[] one = f.run(0xA3, 0x0C, 0x01, 0xC5, 0, 0, 0, 0, 1, 0, 0, 0).good();
        assertThat(one[1] & 0x07).isEqualTo(1);
        f.run(0xC5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0).check(5, 0x20, 0);
        f.run(0xA3, 0x0C, 0x01, 0x9E, 0, 0, 0, 0, 1, 0, 0, 0).invalidCdb(2, -1); // has service actions
        f.run(0xA3, 0x0C, 0x02, 0x28, 0, 0, 0, 0, 1, 0, 0, 0).invalidCdb(2, -1);
        byte[] timeouts = f.run(0xA3, 0x0C, 0x81, 0x28, 0, 0, 0, 0, 1, 0, 0, 0).good();
        assertThat(timeouts[1] & 0x80).isEqualTo(0x80);
        assertThat(timeouts).hasSize(4 + 10 + 12);
    }

    @Test
    void reportTargetPortGroups() {
        byte[] d = f.run(0xA3, 0x0A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0).good();
        assertThat(ByteBuffer.wrap(d).getInt(0)).isEqualTo(d.length - 4);
        assertThat(d[4] & 0x0F).isZero(); // active/optimized
        assertThat(ByteBuffer.wrap(d).getShort(6)).isEqualTo((short) RecordingTask.NEXUS.relativeTargetPort());
        assertThat(d[11]).isEqualTo((byte) 1);
        assertThat(ByteBuffer.wrap(d).getShort(14)).isEqualTo((short) RecordingTask.NEXUS.relativeTargetPort());
        byte[] ext = f.run(0xA3, 0x2A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0).good();
        assertThat(ext[4]).isEqualTo((byte) 0x10);
        assertThat(ext).hasSize(d.length + 4);
        f.run(0xA3, 0x4A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0).invalidCdb(1, 7);
    }
}
