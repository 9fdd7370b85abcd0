package io.rbdgw.admin.api;

import java.util.List;

/**
 * A gateway: as declared in the configuration, and as it reports itself.
 *
 * @param declared whether the configuration declares it (a gateway may run before it is declared)
 * @param alive whether its membership node exists (its ZooKeeper session is live)
 * @param appliedEpoch the configuration epoch it reports applied, null if it never reported
 * @param draining whether it is being drained (the coordinator moves its disks away and gives it none)
 * @param ownedDisks the disks it owns (serves as Active/Optimized)
 * @param drained draining and owning nothing: safe to stop
 */
public record GatewayView(
        String name,
        List<String> portals,
        Integer targetPortGroup,
        boolean declared,
        boolean alive,
        Long appliedEpoch,
        String health,
        String detail,
        String version,
        String radosAddress,
        boolean draining,
        List<String> ownedDisks,
        boolean drained) {}
