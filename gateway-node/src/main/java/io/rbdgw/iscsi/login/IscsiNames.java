package io.rbdgw.iscsi.login;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Checks iSCSI names as they arrive at login (RFC 7143 section 4.2.7; RFC 3720 3.2.6): at most 223 bytes of UTF-8,
 * and one of
 * <ul>
 *   <li>{@code iqn.yyyy-mm.reversed.domain[:anything]},</li>
 *   <li>{@code eui.} and 16 hex digits,</li>
 *   <li>{@code naa.} and 16 or 32 hex digits.</li>
 * </ul>
 * The characters after {@code iqn.} are those stringprep leaves in a name: letters, digits, '-', '.', ':', and
 * non-ASCII letters and digits. Two leniencies for real initiators whose names are not normalized: upper-case
 * ASCII letters (stringprep would fold them) and '_' (some hosts' names carry it). Nothing else passes: no space,
 * no control character, no escape sequence, so a name is safe to log and to show.
 */
public final class IscsiNames {

    /** RFC 7143 section 4.2.7.1: an iSCSI name is at most 223 bytes (UTF-8). */
    public static final int MAX_BYTES = 223;

    private IscsiNames() {}

    /** Whether {@code name} is a well-formed iSCSI name. */
    public static boolean valid(String name) {
        if (name == null || name.length() < 4 || name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return false;
        }
        String type = name.substring(0, 4).toLowerCase(Locale.ROOT);
        return switch (type) {
            case "iqn." -> iqn(name);
            case "eui." -> hex(name, 4, 16);
            case "naa." -> hex(name, 4, 16) || hex(name, 4, 32);
            default -> false;
        };
    }

    private static boolean iqn(String s) {
        // iqn.yyyy-mm.
        if (s.length() < 13 || s.charAt(8) != '-' || s.charAt(11) != '.') {
            return false;
        }
        for (int i : new int[] {4, 5, 6, 7, 9, 10}) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        int month = (s.charAt(9) - '0') * 10 + (s.charAt(10) - '0');
        if (month < 1 || month > 12) {
            return false;
        }
        // the naming authority: a reversed domain name, up to the first ':'
        int i = 12;
        boolean labelStart = true;
        while (i < s.length() && s.charAt(i) != ':') {
            int cp = s.codePointAt(i);
            if (cp == '.') {
                if (labelStart) {
                    return false; // empty label
                }
                labelStart = true;
            } else if (nameChar(cp)) {
                labelStart = false;
            } else {
                return false;
            }
            i += Character.charCount(cp);
        }
        if (labelStart) {
            return false; // no authority, or one ending in '.'
        }
        // the rest is the authority's own: any name characters, '.' and ':'
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (cp != ':' && cp != '.' && !nameChar(cp)) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    /** ASCII letter, digit or '-' / '_' ('.' and ':' are handled by the caller). */
    private static boolean ascii(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_';
    }

    /** A character a name may carry besides '.' and ':'. */
    private static boolean nameChar(int cp) {
        return cp < 0x80 ? ascii((char) cp) : Character.isLetterOrDigit(cp);
    }

    private static boolean hex(String s, int from, int digits) {
        if (s.length() != from + digits) {
            return false;
        }
        for (int i = from; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
