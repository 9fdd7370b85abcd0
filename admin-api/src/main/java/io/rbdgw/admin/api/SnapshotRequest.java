package io.rbdgw.admin.api;

public record SnapshotRequest(String name) {}
