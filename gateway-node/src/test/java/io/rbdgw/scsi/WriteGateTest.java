package io.rbdgw.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.scsi.pr.InMemoryReservationStore;
import io.rbdgw.scsi.pr.LocalReservations;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The write gate on a logical unit over a memory disk: writes only under the token, counted until done. */
class WriteGateTest {

    private final ItNexus nexus =
            new ItNexus("iqn.1993-08.org.debian:h", 0x23d000000001L, "iqn.2003-01.io.rbdgw:t", 1, 1);
    private final AtomicInteger wanted = new AtomicInteger();

    private LogicalUnit lu(WriteGate gate) {
        LogicalUnit lu = new LogicalUnit(
                0,
                new MemoryBlockDevice(1 << 20, 512, "memory:gate"),
                ua -> new LocalReservations(ua, new InMemoryReservationStore()));
        lu.writeGate(gate);
        lu.nexusCreated(nexus);
        RecordingTask t = new RecordingTask(nexus, 0, RecordingTask.bytes(0x00, 0, 0, 0, 0, 0), null);
        lu.execute(t); // the power-on unit attention
        return lu;
    }

    private RecordingTask write(LogicalUnit lu) {
        RecordingTask t =
                new RecordingTask(nexus, 0, RecordingTask.bytes(0x2A, 0, 0, 0, 0, 8, 0, 0, 1, 0), new byte[512]);
        lu.execute(t);
        return t;
    }

    private RecordingTask read(LogicalUnit lu) {
        RecordingTask t = new RecordingTask(nexus, 0, RecordingTask.bytes(0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0), null);
        lu.execute(t);
        return t;
    }

    @Test
    void writesWaitForTheTokenReadsDoNot() {
        WriteGate gate = new WriteGate("rbd/x", wanted::incrementAndGet, 16, Duration.ofSeconds(5));
        LogicalUnit lu = lu(gate);
        read(lu).good();
        RecordingTask w = write(lu);
        assertThat(w.completions > 0).as("waits for the token").isFalse();
        assertThat(wanted.get()).isPositive();
        gate.grant();
        await().atMost(Duration.ofSeconds(5)).until(() -> w.completions > 0);
        w.good();
        assertThat(gate.inflight()).isZero();
    }

    @Test
    void aWriteThatWaitsTooLongEndsWithARetryableTransitionNeverLogicalUnitNotSupported() {
        WriteGate gate = new WriteGate("rbd/x", wanted::incrementAndGet, 1, Duration.ofMillis(200));
        LogicalUnit lu = lu(gate);
        RecordingTask first = write(lu);
        write(lu).check(2, 0x04, 0x0A); // beyond the bound: at once
        await().atMost(Duration.ofSeconds(5)).until(() -> first.completions > 0);
        first.check(2, 0x04, 0x0A); // after the wait
    }

    @Test
    void revokingWaitsForTheWritesAdmittedBefore() {
        WriteGate gate = new WriteGate("rbd/x", wanted::incrementAndGet, 16, Duration.ofSeconds(5));
        gate.grant();
        assertThat(gate.enter()).isTrue(); // a write inside the backend
        gate.revoke();
        AtomicInteger idle = new AtomicInteger();
        gate.whenIdle(idle::incrementAndGet);
        assertThat(idle.get()).isZero();
        assertThat(gate.enter()).as("no new write once revoked").isFalse();
        gate.exit();
        assertThat(idle.get()).isEqualTo(1);
    }

    @Test
    void aWriteWithAnUnknownOutcomeKeepsTheGateFromEverReportingIdle() {
        WriteGate gate = new WriteGate("rbd/x", wanted::incrementAndGet, 16, Duration.ofSeconds(5));
        gate.grant();
        assertThat(gate.enter()).isTrue();
        RecordingTask t = new RecordingTask(nexus, 0, RecordingTask.bytes(0x2A, 0, 0, 0, 0, 8, 0, 0, 1, 0), null);
        gate.track(t).complete(ScsiStatus.BUSY, null, null, -1); // librados timed it out: it may still land
        gate.revoke();
        AtomicInteger idle = new AtomicInteger();
        gate.whenIdle(idle::incrementAndGet);
        assertThat(idle.get()).as("only a fence may take the token now").isZero();
        assertThat(gate.unsettled()).isTrue();
    }
}
