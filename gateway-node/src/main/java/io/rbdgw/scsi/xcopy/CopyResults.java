package io.rbdgw.scsi.xcopy;

import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.SenseData;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The copy manager state of one logical unit: copies in progress and held copy statuses by I_T nexus
 * and list identifier (RECEIVE COPY RESULTS, COPY STATUS). List identifiers are per nexus (SPC-4
 * 6.4.3.2). Status is held for LIST ID USAGE 00b until the nexus goes away or the unit is reset.
 */
public final class CopyResults {

    /** COPY MANAGER STATUS values. */
    public static final int IN_PROGRESS = 0x00;

    public static final int COMPLETED = 0x01;
    public static final int FAILED = 0x02;

    /**
     * One copy's status.
     *
     * @param state     {@link #IN_PROGRESS}, {@link #COMPLETED} or {@link #FAILED}
     * @param segments  segments processed
     * @param bytes     bytes copied
     * @param hold      whether the status stays after completion
     * @param sequence  order of creation, to drop the oldest held status first
     */
    public record Status(int state, int segments, long bytes, boolean hold, long sequence) {}

    private final Map<ItNexus, Map<Integer, Status>> byNexus = new ConcurrentHashMap<>();
    private final AtomicInteger running = new AtomicInteger();
    private long sequence;

    /**
     * Registers a copy about to start. Unique list ids (usage 00b and 10b) must not belong to a copy
     * still in progress on the nexus: 05/00/16 OPERATION IN PROGRESS. Too many copies at once: BUSY.
     */
    public synchronized void begin(ItNexus nexus, CopyRequest r) {
        if (running.get() >= CopyLimits.MAX_CONCURRENT_COPIES) {
            throw new ScsiError(ScsiStatus.BUSY, null);
        }
        if (r.listIdUsage() != CopyRequest.NOT_UNIQUE) {
            Map<Integer, Status> m = byNexus.computeIfAbsent(nexus, n -> new ConcurrentHashMap<>());
            Status old = m.get(r.listId());
            if (old != null && old.state() == IN_PROGRESS) {
                throw ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x00, 0x16);
            }
            if (old == null && m.size() >= CopyLimits.MAX_HELD_PER_NEXUS) {
                dropOldestDone(m);
            }
            m.put(r.listId(), new Status(IN_PROGRESS, 0, 0, r.listIdUsage() == CopyRequest.HOLD, sequence++));
        }
        running.incrementAndGet();
    }

    /** The copy registered by {@link #begin} ended. */
    public void end(ItNexus nexus, CopyRequest r, boolean ok, int segments, long bytes) {
        running.decrementAndGet();
        if (r.listIdUsage() == CopyRequest.NOT_UNIQUE) {
            return;
        }
        Map<Integer, Status> m = byNexus.get(nexus);
        if (m == null) {
            return; // the nexus went away meanwhile
        }
        Status s = m.get(r.listId());
        if (s == null) {
            return;
        }
        if (s.hold()) {
            m.put(r.listId(), new Status(ok ? COMPLETED : FAILED, segments, bytes, true, s.sequence()));
        } else {
            m.remove(r.listId());
        }
    }

    /** The status of list id {@code listId} on {@code nexus}, or null when there is none. */
    public Status status(ItNexus nexus, int listId) {
        Map<Integer, Status> m = byNexus.get(nexus);
        return m == null ? null : m.get(listId);
    }

    /** The nexus is gone: its statuses go too. */
    public void nexusLost(ItNexus nexus) {
        byNexus.remove(nexus);
    }

    /** Logical unit reset: held statuses are discarded. */
    public void reset() {
        byNexus.clear();
    }

    private static void dropOldestDone(Map<Integer, Status> m) {
        Integer oldest = null;
        long seq = Long.MAX_VALUE;
        for (Map.Entry<Integer, Status> e : m.entrySet()) {
            if (e.getValue().state() != IN_PROGRESS && e.getValue().sequence() < seq) {
                seq = e.getValue().sequence();
                oldest = e.getKey();
            }
        }
        if (oldest != null) {
            m.remove(oldest);
        }
    }
}
