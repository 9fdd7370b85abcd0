package io.rbdgw.admin.api;

import java.util.List;

/** The current configuration epoch and, per gateway, what it has applied. */
public record EpochView(long epoch, List<GatewayEpoch> gateways) {
    /** @param upToDate alive and applied {@code epoch} or later */
    public record GatewayEpoch(String name, boolean alive, Long appliedEpoch, String health, boolean upToDate) {}
}
