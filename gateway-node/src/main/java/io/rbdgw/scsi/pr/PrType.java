package io.rbdgw.scsi.pr;

/** Persistent reservation types (SPC-4 6.16.3.4, TYPE field codes). */
public enum PrType {
    WRITE_EXCLUSIVE(0x1),
    EXCLUSIVE_ACCESS(0x3),
    WRITE_EXCLUSIVE_REGISTRANTS_ONLY(0x5),
    EXCLUSIVE_ACCESS_REGISTRANTS_ONLY(0x6),
    WRITE_EXCLUSIVE_ALL_REGISTRANTS(0x7),
    EXCLUSIVE_ACCESS_ALL_REGISTRANTS(0x8);

    private final int code;

    PrType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The type for a TYPE field value, or null when the code is not a valid type. */
    public static PrType fromCode(int code) {
        switch (code) {
            case 0x1:
                return WRITE_EXCLUSIVE;
            case 0x3:
                return EXCLUSIVE_ACCESS;
            case 0x5:
                return WRITE_EXCLUSIVE_REGISTRANTS_ONLY;
            case 0x6:
                return EXCLUSIVE_ACCESS_REGISTRANTS_ONLY;
            case 0x7:
                return WRITE_EXCLUSIVE_ALL_REGISTRANTS;
            case 0x8:
                return EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
            default:
                return null;
        }
    }

    /** Every registrant is a reservation holder. */
    public boolean allRegistrants() {
        return this == WRITE_EXCLUSIVE_ALL_REGISTRANTS || this == EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }

    public boolean registrantsOnly() {
        return this == WRITE_EXCLUSIVE_REGISTRANTS_ONLY || this == EXCLUSIVE_ACCESS_REGISTRANTS_ONLY;
    }

    /** Registered I_T nexuses get the holder's access (registrants-only and all-registrants types). */
    public boolean registrantsHaveAccess() {
        return registrantsOnly() || allRegistrants();
    }

    /** Non-holders may not even read. */
    public boolean exclusiveAccess() {
        return this == EXCLUSIVE_ACCESS
                || this == EXCLUSIVE_ACCESS_REGISTRANTS_ONLY
                || this == EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
    }
}
