package io.rbdgw.iscsi.session;

/** Logout reason codes (RFC 7143 11.14.1) and response codes (11.15.1). */
final class LogoutCodes {
    // reasons
    static final int CLOSE_SESSION = 0;
    static final int CLOSE_CONNECTION = 1;
    static final int REMOVE_CONNECTION_FOR_RECOVERY = 2;

    // responses
    static final int CLOSED = 0;
    static final int CID_NOT_FOUND = 1;
    static final int RECOVERY_NOT_SUPPORTED = 2;

    private LogoutCodes() {}
}
