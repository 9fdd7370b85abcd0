package io.rbdgw.admin.api;

import java.util.List;

/**
 * Whether a gateway is draining and how far it got.
 *
 * @param ownedDisks the disks it still owns (Active/Optimized on it)
 * @param complete   draining and owning nothing: it can be stopped without a failover
 */
public record DrainView(String gateway, boolean draining, boolean alive, List<String> ownedDisks, boolean complete) {}
