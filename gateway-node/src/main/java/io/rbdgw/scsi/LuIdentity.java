package io.rbdgw.scsi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * What INQUIRY reports about a logical unit.
 *
 * <p>The NAA designator is NAA type 6 (IEEE Registered Extended, 16 bytes): {@code naaHigh} holds the
 * NAA nibble (6), the 24-bit company id and the 36-bit vendor specific identifier; {@code naaLow} is
 * the 64-bit vendor specific identifier extension. The company id {@link #COMPANY_ID} is a made-up
 * value in the IEEE "CID" (company id, locally administered) format: its first octet's low nibble is
 * 1010b, a space the IEEE never hands out as an OUI, so it cannot clash with a registered vendor's
 * (in particular not LIO's 00:14:05).
 *
 * @param vendor   T10 vendor identification (at most 8 ASCII characters)
 * @param product  product identification (at most 16)
 * @param revision product revision level (at most 4)
 * @param serial   unit serial number (VPD 0x80), ASCII
 * @param naaHigh  first 8 bytes of the NAA 6 designator
 * @param naaLow   last 8 bytes of the NAA 6 designator
 */
public record LuIdentity(String vendor, String product, String revision, String serial, long naaHigh, long naaLow) {

    /** The CID used in our NAA designators: 0A-52-47 ("RG" after a CID marker). */
    public static final int COMPANY_ID = 0x0A5247;

    public static final String VENDOR = "RBDGW";
    public static final String PRODUCT = "RBD";
    public static final String REVISION = "0001";

    public LuIdentity {
        requireAscii(vendor, 8, "vendor");
        requireAscii(product, 16, "product");
        requireAscii(revision, 4, "revision");
        requireAscii(serial, 252, "serial");
    }

    /**
     * Derives the identity from {@link io.rbdgw.block.DeviceInfo#identity()} with SHA-256, so that
     * every gateway serving the same storage reports the same designator and serial.
     */
    public static LuIdentity fromDeviceIdentity(String identity) {
        byte[] h = sha256(identity);
        long high = 0x6L << 60 | (long) COMPANY_ID << 36 | (be64(h, 0) & 0xF_FFFF_FFFFL);
        long low = be64(h, 8);
        StringBuilder serial = new StringBuilder(32);
        for (int i = 16; i < 32; i++) {
            serial.append(Character.forDigit((h[i] >> 4) & 0xf, 16)).append(Character.forDigit(h[i] & 0xf, 16));
        }
        return new LuIdentity(VENDOR, PRODUCT, REVISION, serial.toString(), high, low);
    }

    /** The 16-byte NAA designator. */
    public byte[] naaDesignator() {
        byte[] d = new byte[16];
        for (int i = 0; i < 8; i++) {
            d[i] = (byte) (naaHigh >>> (56 - 8 * i));
            d[8 + i] = (byte) (naaLow >>> (56 - 8 * i));
        }
        return d;
    }

    /** The designator as 32 hex digits (the form Linux shows as wwid {@code 36...}). */
    public String naaHex() {
        return String.format("%016x%016x", naaHigh, naaLow);
    }

    private static void requireAscii(String s, int max, String what) {
        if (s == null
                || s.length() > max
                || !StandardCharsets.US_ASCII.newEncoder().canEncode(s)) {
            throw new IllegalArgumentException(what + " must be ASCII of at most " + max + " characters");
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    private static long be64(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }
}
