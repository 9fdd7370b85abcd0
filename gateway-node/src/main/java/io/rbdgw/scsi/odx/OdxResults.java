package io.rbdgw.scsi.odx;

import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.SenseData;
import java.util.HashMap;
import java.util.Map;

/**
 * What RECEIVE ROD TOKEN INFORMATION reports, per I_T nexus and LIST IDENTIFIER, of one logical unit's POPULATE
 * TOKEN and WRITE USING TOKEN commands: held until the nexus goes away or the unit is reset, at most
 * {@link #MAX_HELD_PER_NEXUS} per nexus (the oldest finished ones are dropped first).
 */
public final class OdxResults {

    /** COPY OPERATION STATUS values (SPC-4 RECEIVE COPY STATUS). */
    public static final int COMPLETED = 0x01;

    public static final int FAILED = 0x02;
    public static final int COMPLETED_PARTIAL = 0x03;
    public static final int IN_PROGRESS = 0x10;

    static final int MAX_HELD_PER_NEXUS = 64;
    static final int MAX_RUNNING = 64;

    /**
     * One command's result.
     *
     * @param serviceAction 0x10 POPULATE TOKEN or 0x11 WRITE USING TOKEN
     * @param state         {@link #COMPLETED}, {@link #FAILED}, {@link #COMPLETED_PARTIAL} or {@link #IN_PROGRESS}
     * @param status        the command's SCSI status once finished
     * @param sense         its sense data when it failed, else null
     * @param blocks        logical blocks transferred (represented by the token, for POPULATE TOKEN)
     * @param token         the created token (POPULATE TOKEN completed), else null
     * @param sequence      order of creation
     */
    public record Result(
            int serviceAction, int state, int status, byte[] sense, long blocks, byte[] token, long sequence) {}

    private final Map<ItNexus, Map<Long, Result>> byNexus = new HashMap<>();
    private int running;
    private long sequence;

    /** A command is about to run: 05/00/16 if its list id is still running on the nexus; BUSY if too many run. */
    public synchronized void begin(ItNexus nexus, long listId, int serviceAction) {
        if (running >= MAX_RUNNING) {
            throw new ScsiError(ScsiStatus.BUSY, null);
        }
        Map<Long, Result> m = byNexus.computeIfAbsent(nexus, n -> new HashMap<>());
        Result old = m.get(listId);
        if (old != null && old.state() == IN_PROGRESS) {
            throw ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x00, 0x16);
        }
        if (old == null && m.size() >= MAX_HELD_PER_NEXUS) {
            dropOldestDone(m);
        }
        m.put(listId, new Result(serviceAction, IN_PROGRESS, ScsiStatus.GOOD, null, 0, null, sequence++));
        running++;
    }

    /** The command registered by {@link #begin} ended. */
    public synchronized void end(
            ItNexus nexus, long listId, int state, int status, byte[] sense, long blocks, byte[] token) {
        running--;
        Map<Long, Result> m = byNexus.get(nexus);
        Result r = m == null ? null : m.get(listId);
        if (r == null) {
            return; // the nexus went away or the unit was reset meanwhile
        }
        m.put(listId, new Result(r.serviceAction(), state, status, sense, blocks, token, r.sequence()));
    }

    public synchronized Result result(ItNexus nexus, long listId) {
        Map<Long, Result> m = byNexus.get(nexus);
        return m == null ? null : m.get(listId);
    }

    public synchronized void nexusLost(ItNexus nexus) {
        byNexus.remove(nexus);
    }

    public synchronized void reset() {
        byNexus.clear();
    }

    private static void dropOldestDone(Map<Long, Result> m) {
        Long oldest = null;
        long seq = Long.MAX_VALUE;
        for (Map.Entry<Long, Result> e : m.entrySet()) {
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
