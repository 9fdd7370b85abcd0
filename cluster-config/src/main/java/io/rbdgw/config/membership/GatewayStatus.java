package io.rbdgw.config.membership;

import java.util.List;

import io.rbdgw.config.model.Names;

/**
 * What a gateway last reported in {@code status/<name>}: the configuration epoch it has applied, its health
 * and its iSCSI sessions. Persistent, so it survives the gateway (whether the gateway is alive is told by its
 * member node).
 */
public record GatewayStatus(String name, long appliedEpoch, Health health, String detail, long updatedAtMillis,
                            List<Session> sessions, List<AluaApplied> alua) {
    public enum Health { OK, DEGRADED, FAILED }

    /**
     * A disk's ownership as this gateway applied it (its ALUA states follow it from then on).
     *
     * @param appliedAtMillis when the gateway applied this owner and epoch (wall clock)
     */
    public record AluaApplied(String disk, String owner, long epoch, long appliedAtMillis) {
    }

    /** A status with sessions and no ALUA report. */
    public GatewayStatus(String name, long appliedEpoch, Health health, String detail, long updatedAtMillis,
                         List<Session> sessions) {
        this(name, appliedEpoch, health, detail, updatedAtMillis, sessions, List.of());
    }

    /**
     * One iSCSI session on the gateway.
     *
     * @param isid        the initiator's session id, 12 hex digits
     * @param connections "local-portal <- remote-address" per connection
     */
    public record Session(String target, String initiator, String isid, int tsih, List<String> connections,
                          long loginAtMillis) {
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
        sessions = sessions == null ? List.of() : List.copyOf(sessions);
        alua = alua == null ? List.of() : List.copyOf(alua);
    }
}
