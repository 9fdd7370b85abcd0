package io.rbdgw.admin.api;

public record SettingView(String key, String value, String defaultValue, boolean overridden) {}
