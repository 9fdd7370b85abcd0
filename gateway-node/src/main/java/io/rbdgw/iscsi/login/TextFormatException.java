package io.rbdgw.iscsi.login;

/** Text data that is not a well-formed sequence of {@code key=value\0} pairs (RFC 7143 section 6.1). */
public final class TextFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public TextFormatException(String message) {
        super(message, null, false, false);
    }
}
