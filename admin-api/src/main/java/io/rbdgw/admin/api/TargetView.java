package io.rbdgw.admin.api;

import java.util.List;
import java.util.Map;

public record TargetView(
        String iqn,
        String alias,
        boolean acl,
        AuthView auth,
        Map<String, String> parameters,
        List<LunView> luns,
        List<String> clients,
        List<String> hostGroups) {}
