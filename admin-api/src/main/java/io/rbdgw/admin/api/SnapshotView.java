package io.rbdgw.admin.api;

public record SnapshotView(String name, long size) {}
