package io.rbdgw.block;

/** COMPARE AND WRITE found a difference; {@link #offsetInCompare()} is the first differing byte. */
public final class MiscompareException extends BlockDeviceException {

    private static final long serialVersionUID = 1L;

    private final long offsetInCompare;

    public MiscompareException(long offsetInCompare) {
        super(Kind.MISCOMPARE, "miscompare at byte " + offsetInCompare + " of the compared range");
        this.offsetInCompare = offsetInCompare;
    }

    /** Byte offset, relative to the start of the compared range, of the first byte that differed. */
    public long offsetInCompare() {
        return offsetInCompare;
    }
}
