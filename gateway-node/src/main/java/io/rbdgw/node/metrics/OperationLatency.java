package io.rbdgw.node.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The gateway-wide latency histogram of SCSI commands by operation kind ({@code rbdgw_scsi_operation_latency_seconds
 * {kind}}), over every LUN: where percentiles come from. Per LUN only count, sum and maximum are kept
 * ({@link LunMeters}), which is what bounds the series to about eleven per LUN; a histogram per LUN would be ~100.
 * Fixed buckets from 100 µs to 30 s: the span from a cached read to a command a host is about to abort.
 */
public final class OperationLatency {
    static final int READ = 0;
    static final int WRITE = 1;
    static final int UNMAP = 2;
    static final int WRITE_SAME = 3;
    static final int COMPARE_AND_WRITE = 4;
    static final int XCOPY = 5;
    static final int OTHER = 6;
    static final String[] KINDS = {"read", "write", "unmap", "write_same", "compare_and_write", "xcopy", "other"};

    static final Duration[] BUCKETS = {
        Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
        Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30)
    };

    private final Timer[] timers = new Timer[KINDS.length];

    public OperationLatency(MeterRegistry registry) {
        for (int k = 0; k < KINDS.length; k++) {
            timers[k] = Timer.builder("rbdgw.scsi.operation.latency")
                    .description("time from a command reaching a LUN to its answer, over every LUN of the gateway; "
                            + "compare_and_write is the VMFS heartbeat")
                    .serviceLevelObjectives(BUCKETS)
                    .tags("kind", KINDS[k])
                    .register(registry);
        }
    }

    /** The operation kind of a CDB's operation code. */
    static int kind(int opcode) {
        return switch (opcode) {
            case 0x08, 0x28, 0xA8, 0x88 -> READ; // READ(6/10/12/16)
            case 0x0A, 0x2A, 0xAA, 0x8A, 0x2E, 0xAE, 0x8E, 0x9C -> WRITE; // WRITE, WRITE AND VERIFY, WRITE ATOMIC(16)
            case 0x42 -> UNMAP;
            case 0x41, 0x93 -> WRITE_SAME; // WRITE SAME(10/16)
            case 0x89 -> COMPARE_AND_WRITE;
            case 0x83 -> XCOPY; // EXTENDED COPY
            default -> OTHER;
        };
    }

    void record(int opcode, long nanos) {
        timers[kind(opcode)].record(nanos, TimeUnit.NANOSECONDS);
    }
}
