package io.rbdgw.scsi.odx;

/** The limits of token-based copies, reported in the Third-party Copy VPD page and enforced on every command. */
public final class OdxLimits {

    /** ROD type "access upon reference" (SPC-4): the token's data is read when the token is used. */
    public static final int ROD_TYPE_ACCESS_UPON_REFERENCE = 0x0001_0000;
    /** Length of a ROD token. */
    public static final int TOKEN_BYTES = 512;
    /** ROD TOKEN LENGTH field value: the bytes after it. */
    public static final int TOKEN_LENGTH_FIELD = TOKEN_BYTES - 8;
    /** MAXIMUM RANGE DESCRIPTORS per POPULATE TOKEN or WRITE USING TOKEN. */
    public static final int MAX_RANGE_DESCRIPTORS = 64;
    /** DEFAULT INACTIVITY TIMEOUT in seconds (an INACTIVITY TIMEOUT of 0 asks for it). */
    public static final int DEFAULT_INACTIVITY_SECONDS = 60;
    /** MAXIMUM INACTIVITY TIMEOUT in seconds. */
    public static final int MAX_INACTIVITY_SECONDS = 600;
    /** MAXIMUM TOKEN LIFETIME in seconds: a token ends then, however often it is used. */
    public static final int MAX_LIFETIME_SECONDS = 3600;
    /** MAXIMUM TOKEN TRANSFER SIZE in bytes (reported in logical blocks). */
    public static final long MAX_TOKEN_BYTES = 1L << 30;
    /** OPTIMAL TRANSFER COUNT in bytes (reported in logical blocks). */
    public static final long OPTIMAL_TRANSFER_BYTES = 256L << 20;
    /** Largest parameter list accepted (a full WRITE USING TOKEN list is 536 + 16 * 64 bytes). */
    public static final int MAX_PARAMETER_LIST = 64 << 10;
    /** Offset of the block device range descriptors in a POPULATE TOKEN parameter list. */
    public static final int POPULATE_HEADER = 16;
    /** Offset of the block device range descriptors in a WRITE USING TOKEN parameter list. */
    public static final int WRITE_HEADER = 536;
    /** Offset of the ROD token in a WRITE USING TOKEN parameter list. */
    public static final int TOKEN_OFFSET = 16;
    /** Where the token's random identifier sits in the token (the vendor-specific part), and its length. */
    public static final int ID_OFFSET = 128;

    public static final int ID_BYTES = 32;

    private OdxLimits() {}
}
