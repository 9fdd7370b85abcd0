package io.rbdgw.iscsi.pdu;

/**
 * Makes text that came from the wire (initiator names, key values) safe to log or show: control
 * characters (C0, DEL, C1, and the Unicode line and paragraph separators) become {@code \xNN} /
 * {@code \\uNNNN} escapes and backslashes are doubled, so a peer cannot forge log lines or send
 * terminal escape sequences to an operator's screen. Long text is cut.
 */
public final class WireText {

    /** Longest text kept (an iSCSI name is at most 223 bytes). */
    static final int MAX = 256;

    private WireText() {}

    /** {@code s} with control characters escaped, at most {@link #MAX} characters of it; "null" for null. */
    public static String escape(String s) {
        if (s == null) {
            return "null";
        }
        int n = Math.min(s.length(), MAX);
        int i = 0;
        while (i < n && plain(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s; // the common case: nothing to escape, no copy
        }
        StringBuilder b = new StringBuilder(n + 16).append(s, 0, i);
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (plain(c)) {
                b.append(c);
            } else if (c == '\\') {
                b.append("\\\\");
            } else if (c < 0x100) {
                b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xF, 16));
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        if (s.length() > n) {
            b.append("...(").append(s.length()).append(" chars)");
        }
        return b.toString();
    }

    private static boolean plain(char c) {
        return c >= 0x20 && c != 0x7F && c != '\\' && !(c >= 0x80 && c < 0xA0) && c != '\u2028' && c != '\u2029';
    }
}
