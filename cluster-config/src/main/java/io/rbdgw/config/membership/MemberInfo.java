package io.rbdgw.config.membership;

import io.rbdgw.config.model.Names;
import io.rbdgw.config.model.Portal;
import java.util.List;

/**
 * What a live gateway publishes in its ephemeral {@code members/<name>} node.
 *
 * @param radosAddress the gateway's RADOS client address (what the coordinator blocklists to fence it); null until known
 * @param version the gateway's software version
 * @param startedAtMillis when this gateway process started (wall clock)
 */
public record MemberInfo(String name, List<Portal> portals, String radosAddress, String version, long startedAtMillis) {
    public MemberInfo {
        Names.name("gateway name", name);
        portals = portals == null ? List.of() : List.copyOf(portals);
    }

    public MemberInfo withRadosAddress(String address) {
        return new MemberInfo(name, portals, address, version, startedAtMillis);
    }
}
