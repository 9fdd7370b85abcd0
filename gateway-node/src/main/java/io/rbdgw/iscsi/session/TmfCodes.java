package io.rbdgw.iscsi.session;

/** Task management function codes (RFC 7143 11.5.1) and response codes (11.6.1). */
final class TmfCodes {
    // functions
    static final int ABORT_TASK = 1;
    static final int ABORT_TASK_SET = 2;
    static final int CLEAR_ACA = 3;
    static final int CLEAR_TASK_SET = 4;
    static final int LUN_RESET = 5;
    static final int TARGET_WARM_RESET = 6;
    static final int TARGET_COLD_RESET = 7;
    static final int TASK_REASSIGN = 8;

    // responses
    static final int COMPLETE = 0;
    static final int NO_TASK = 1;
    static final int NO_LUN = 2;
    static final int REASSIGN_UNSUPPORTED = 4;
    static final int UNSUPPORTED = 5;
    static final int AUTHORIZATION_FAILED = 6;

    private TmfCodes() {}
}
