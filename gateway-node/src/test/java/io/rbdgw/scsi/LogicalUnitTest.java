package io.rbdgw.scsi;

import static io.rbdgw.scsi.RecordingTask.NEXUS;
import static io.rbdgw.scsi.RecordingTask.OTHER;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogicalUnitTest {

    private final Fixture f = Fixture.thin();

    @Test
    void powerOnUnitAttentionIsDeliveredOncePerNexus() {
        f.run(0x00, 0, 0, 0, 0, 0).good();
        f.lu.nexusCreated(NEXUS); // a second announcement of the same nexus posts nothing
        f.run(0x00, 0, 0, 0, 0, 0).good();
    }

    @Test
    void inquiryAndReportLunsDoNotConsumeUnitAttention() {
        f.lu.capacityChanged();
        f.run(0x12, 0, 0, 0, 36, 0).good();
        f.run(0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0).good();
        f.run(0x00, 0, 0, 0, 0, 0).check(6, 0x2A, 0x09);
        f.run(0x00, 0, 0, 0, 0, 0).good();
    }

    @Test
    void requestSenseReturnsAndClearsUnitAttention() {
        f.lu.reset(OTHER);
        byte[] sense = f.run(0x03, 0, 0, 0, 18, 0).good();
        assertThat(sense[0] & 0x7f).isEqualTo(0x70);
        assertThat(SenseData.senseKey(sense)).isEqualTo(6);
        assertThat(SenseData.asc(sense)).isEqualTo(0x29);
        assertThat(SenseData.ascq(sense)).isEqualTo(0x03);
        byte[] none = f.run(0x03, 0, 0, 0, 18, 0).good();
        assertThat(SenseData.senseKey(none)).isZero();
        assertThat(SenseData.asc(none)).isZero();
        assertThat(f.reservations.resets).isEqualTo(1);
    }

    @Test
    void requestSenseDescriptorFormat() {
        f.lu.capacityChanged();
        byte[] d = f.run(0x03, 1, 0, 0, 252, 0).good();
        assertThat(d).hasSize(8);
        assertThat(d[0]).isEqualTo((byte) 0x72);
        assertThat(new int[] {d[1], d[2], d[3]}).containsExactly(6, 0x2A, 0x09);
    }

    @Test
    void resetReachesEveryNexusIncludingTheOneThatAskedForIt() {
        f.lu.nexusCreated(OTHER);
        f.lu.reset(NEXUS);
        f.run(0x00, 0, 0, 0, 0, 0).check(6, 0x29, 0x03);
        f.run(0x00, 0, 0, 0, 0, 0).good();
        assertThat(f.lu.unitAttentionQueues().pendingFor(OTHER)).isEqualTo(2); // 29/00 then 29/03
        RecordingTask t = new RecordingTask(OTHER, 0, RecordingTask.bytes(0x00, 0, 0, 0, 0, 0), null);
        f.lu.execute(t);
        t.check(6, 0x29, 0x00);
        t = new RecordingTask(OTHER, 0, RecordingTask.bytes(0x00, 0, 0, 0, 0, 0), null);
        f.lu.execute(t);
        t.check(6, 0x29, 0x03);
    }

    @Test
    void unitAttentionQueueIsBoundedAndDeduplicated() {
        NexusUnitAttentions q = f.lu.unitAttentionQueues();
        for (int i = 0; i < 20; i++) {
            q.post(NEXUS, 0x2A, i);
        }
        q.post(NEXUS, 0x2A, 0);
        assertThat(q.pendingFor(NEXUS)).isEqualTo(NexusUnitAttentions.CAPACITY);
        assertThat(q.poll(NEXUS)).isEqualTo(0x2A00);
        f.lu.nexusLost(NEXUS);
        assertThat(q.poll(NEXUS)).isEqualTo(-1);
        assertThat(f.reservations.lost).isEqualTo(1);
    }

    @Test
    void unsupportedOpcodeAndServiceAction() {
        f.run(0xC0, 0, 0, 0, 0, 0).check(5, 0x20, 0x00);
        f.run(0x9E, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0).invalidCdb(1, 4);
    }

    @Test
    void reservedBitsAndNacaAreRejectedWithFieldPointer() {
        f.run(0x00, 0, 0, 0x01, 0, 0).invalidCdb(3, 0);
        f.run(0x00, 0, 0, 0, 0, 0x04).invalidCdb(5, 2);
        f.run(0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0).invalidCdb(1, 5); // RDPROTECT
    }

    @Test
    void reservationConflictHasNoSense() {
        f.reservations.permit = false;
        RecordingTask t = f.run(0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0);
        assertThat(t.status).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(t.sense).isNull();
        assertThat(t.completions).isEqualTo(1);
    }

    @Test
    void reserveAndReleaseAreDelegated() {
        f.run(0x16, 0, 0, 0, 0, 0).good();
        f.run(0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0).good();
        f.run(0x5E, 0, 0, 0, 0, 0, 0, 0, 8, 0).check(5, 0x20, 0);
    }

    @Test
    void simpleCommands() {
        f.run(0x1B, 0, 0, 0, 0x01, 0).good();
        f.run(0x1B, 0, 0, 0, 0x30, 0).invalidCdb(4, 7);
        f.run(0x1E, 0, 0, 0, 0x01, 0).good();
        f.run(0x1E, 0, 0, 0, 0x02, 0).invalidCdb(4, 1);
        byte[] log = f.run(0x4D, 0, 0x40, 0, 0, 0, 0, 0, 64, 0).good();
        assertThat(log).containsExactly(0, 0, 0, 1, 0);
        f.run(0x4D, 0, 0x4D, 0, 0, 0, 0, 0, 64, 0).invalidCdb(2, 5);
    }
}
