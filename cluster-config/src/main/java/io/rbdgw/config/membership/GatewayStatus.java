package io.rbdgw.config.membership;

import io.rbdgw.config.model.Names;
import java.util.List;

/**
 * What a gateway last reported in {@code status/<name>}: the configuration epoch it has applied, its health
 * and its iSCSI sessions. Persistent, so it survives the gateway (whether the gateway is alive is told by its
 * member node).
 *
 * <p>The document's size must not grow with the sessions (a znode holds at most 1 MiB, and thousands of
 * sessions once pushed it past that, so the gateway could no longer report anything): at most
 * {@link #MAX_LISTED_SESSIONS} sessions are listed, {@code sessionCount} tells how many there are.
 *
 * @param sessions     the sessions listed, at most {@link #MAX_LISTED_SESSIONS}
 * @param sessionCount all sessions of the gateway (at least {@code sessions.size()}; 0 from gateways that
 *                     did not write it means "as listed")
 */
public record GatewayStatus(
        String name,
        long appliedEpoch,
        Health health,
        String detail,
        long updatedAtMillis,
        List<Session> sessions,
        List<AluaApplied> alua,
        int sessionCount) {
    public enum Health {
        OK,
        DEGRADED,
        FAILED
    }

    /** Sessions listed at most: with names of at most 223 bytes, some 150 KiB of the 1 MiB a znode holds. */
    public static final int MAX_LISTED_SESSIONS = 256;

    /** A status listing {@code sessions} (the first {@link #MAX_LISTED_SESSIONS} of them) and counting them all. */
    public GatewayStatus(
            String name,
            long appliedEpoch,
            Health health,
            String detail,
            long updatedAtMillis,
            List<Session> sessions,
            List<AluaApplied> alua) {
        this(name, appliedEpoch, health, detail, updatedAtMillis, sessions, alua, 0);
    }

    /** Whether more sessions exist than are listed. */
    public boolean sessionsTruncated() {
        return sessionCount > sessions.size();
    }

    /**
     * A disk's ownership as this gateway applied it (its ALUA states follow it from then on).
     *
     * @param appliedAtMillis when the gateway applied this owner and epoch (wall clock)
     */
    public record AluaApplied(String disk, String owner, long epoch, long appliedAtMillis) {}

    /** A status with sessions and no ALUA report. */
    public GatewayStatus(
            String name,
            long appliedEpoch,
            Health health,
            String detail,
            long updatedAtMillis,
            List<Session> sessions) {
        this(name, appliedEpoch, health, detail, updatedAtMillis, sessions, List.of());
    }

    /**
     * One iSCSI session on the gateway.
     *
     * @param isid        the initiator's session id, 12 hex digits
     * @param connections "local-portal <- remote-address" per connection
     */
    public record Session(
            String target, String initiator, String isid, int tsih, List<String> connections, long loginAtMillis) {
        public Session {
            connections = connections == null ? List.of() : List.copyOf(connections);
        }
    }

    /** A status without sessions (what older gateways wrote). */
    public GatewayStatus(String name, long appliedEpoch, Health health, String detail, long updatedAtMillis) {
        this(name, appliedEpoch, health, detail, updatedAtMillis, List.of());
    }

    public GatewayStatus {
        Names.name("gateway name", name);
        if (appliedEpoch < 0) {
            throw new IllegalArgumentException("applied epoch must not be negative, was " + appliedEpoch);
        }
        if (health == null) {
            health = Health.OK;
        }
        sessions = sessions == null ? List.of() : sessions;
        sessionCount = Math.max(sessionCount, sessions.size());
        sessions = List.copyOf(
                sessions.size() > MAX_LISTED_SESSIONS ? sessions.subList(0, MAX_LISTED_SESSIONS) : sessions);
        alua = alua == null ? List.of() : List.copyOf(alua);
    }
}
