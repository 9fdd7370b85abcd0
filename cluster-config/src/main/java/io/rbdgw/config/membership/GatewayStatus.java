package io.rbdgw.config.membership;

import io.rbdgw.config.model.Names;

/**
 * What a gateway last reported in {@code status/<name>}: the configuration epoch it has applied and its health.
 * Persistent, so it survives the gateway (whether the gateway is alive is told by its member node).
 */
public record GatewayStatus(String name, long appliedEpoch, Health health, String detail, long updatedAtMillis) {
    public enum Health { OK, DEGRADED, FAILED }

    public GatewayStatus {
        Names.name("gateway name", name);
        if (appliedEpoch < 0) {
            throw new IllegalArgumentException("applied epoch must not be negative, was " + appliedEpoch);
        }
        if (health == null) {
            health = Health.OK;
        }
    }
}
