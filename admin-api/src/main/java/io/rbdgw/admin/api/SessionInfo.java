package io.rbdgw.admin.api;

import java.util.List;

/**
 * One iSCSI session as a gateway publishes it. Contract for gateways: the JSON document in
 * {@code /<root>/status/<gateway>} may carry {@code "sessions": [ {target, initiator, isid, tsih, connections,
 * loginAtMillis}, ... ]} (connections: "local-portal <- remote-address" strings). The API fills {@code gateway}.
 */
public record SessionInfo(
        String gateway,
        String target,
        String initiator,
        String isid,
        Integer tsih,
        List<String> connections,
        Long loginAtMillis) {
    public SessionInfo withGateway(String name) {
        return new SessionInfo(name, target, initiator, isid, tsih, connections, loginAtMillis);
    }
}
