package io.rbdgw.node.metrics;

import io.micrometer.core.instrument.Counter;
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

/**
 * The meters of one exported LUN (tags target, lun, disk), bound once when the LUN is exported and removed with
 * it. {@link #completed} runs for every command on the event loops: it picks meters by array index (no tag
 * lookups, no allocation); error counters for a sense key are registered on its first occurrence.
 */
public final class LunMeters implements LunStats, AutoCloseable {
    static final int READ = 0;
    static final int WRITE = 1;
    static final int OTHER = 2;
    private static final String[] KINDS = {"read", "write", "other"};

    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter[] commands = new Counter[3];
    private final Counter[] bytes = new Counter[2];
    private final Timer[] latency = new Timer[3];
    private final Counter busy;
    private final Counter reservationConflict;
    private final Counter taskSetFull;
    private final Counter aborted;
    private final AtomicReferenceArray<Counter> checkConditions = new AtomicReferenceArray<>(16);
    private final List<Meter> meters = new ArrayList<>();

    public LunMeters(MeterRegistry registry, String target, int lun, String disk) {
        this.registry = registry;
        this.tags = Tags.of("target", target, "lun", Integer.toString(lun), "disk", disk);
        for (int k = 0; k < 3; k++) {
            Tags t = tags.and("kind", KINDS[k]);
            commands[k] = keep(Counter.builder("rbdgw.scsi.commands").description("SCSI commands completed")
                    .tags(t).register(registry));
            latency[k] = keep(Timer.builder("rbdgw.scsi.latency")
                    .description("time from the command reaching the LUN to its answer")
                    .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofNanos(10_000))
                    .maximumExpectedValue(java.time.Duration.ofSeconds(60)).tags(t).register(registry));
        }
        bytes[READ] = keep(Counter.builder("rbdgw.scsi.bytes").baseUnit("bytes").description("data moved")
                .tags(tags.and("kind", "read")).register(registry));
        bytes[WRITE] = keep(Counter.builder("rbdgw.scsi.bytes").baseUnit("bytes").description("data moved")
                .tags(tags.and("kind", "write")).register(registry));
        busy = error("busy", "none");
        reservationConflict = error("reservation_conflict", "none");
        taskSetFull = error("task_set_full", "none");
        aborted = error("aborted", "none");
    }

    private Counter error(String outcome, String senseKey) {
        return keep(Counter.builder("rbdgw.scsi.errors").description("commands that did not succeed, by outcome")
                .tags(tags.and("outcome", outcome, "sense_key", senseKey)).register(registry));
    }

    private synchronized <M extends Meter> M keep(M m) {
        meters.add(m);
        return m;
    }

    /** Read, write or other, by operation code. */
    static int kind(int opcode) {
        switch (opcode) {
            case 0x08, 0x28, 0xA8, 0x88:              // READ(6/10/12/16)
                return READ;
            case 0x0A, 0x2A, 0xAA, 0x8A,              // WRITE(6/10/12/16)
                 0x2E, 0xAE, 0x8E,                    // WRITE AND VERIFY
                 0x41, 0x93,                          // WRITE SAME(10/16)
                 0x89, 0x9C:                          // COMPARE AND WRITE, WRITE ATOMIC(16)
                return WRITE;
            default:
                return OTHER;
        }
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
        commands[k].increment();
        latency[k].record(nanos, TimeUnit.NANOSECONDS);
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
            case ScsiStatus.BUSY -> busy.increment();
            case ScsiStatus.RESERVATION_CONFLICT -> reservationConflict.increment();
            case ScsiStatus.TASK_SET_FULL -> taskSetFull.increment();
            case ScsiStatus.TASK_ABORTED -> aborted.increment();
            default -> {
                // CONDITION MET and others: not errors
            }
        }
    }

    @Override
    public void aborted(int opcode) {
        aborted.increment();
    }

    /** Removes this LUN's meters (the LUN is no longer exported). */
    @Override
    public synchronized void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }
}
