package io.rbdgw.scsi.xcopy;

/**
 * The limits of the copy manager, reported by RECEIVE COPY RESULTS (OPERATING PARAMETERS) and the
 * Third-party Copy VPD page and enforced when an EXTENDED COPY parameter list is parsed.
 */
public final class CopyLimits {

    /** Length of the EXTENDED COPY (LID1) parameter list header. */
    public static final int HEADER = 16;
    /** Length of an identification (0xE4) target descriptor. */
    public static final int TARGET_DESCRIPTOR = 32;
    /** Length of a block device to block device (0x02) segment descriptor. */
    public static final int SEGMENT_DESCRIPTOR = 28;
    /** MAXIMUM TARGET DESCRIPTOR COUNT (VMware uses two: source and destination). */
    public static final int MAX_TARGET_DESCRIPTORS = 8;
    /** MAXIMUM SEGMENT DESCRIPTOR COUNT. */
    public static final int MAX_SEGMENT_DESCRIPTORS = 64;
    /** MAXIMUM DESCRIPTOR LIST LENGTH: room for the maximum number of both kinds, no more. */
    public static final int MAX_DESCRIPTOR_LIST_LENGTH =
            MAX_TARGET_DESCRIPTORS * TARGET_DESCRIPTOR + MAX_SEGMENT_DESCRIPTORS * SEGMENT_DESCRIPTOR;
    /** MAXIMUM SEGMENT LENGTH in bytes (65535 blocks of 512 bytes fit). */
    public static final int MAX_SEGMENT_BYTES = 32 << 20;
    /** Copies run by one copy manager at once; more get BUSY. */
    public static final int MAX_CONCURRENT_COPIES = 255;
    /** Bytes moved per read/write pair: one pooled direct buffer of at most this size per lane. */
    public static final int CHUNK_BYTES = 1 << 20;
    /**
     * Chunks one copy command has in flight at most (each lane one read or write at a time): a copy costs at most
     * {@code LANES * CHUNK_BYTES} of buffer.
     */
    public static final int LANES = 4;
    /** Held copy statuses kept per I_T nexus; the oldest completed ones are dropped beyond that. */
    public static final int MAX_HELD_PER_NEXUS = 64;

    /** Segment descriptor type codes we implement. */
    public static final int SEGMENT_BLOCK_TO_BLOCK = 0x02;
    /** Target descriptor type codes we implement. */
    public static final int TARGET_IDENTIFICATION = 0xE4;

    private CopyLimits() {}
}
