package io.rbdgw.admin.api;

import java.util.List;

public record HostGroupView(String target, String name, List<String> members, List<String> disks) {}
