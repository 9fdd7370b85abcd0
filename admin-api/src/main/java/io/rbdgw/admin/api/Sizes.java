package io.rbdgw.admin.api;

import java.util.Locale;

/** Parses and prints sizes: bytes, or a number with a binary suffix (K, M, G, T, P, optionally followed by "iB" or "B"). */
public final class Sizes {
    private Sizes() {}

    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("size is missing");
        }
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("IB")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("B")) {
            t = t.substring(0, t.length() - 1);
        }
        int shift = 0;
        if (!t.isEmpty()) {
            int i = "KMGTP".indexOf(t.charAt(t.length() - 1));
            if (i >= 0) {
                shift = 10 * (i + 1);
                t = t.substring(0, t.length() - 1);
            }
        }
        long n;
        try {
            n = Long.parseLong(t.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "size '" + text + "' is invalid: give bytes or a number with K, M, G, T or P");
        }
        if (n <= 0) {
            throw new IllegalArgumentException("size '" + text + "' must be positive");
        }
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        long bytes = n << shift;
        if (bytes % 512 != 0) {
            throw new IllegalArgumentException("size '" + text + "' is not a multiple of 512 bytes");
        }
        return bytes;
    }

    public static String format(long bytes) {
        String[] units = {"", "K", "M", "G", "T", "P"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v >= 1024 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return v + units[u];
    }
}
