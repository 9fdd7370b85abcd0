package io.rbdgw.admin.api;

import java.util.List;

/** A host group to create or replace: member initiators (clients of the target) and disks (pool/image, LUNs of the target). */
public record HostGroupRequest(String name, List<String> members, List<String> disks) {}
