package io.rbdgw.config.model;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Cluster-wide settings: only the overridden values are stored; everything else is the {@link Setting} default. */
public record Settings(SortedMap<String, String> values) {
    public static final Settings DEFAULTS = new Settings(null);

    public Settings {
        values = canonical(values);
    }

    /** Validates keys and values and returns an unmodifiable map keyed by the canonical key names. */
    static SortedMap<String, String> canonical(Map<String, String> raw) {
        TreeMap<String, String> out = new TreeMap<>();
        if (raw != null) {
            raw.forEach((k, v) -> {
                Setting s = Setting.of(k);
                if (out.put(s.key(), s.validate(v)) != null) {
                    throw new IllegalArgumentException("setting " + s.key() + " is given twice");
                }
            });
        }
        return Collections.unmodifiableSortedMap(out);
    }

    public static Settings of(Map<String, String> values) {
        return new Settings(new TreeMap<>(values));
    }

    public String get(Setting s) {
        return values.getOrDefault(s.key(), s.defaultValue());
    }

    public long number(Setting s) {
        return Long.parseLong(get(s));
    }

    public boolean yes(Setting s) {
        return "Yes".equals(get(s));
    }

    public Settings with(Setting s, String value) {
        TreeMap<String, String> copy = new TreeMap<>(values);
        copy.put(s.key(), value);
        return new Settings(copy);
    }
}
