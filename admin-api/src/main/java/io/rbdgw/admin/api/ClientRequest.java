package io.rbdgw.admin.api;

import java.util.List;

/**
 * A client (ACL entry) to create, or the fields to change (absent fields keep their value).
 *
 * @param allLuns whether it sees every LUN of the target, whatever its host group (default false: it sees its
 *                {@code luns} and its host group's disks)
 * @param luns the LUN numbers it sees (besides those of its host group)
 * @param auth its CHAP settings; absent for none
 */
public record ClientRequest(String initiator, Boolean allLuns, List<Integer> luns, AuthRequest auth) {}
