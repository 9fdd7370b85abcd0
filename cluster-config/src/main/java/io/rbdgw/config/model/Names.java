package io.rbdgw.config.model;

import java.util.regex.Pattern;

/** Syntax rules shared by the model records; every failure is an {@link IllegalArgumentException} naming the field. */
public final class Names {
    private Names() {}

    /** Names of disks' pools and images, gateways, host groups: what is safe in a znode name and a URL path. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9._-]{1,128}");
    // RFC 3720 3.2.6.3.1 / RFC 7143 4.2.7.2: iqn.yyyy-mm.reversed.domain[:unique], lower case after stringprep.
    private static final Pattern IQN = Pattern.compile(
            "iqn\\.\\d{4}-(0[1-9]|1[0-2])\\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[a-z0-9.:_-]+)?");
    private static final Pattern EUI = Pattern.compile("eui\\.[0-9A-Fa-f]{16}");
    private static final Pattern NAA = Pattern.compile("naa\\.(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})");
    /** iSCSI names are at most 223 bytes (RFC 7143 6.1). */
    public static final int MAX_ISCSI_NAME = 223;

    public static String name(String what, String value) {
        if (value == null || !NAME.matcher(value).matches() || value.equals(".") || value.equals("..")) {
            throw new IllegalArgumentException(
                    what + " '" + value + "' is invalid: use 1-128 characters of [a-zA-Z0-9._-]");
        }
        return value;
    }

    /** An iSCSI name: iqn.yyyy-mm.reverse.domain[:anything], eui. + 16 hex digits, or naa. + 16 or 32 hex digits. */
    public static String iscsiName(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " is missing");
        }
        if (value.length() > MAX_ISCSI_NAME) {
            throw new IllegalArgumentException(what + " '" + value + "' is longer than " + MAX_ISCSI_NAME + " bytes");
        }
        if (IQN.matcher(value).matches()
                || EUI.matcher(value).matches()
                || NAA.matcher(value).matches()) {
            return value;
        }
        String hint;
        if (value.startsWith("iqn.")) {
            hint =
                    "expected iqn.yyyy-mm.reversed.domain[:unique-name] in lower case, e.g. iqn.2003-01.org.example:target1";
        } else if (value.startsWith("eui.")) {
            hint = "expected eui. followed by exactly 16 hexadecimal digits";
        } else if (value.startsWith("naa.")) {
            hint = "expected naa. followed by 16 or 32 hexadecimal digits";
        } else {
            hint = "an iSCSI name starts with iqn., eui. or naa.";
        }
        throw new IllegalArgumentException(what + " '" + value + "' is not a valid iSCSI name: " + hint);
    }

    public static String nonBlank(String what, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is missing");
        }
        return value;
    }
}
