package io.rbdgw.admin.api;

import java.util.List;

public record DiskView(
        String id,
        String pool,
        String image,
        long size,
        String backstore,
        String path,
        String wwnSeed,
        List<LunView> luns) {}
