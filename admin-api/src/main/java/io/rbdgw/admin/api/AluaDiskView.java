package io.rbdgw.admin.api;

import java.util.List;

/**
 * A disk's ALUA picture: its owner as the coordinator recorded it and the state each gateway's target port
 * group reports for its LUNs.
 *
 * @param owner      the owning gateway; null until the coordinator has assigned one
 * @param epoch      the ownership epoch (increments on every move); null without an owner
 * @param ownerAlive whether the owner's ZooKeeper session is live (false while a lost owner is being fenced)
 * @param luns       the LUNs exporting the disk, as "target/lun"
 * @param ports      one per declared gateway
 */
public record AluaDiskView(
        String disk, String owner, Long epoch, boolean ownerAlive, List<String> luns, List<Port> ports) {

    /**
     * @param state ACTIVE_OPTIMIZED (the owner), ACTIVE_NON_OPTIMIZED (other live gateways) or UNAVAILABLE (gateways that
     *              are down: what the live gateways report for their port group)
     * @param appliedEpoch    the disk's ownership epoch this gateway reports it has applied (null if it reported none):
     *                        below {@code epoch} while the gateway is still applying a move
     * @param appliedAtMillis when it applied that ownership (wall clock)
     */
    public record Port(
            String gateway,
            int targetPortGroup,
            String state,
            boolean alive,
            boolean draining,
            Long appliedEpoch,
            Long appliedAtMillis) {}
}
