package io.rbdgw.admin.api;

public record SettingRequest(String value) {}
