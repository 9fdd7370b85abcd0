package io.rbdgw.admin.api;

public record LunView(String target, int lun, String disk) {}
