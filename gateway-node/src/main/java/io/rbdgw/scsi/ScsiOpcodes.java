package io.rbdgw.scsi;

/**
 * SCSI operation codes (SPC-4, SBC-3) and the service actions the engine tells apart. The names the
 * standards use; {@link CommandTable} says what each one does here.
 */
public final class ScsiOpcodes {
    public static final int TEST_UNIT_READY = 0x00;
    public static final int REQUEST_SENSE = 0x03;
    public static final int READ_6 = 0x08;
    public static final int WRITE_6 = 0x0A;
    public static final int INQUIRY = 0x12;
    public static final int MODE_SELECT_6 = 0x15;
    public static final int RESERVE_6 = 0x16;
    public static final int RELEASE_6 = 0x17;
    public static final int MODE_SENSE_6 = 0x1A;
    public static final int START_STOP_UNIT = 0x1B;
    public static final int RECEIVE_DIAGNOSTIC_RESULTS = 0x1C;
    public static final int PREVENT_ALLOW_MEDIUM_REMOVAL = 0x1E;
    public static final int READ_CAPACITY_10 = 0x25;
    public static final int READ_10 = 0x28;
    public static final int WRITE_10 = 0x2A;
    public static final int WRITE_AND_VERIFY_10 = 0x2E;
    public static final int VERIFY_10 = 0x2F;
    public static final int PRE_FETCH_10 = 0x34;
    public static final int SYNCHRONIZE_CACHE_10 = 0x35;
    public static final int READ_DEFECT_DATA_10 = 0x37;
    public static final int READ_BUFFER = 0x3C;
    public static final int WRITE_SAME_10 = 0x41;
    public static final int UNMAP = 0x42;
    public static final int LOG_SENSE = 0x4D;
    public static final int MODE_SELECT_10 = 0x55;
    public static final int RESERVE_10 = 0x56;
    public static final int RELEASE_10 = 0x57;
    public static final int MODE_SENSE_10 = 0x5A;
    public static final int PERSISTENT_RESERVE_IN = 0x5E;
    public static final int PERSISTENT_RESERVE_OUT = 0x5F;
    /** EXTENDED COPY (LID1); service action 0x00. */
    public static final int EXTENDED_COPY = 0x83;
    /** RECEIVE COPY RESULTS; service actions {@link #SA_COPY_STATUS}, {@link #SA_OPERATING_PARAMETERS}. */
    public static final int RECEIVE_COPY_RESULTS = 0x84;

    public static final int READ_16 = 0x88;
    public static final int COMPARE_AND_WRITE = 0x89;
    public static final int WRITE_16 = 0x8A;
    public static final int WRITE_AND_VERIFY_16 = 0x8E;
    public static final int VERIFY_16 = 0x8F;
    public static final int PRE_FETCH_16 = 0x90;
    public static final int SYNCHRONIZE_CACHE_16 = 0x91;
    public static final int WRITE_SAME_16 = 0x93;
    public static final int WRITE_ATOMIC_16 = 0x9C;
    /** SERVICE ACTION IN (16): {@link #SA_READ_CAPACITY_16}, {@link #SA_GET_LBA_STATUS}. */
    public static final int SERVICE_ACTION_IN_16 = 0x9E;

    public static final int REPORT_LUNS = 0xA0;
    /** MAINTENANCE IN: {@link #SA_REPORT_TARGET_PORT_GROUPS}, {@link #SA_REPORT_SUPPORTED_OPCODES}. */
    public static final int MAINTENANCE_IN = 0xA3;

    public static final int READ_12 = 0xA8;
    public static final int WRITE_12 = 0xAA;
    /** SERVICE ACTION IN (12): READ MEDIA SERIAL NUMBER (not supported). */
    public static final int SERVICE_ACTION_IN_12 = 0xAB;

    public static final int WRITE_AND_VERIFY_12 = 0xAE;
    public static final int VERIFY_12 = 0xAF;
    public static final int READ_DEFECT_DATA_12 = 0xB7;

    // service actions
    public static final int SA_EXTENDED_COPY_LID1 = 0x00;
    public static final int SA_COPY_STATUS = 0x00;
    public static final int SA_OPERATING_PARAMETERS = 0x03;
    /** THIRD-PARTY COPY OUT (0x83) service actions of ODX: POPULATE TOKEN, WRITE USING TOKEN. */
    public static final int SA_POPULATE_TOKEN = 0x10;

    public static final int SA_WRITE_USING_TOKEN = 0x11;
    /** THIRD-PARTY COPY IN (0x84): RECEIVE ROD TOKEN INFORMATION. */
    public static final int SA_RECEIVE_ROD_TOKEN_INFORMATION = 0x07;

    public static final int SA_READ_CAPACITY_16 = 0x10;
    public static final int SA_GET_LBA_STATUS = 0x12;
    public static final int SA_REPORT_TARGET_PORT_GROUPS = 0x0A;
    public static final int SA_REPORT_SUPPORTED_OPCODES = 0x0C;

    private ScsiOpcodes() {}
}
