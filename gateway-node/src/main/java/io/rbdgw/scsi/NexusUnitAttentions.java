package io.rbdgw.scsi;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Unit attention queues of one logical unit, one bounded queue per known I_T nexus.
 *
 * <p>The I/O path calls {@link #poll} on every command: while nothing is pending anywhere it costs one
 * volatile read ({@link #pending}); only then does it look up the nexus and lock that nexus's queue.
 * Conditions for unknown nexuses are dropped (a nexus is known from {@link #nexusCreated} to
 * {@link #nexusLost}). A queue keeps at most {@value #CAPACITY} conditions and never the same one
 * twice; when full, further conditions are dropped (SAM-5 5.14 lets a device server lose conditions
 * that do not fit, the oldest ones are the ones the initiator needs first).
 */
public final class NexusUnitAttentions implements UnitAttentions {

    static final int CAPACITY = 8;

    private final ConcurrentHashMap<ItNexus, Queue> queues = new ConcurrentHashMap<>();
    private final AtomicInteger pending = new AtomicInteger();

    /** The nexus exists now; posts 29/00 POWER ON, RESET, OR BUS DEVICE RESET OCCURRED once for it. */
    public void nexusCreated(ItNexus nexus) {
        Queue q = new Queue();
        if (queues.putIfAbsent(nexus, q) == null) {
            post(nexus, 0x29, 0x00);
        }
    }

    /** The nexus is gone with its pending conditions. */
    public void nexusLost(ItNexus nexus) {
        Queue q = queues.remove(nexus);
        if (q != null) {
            pending.addAndGet(-q.clear());
        }
    }

    /** Whether the nexus is known. */
    public boolean knows(ItNexus nexus) {
        return queues.containsKey(nexus);
    }

    @Override
    public void post(ItNexus nexus, int asc, int ascq) {
        Queue q = queues.get(nexus);
        if (q != null && q.offer(code(asc, ascq))) {
            pending.incrementAndGet();
        }
    }

    @Override
    public void postAllExcept(ItNexus except, int asc, int ascq) {
        int code = code(asc, ascq);
        queues.forEach((n, q) -> {
            if (!n.equals(except) && q.offer(code)) {
                pending.incrementAndGet();
            }
        });
    }

    /**
     * Removes and returns the oldest condition for {@code nexus} as {@code asc << 8 | ascq}, or -1 when
     * none is pending.
     */
    public int poll(ItNexus nexus) {
        if (pending.get() == 0) {
            return -1;
        }
        Queue q = queues.get(nexus);
        if (q == null) {
            return -1;
        }
        int code = q.poll();
        if (code >= 0) {
            pending.decrementAndGet();
        }
        return code;
    }

    /** Number of conditions pending for {@code nexus} (tests, diagnostics). */
    public int pendingFor(ItNexus nexus) {
        Queue q = queues.get(nexus);
        return q == null ? 0 : q.size();
    }

    private static int code(int asc, int ascq) {
        return (asc & 0xff) << 8 | (ascq & 0xff);
    }

    /** A tiny ring of condition codes; contention is per nexus only, so a monitor is fine. */
    private static final class Queue {
        private final int[] codes = new int[CAPACITY];
        private int head;
        private int size;

        synchronized boolean offer(int code) {
            if (size == CAPACITY) {
                return false;
            }
            for (int i = 0; i < size; i++) {
                if (codes[(head + i) % CAPACITY] == code) {
                    return false;
                }
            }
            codes[(head + size) % CAPACITY] = code;
            size++;
            return true;
        }

        synchronized int poll() {
            if (size == 0) {
                return -1;
            }
            int code = codes[head];
            head = (head + 1) % CAPACITY;
            size--;
            return code;
        }

        synchronized int clear() {
            int n = size;
            size = 0;
            return n;
        }

        synchronized int size() {
            return size;
        }
    }
}
