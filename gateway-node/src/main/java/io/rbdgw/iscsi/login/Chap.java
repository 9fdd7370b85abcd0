package io.rbdgw.iscsi.login;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** CHAP with MD5 (RFC 1994, algorithm 5) and the iSCSI encodings of its values (RFC 7143 sections 6.1, 12.1.3). */
public final class Chap {
    /** CHAP_A value for MD5, the only algorithm implemented. */
    public static final int ALGORITHM_MD5 = 5;
    /** Length of the challenges this target sends. */
    public static final int CHALLENGE_BYTES = 16;
    /** Longest initiator challenge accepted. */
    public static final int MAX_CHALLENGE_BYTES = 1024;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Chap() {}

    /** MD5(identifier || secret || challenge), the CHAP response. */
    public static byte[] response(int identifier, byte[] secret, byte[] challenge) {
        MessageDigest md5;
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 missing from the JDK", e);
        }
        md5.update((byte) identifier);
        md5.update(secret);
        md5.update(challenge);
        return md5.digest();
    }

    public static byte[] response(int identifier, String secret, byte[] challenge) {
        return response(identifier, secret.getBytes(StandardCharsets.UTF_8), challenge);
    }

    /** Constant-time comparison of two responses. */
    public static boolean matches(byte[] expected, byte[] actual) {
        return actual != null && MessageDigest.isEqual(expected, actual);
    }

    /** Encodes binary as a hex-constant: {@code 0x} and lower-case digits. */
    public static String toHex(byte[] bytes) {
        char[] out = new char[2 + bytes.length * 2];
        out[0] = '0';
        out[1] = 'x';
        for (int i = 0; i < bytes.length; i++) {
            out[2 + 2 * i] = HEX[(bytes[i] >> 4) & 0xF];
            out[3 + 2 * i] = HEX[bytes[i] & 0xF];
        }
        return new String(out);
    }

    /**
     * Decodes a binary value: {@code 0x}/{@code 0X} hex (an odd digit count gets an implied leading 0)
     * or {@code 0b}/{@code 0B} base64. Returns null when malformed or empty.
     */
    public static byte[] decodeBinary(String value) {
        if (value.length() < 3 || value.charAt(0) != '0') {
            return null;
        }
        char kind = value.charAt(1);
        String body = value.substring(2);
        if (kind == 'x' || kind == 'X') {
            return decodeHex(body);
        }
        if (kind == 'b' || kind == 'B') {
            try {
                byte[] decoded = Base64.getDecoder().decode(body);
                return decoded.length == 0 ? null : decoded;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private static byte[] decodeHex(String body) {
        int odd = body.length() & 1;
        byte[] out = new byte[(body.length() + 1) / 2];
        for (int i = 0; i < body.length(); i++) {
            int d = Character.digit(body.charAt(i), 16);
            if (d < 0) {
                return null;
            }
            int pos = i + odd; // position in the zero-padded digit string
            out[pos / 2] |= (byte) ((pos & 1) == 0 ? d << 4 : d);
        }
        return out;
    }

    /** Parses a numeric value: decimal or {@code 0x} hex. Returns -1 when malformed or above 2^63-1. */
    public static long parseNumber(String value) {
        try {
            if (value.startsWith("0x") || value.startsWith("0X")) {
                if (value.length() == 2 || value.length() > 18) {
                    return -1;
                }
                long v = Long.parseUnsignedLong(value.substring(2), 16);
                return v < 0 ? -1 : v;
            }
            if (value.isEmpty() || value.length() > 19 || value.charAt(0) == '+' || value.charAt(0) == '-') {
                return -1;
            }
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
