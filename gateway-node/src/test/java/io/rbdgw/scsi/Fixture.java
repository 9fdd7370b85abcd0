package io.rbdgw.scsi;

import static org.assertj.core.api.Assertions.assertThat;

/** A logical unit on a memory device with one logged-in nexus whose power-on UA is consumed. */
public final class Fixture {

    public final MemoryDevice device;
    public final PermitAll reservations = new PermitAll();
    public final LogicalUnit lu;

    public Fixture(MemoryDevice device) {
        this.device = device;
        this.lu = new LogicalUnit(0, device, ua -> reservations);
        lu.nexusCreated(RecordingTask.NEXUS);
        RecordingTask t = run(0x00, 0, 0, 0, 0, 0);
        t.check(6, 0x29, 0x00);
        assertThat(lu.unitAttentionQueues().pendingFor(RecordingTask.NEXUS)).isZero();
    }

    public static Fixture thin() {
        return new Fixture(MemoryDevice.thin(1024, 512));
    }

    public RecordingTask run(int... cdb) {
        RecordingTask t = RecordingTask.of(cdb);
        lu.execute(t);
        return t;
    }

    public RecordingTask runWithData(byte[] dataOut, int... cdb) {
        RecordingTask t = new RecordingTask(RecordingTask.NEXUS, 0, RecordingTask.bytes(cdb), dataOut);
        lu.execute(t);
        return t;
    }
}
