package io.rbdgw.node.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.rbdgw.scsi.LunStats;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.SenseData;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The meters of one exported LUN (tags target, lun, disk), bound once when the LUN is exported and removed with
 * it. {@link #completed} runs for every command on the event loops: it picks meters by array index (no tag
 * lookups, no allocation). Per LUN: latency count/sum/max of reads and of writes, count/sum of the other commands
 * (the count is the command count; a maximum of INQUIRY and TEST UNIT READY says nothing, and the series it would
 * cost per LUN keeps a 4096-LUN pair under 100,000), and bytes read/written: ten series; error counters appear on
 * their first occurrence. Percentiles come from the gateway-wide histogram ({@link OperationLatency}), which
 * splits the kinds further.
 */
public final class LunMeters implements LunStats, AutoCloseable {
    static final int READ = 0;
    static final int WRITE = 1;
    static final int OTHER = 2;
    private static final String[] KINDS = {"read", "write", "other"};
    private static final int BUSY = 0;
    private static final int RESERVATION_CONFLICT = 1;
    private static final int TASK_SET_FULL = 2;
    private static final int ABORTED = 3;
    private static final String[] OUTCOMES = {"busy", "reservation_conflict", "task_set_full", "aborted"};

    private final MeterRegistry registry;
    private final Tags tags;
    private final OperationLatency operations;
    private final Counter[] bytes = new Counter[2];
    private final Timer[] latency = new Timer[2];
    private final LongAdder otherCount = new LongAdder();
    private final LongAdder otherNanos = new LongAdder();
    private final AtomicReferenceArray<Counter> outcomes = new AtomicReferenceArray<>(OUTCOMES.length);
    private final AtomicReferenceArray<Counter> checkConditions = new AtomicReferenceArray<>(16);
    private final List<Meter> meters = new ArrayList<>();

    public LunMeters(MeterRegistry registry, OperationLatency operations, String target, int lun, String disk) {
        this.registry = registry;
        this.operations = operations;
        this.tags = Tags.of("target", target, "lun", Integer.toString(lun), "disk", disk);
        for (int k = 0; k < 2; k++) {
            latency[k] = keep(Timer.builder("rbdgw.scsi.latency")
                    .description("commands of the LUN (count) and the time from reaching it to their answer")
                    .tags(tags.and("kind", KINDS[k]))
                    .register(registry));
        }
        keep(FunctionTimer.builder(
                        "rbdgw.scsi.latency",
                        this,
                        m -> m.otherCount.sum(),
                        m -> m.otherNanos.sum(),
                        TimeUnit.NANOSECONDS)
                .description("commands of the LUN (count) and the time from reaching it to their answer")
                .tags(tags.and("kind", KINDS[OTHER]))
                .register(registry));
        bytes[READ] = keep(Counter.builder("rbdgw.scsi.bytes")
                .baseUnit("bytes")
                .description("data moved")
                .tags(tags.and("kind", "read"))
                .register(registry));
        bytes[WRITE] = keep(Counter.builder("rbdgw.scsi.bytes")
                .baseUnit("bytes")
                .description("data moved")
                .tags(tags.and("kind", "write"))
                .register(registry));
    }

    private Counter error(String outcome, String senseKey) {
        return keep(Counter.builder("rbdgw.scsi.errors")
                .description("commands that did not succeed, by outcome")
                .tags(tags.and("outcome", outcome, "sense_key", senseKey))
                .register(registry));
    }

    private synchronized <M extends Meter> M keep(M m) {
        meters.add(m);
        return m;
    }

    /** Read, write (anything that writes the medium with data from the host) or other, by operation code. */
    static int kind(int opcode) {
        return switch (OperationLatency.kind(opcode)) {
            case OperationLatency.READ -> READ;
            case OperationLatency.WRITE, OperationLatency.WRITE_SAME, OperationLatency.COMPARE_AND_WRITE -> WRITE;
            default -> OTHER;
        };
    }

    static String senseKeyName(int key) {
        return switch (key) {
            case SenseData.NO_SENSE -> "no_sense";
            case SenseData.RECOVERED_ERROR -> "recovered_error";
            case SenseData.NOT_READY -> "not_ready";
            case SenseData.MEDIUM_ERROR -> "medium_error";
            case SenseData.HARDWARE_ERROR -> "hardware_error";
            case SenseData.ILLEGAL_REQUEST -> "illegal_request";
            case SenseData.UNIT_ATTENTION -> "unit_attention";
            case SenseData.DATA_PROTECT -> "data_protect";
            case SenseData.ABORTED_COMMAND -> "aborted_command";
            case SenseData.MISCOMPARE -> "miscompare";
            default -> String.format("0x%x", key);
        };
    }

    @Override
    public void completed(int opcode, int status, byte[] sense, long moved, long nanos) {
        int k = kind(opcode);
        if (k == OTHER) {
            otherCount.increment();
            otherNanos.add(nanos);
        } else {
            latency[k].record(nanos, TimeUnit.NANOSECONDS);
        }
        operations.record(opcode, nanos);
        if (status == ScsiStatus.GOOD) {
            if (k != OTHER && moved > 0) {
                bytes[k].increment(moved);
            }
            return;
        }
        switch (status) {
            case ScsiStatus.CHECK_CONDITION -> {
                int key = sense != null && sense.length > 2 ? sense[2] & 0x0f : SenseData.NO_SENSE;
                Counter c = checkConditions.get(key);
                if (c == null) {
                    c = error("check_condition", senseKeyName(key)); // once per sense key and LUN
                    checkConditions.set(key, c);
                }
                c.increment();
            }
            case ScsiStatus.BUSY -> outcome(BUSY);
            case ScsiStatus.RESERVATION_CONFLICT -> outcome(RESERVATION_CONFLICT);
            case ScsiStatus.TASK_SET_FULL -> outcome(TASK_SET_FULL);
            case ScsiStatus.TASK_ABORTED -> outcome(ABORTED);
            default -> {
                // CONDITION MET and others: not errors
            }
        }
    }

    /** Counts an outcome, registering its counter the first time it happens on this LUN. */
    private void outcome(int which) {
        Counter c = outcomes.get(which);
        if (c == null) {
            c = error(OUTCOMES[which], "none");
            outcomes.set(which, c);
        }
        c.increment();
    }

    @Override
    public void aborted(int opcode) {
        outcome(ABORTED);
    }

    /** Removes this LUN's meters (the LUN is no longer exported). */
    @Override
    public synchronized void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }
}
