package io.rbdgw.config.model;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The settings the cluster knows, with their defaults and allowed values. Cluster-wide values live in
 * {@link Settings}; a {@link Target} may override any of them (target override, else cluster-wide value, else
 * default). iSCSI keys keep their RFC 7143 names.
 *
 * <p>The defaults are what the gateway negotiates when nothing is overridden: the gateway reads them from here,
 * there is no second copy. Numeric iSCSI keys are the target's side of the RFC 7143 result function (the
 * initiator may negotiate lower); the digest keys list what the target accepts, the initiator's order choosing
 * among them.
 */
public enum Setting {
    /** What the target declares it receives per PDU. */
    MAX_RECV_DATA_SEGMENT_LENGTH("MaxRecvDataSegmentLength", "262144", 512, 16777215),
    /** Largest data segment the target sends, below the initiator's declared MaxRecvDataSegmentLength. */
    MAX_XMIT_DATA_SEGMENT_LENGTH("MaxXmitDataSegmentLength", "16777215", 512, 16777215),
    MAX_BURST_LENGTH("MaxBurstLength", "1048576", 512, 16777215),
    /** Capped at MaxBurstLength when both are in force. */
    FIRST_BURST_LENGTH("FirstBurstLength", "262144", 512, 16777215),
    MAX_OUTSTANDING_R2T("MaxOutstandingR2T", "16", 1, 65535),
    DEFAULT_TIME2WAIT("DefaultTime2Wait", "2", 0, 3600),
    /** 0: at error recovery level 0 no task state survives a lost connection. */
    DEFAULT_TIME2RETAIN("DefaultTime2Retain", "0", 0, 3600),
    /** Values above 0 are readable (older configurations) but refused on writes: see {@link #settable}. */
    ERROR_RECOVERY_LEVEL("ErrorRecoveryLevel", "0", 0, 2),
    IMMEDIATE_DATA("ImmediateData", "Yes"),
    INITIAL_R2T("InitialR2T", "No"),
    HEADER_DIGEST("HeaderDigest", "CRC32C,None", P.DIGEST),
    DATA_DIGEST("DataDigest", "CRC32C,None", P.DIGEST),
    /** Commands a session may have outstanding (the command window). */
    CMDSN_DEPTH("cmdsnDepth", "128", 1, 4096),
    /** Seconds between NOP-In pings on an idle connection; 0 disables them. */
    NOPIN_INTERVAL("nopinInterval", "5", 0, 3600),
    /** Seconds to wait for the NOP-Out answering a ping before dropping the connection. */
    NOPIN_TIMEOUT("nopinTimeout", "5", 1, 3600);

    /** Enum constants cannot reach the enum's own static fields in their constructors; a holder can. */
    private static final class P {
        static final Pattern YES_NO = Pattern.compile("Yes|No");
        static final Pattern DIGEST = Pattern.compile("(None|CRC32C)(,(None|CRC32C))?");
    }

    private final String key;
    private final String defaultValue;
    private final long min;
    private final long max;
    private final Pattern pattern;

    Setting(String key, String defaultValue, long min, long max) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.min = min;
        this.max = max;
        this.pattern = null;
    }

    Setting(String key, String defaultValue) {
        this(key, defaultValue, P.YES_NO);
    }

    Setting(String key, String defaultValue, Pattern pattern) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.min = 0;
        this.max = 0;
        this.pattern = pattern;
    }

    public String key() {
        return key;
    }

    public String defaultValue() {
        return defaultValue;
    }

    /** The setting named {@code key} (case-insensitive), or an {@link IllegalArgumentException} listing the known keys. */
    public static Setting of(String key) {
        for (Setting s : values()) {
            if (s.key.equalsIgnoreCase(key)) {
                return s;
            }
        }
        StringBuilder known = new StringBuilder();
        for (Setting s : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(s.key);
        }
        throw new IllegalArgumentException("unknown setting '" + key + "'; known settings: " + known);
    }

    /**
     * Checks a value someone wants to set (admin API) and returns its canonical form: {@link #validate} plus the
     * values the gateway does not implement, which stored configurations may still hold from older versions.
     */
    public String settable(String value) {
        String v = validate(value);
        if (this == ERROR_RECOVERY_LEVEL && !v.equals("0")) {
            throw new IllegalArgumentException("setting " + key + "=" + v
                    + " is not implemented: the gateway supports error recovery level 0 only");
        }
        return v;
    }

    /** Checks a value and returns its canonical form. */
    public String validate(String value) {
        if (value == null) {
            throw new IllegalArgumentException("setting " + key + " has no value");
        }
        String v = value.trim();
        if (pattern == null) {
            long n;
            try {
                n = Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("setting " + key + "=" + value + " is not a number");
            }
            if (n < min || n > max) {
                throw new IllegalArgumentException(
                        "setting " + key + "=" + value + " is out of range " + min + "-" + max);
            }
            return Long.toString(n);
        }
        if (pattern == P.YES_NO) {
            v = v.equalsIgnoreCase("yes") ? "Yes" : v.equalsIgnoreCase("no") ? "No" : v;
        } else {
            v = v.toUpperCase(Locale.ROOT).replace("NONE", "None");
        }
        if (!pattern.matcher(v).matches()) {
            throw new IllegalArgumentException(
                    "setting " + key + "=" + value + " is invalid: expected " + pattern.pattern());
        }
        return v;
    }
}
