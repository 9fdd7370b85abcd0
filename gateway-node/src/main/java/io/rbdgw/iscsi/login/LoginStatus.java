package io.rbdgw.iscsi.login;

/** Login Response status class and detail (RFC 7143 section 11.13.5). */
public record LoginStatus(int statusClass, int statusDetail) {
    public static final LoginStatus SUCCESS = new LoginStatus(0, 0);
    public static final LoginStatus TARGET_MOVED_TEMPORARILY = new LoginStatus(1, 1);
    public static final LoginStatus TARGET_MOVED_PERMANENTLY = new LoginStatus(1, 2);
    public static final LoginStatus INITIATOR_ERROR = new LoginStatus(2, 0);
    public static final LoginStatus AUTHENTICATION_FAILURE = new LoginStatus(2, 1);
    public static final LoginStatus AUTHORIZATION_FAILURE = new LoginStatus(2, 2);
    public static final LoginStatus NOT_FOUND = new LoginStatus(2, 3);
    public static final LoginStatus TARGET_REMOVED = new LoginStatus(2, 4);
    public static final LoginStatus UNSUPPORTED_VERSION = new LoginStatus(2, 5);
    public static final LoginStatus TOO_MANY_CONNECTIONS = new LoginStatus(2, 6);
    public static final LoginStatus MISSING_PARAMETER = new LoginStatus(2, 7);
    public static final LoginStatus CANT_INCLUDE_IN_SESSION = new LoginStatus(2, 8);
    public static final LoginStatus SESSION_TYPE_NOT_SUPPORTED = new LoginStatus(2, 9);
    public static final LoginStatus SESSION_DOES_NOT_EXIST = new LoginStatus(2, 0x0a);
    public static final LoginStatus INVALID_DURING_LOGIN = new LoginStatus(2, 0x0b);
    public static final LoginStatus TARGET_ERROR = new LoginStatus(3, 0);
    public static final LoginStatus SERVICE_UNAVAILABLE = new LoginStatus(3, 1);
    public static final LoginStatus OUT_OF_RESOURCES = new LoginStatus(3, 2);

    /** The 16-bit value as written on the wire: class in the high byte, detail in the low byte. */
    public int code() {
        return (statusClass << 8) | statusDetail;
    }

    @Override
    public String toString() {
        return String.format("0x%02x%02x", statusClass, statusDetail);
    }
}
