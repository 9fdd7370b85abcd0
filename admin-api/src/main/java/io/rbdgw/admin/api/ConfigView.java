package io.rbdgw.admin.api;

import java.util.List;
import java.util.Map;

/** The whole configuration of one epoch, without secrets. */
public record ConfigView(
        long epoch,
        List<TargetView> targets,
        List<DiskView> disks,
        List<GatewayView> gateways,
        List<ClientView> clients,
        List<HostGroupView> hostGroups,
        AuthView discoveryAuth,
        Map<String, String> settings) {}
