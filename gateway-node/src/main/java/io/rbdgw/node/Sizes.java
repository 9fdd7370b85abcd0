package io.rbdgw.node;

import java.util.Locale;

/** Parses sizes such as {@code 1G}, {@code 512M}, {@code 4096} (binary multiples). */
public final class Sizes {
    private Sizes() {}

    public static long parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        if (s.endsWith("IB")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("B")) {
            s = s.substring(0, s.length() - 1);
        }
        long mult = 1;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'K' -> mult = 1L << 10;
                case 'M' -> mult = 1L << 20;
                case 'G' -> mult = 1L << 30;
                case 'T' -> mult = 1L << 40;
                default -> mult = 1;
            }
            if (mult != 1) {
                s = s.substring(0, s.length() - 1);
            }
        }
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size: '" + text + "' (examples: 1G, 512M, 1048576)");
        }
        if (n <= 0 || n > Long.MAX_VALUE / mult) {
            throw new IllegalArgumentException("size out of range: " + text);
        }
        return n * mult;
    }
}
