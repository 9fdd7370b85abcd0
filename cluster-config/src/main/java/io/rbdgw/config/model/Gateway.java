package io.rbdgw.config.model;

import java.util.HashSet;
import java.util.List;

/**
 * A gateway of the cluster as the administrator declares it: its portals and its target port group (every gateway
 * is one target port group of every target; the id also serves as the TargetPortalGroupTag).
 */
public record Gateway(String name, List<Portal> portals, int targetPortGroup) {
    public Gateway {
        Names.name("gateway name", name);
        if (portals == null || portals.isEmpty()) {
            throw new IllegalArgumentException("gateway " + name + " needs at least one portal");
        }
        portals = List.copyOf(portals);
        if (new HashSet<>(portals).size() != portals.size()) {
            throw new IllegalArgumentException("gateway " + name + " lists a portal twice: " + portals);
        }
        if (targetPortGroup < 1 || targetPortGroup > 65535) {
            throw new IllegalArgumentException(
                    "gateway " + name + ": target port group " + targetPortGroup + " is out of range 1-65535");
        }
    }
}
