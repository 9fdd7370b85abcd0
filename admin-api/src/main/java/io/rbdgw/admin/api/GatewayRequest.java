package io.rbdgw.admin.api;

import java.util.List;

/**
 * A gateway to declare or change.
 *
 * @param portals "host", "host:port", "[v6]:port"
 * @param targetPortGroup its ALUA target port group id, 1-65535 (default: the lowest free one on create)
 */
public record GatewayRequest(String name, List<String> portals, Integer targetPortGroup) {}
