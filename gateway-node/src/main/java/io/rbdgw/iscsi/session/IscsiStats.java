package io.rbdgw.iscsi.session;

/**
 * Connection-level events for metrics. Called on event loops; implementations must not block.
 */
public interface IscsiStats {
    IscsiStats NONE = new IscsiStats() {};

    /** A login was refused with this status class and detail (RFC 7143 11.13.5). */
    default void loginFailed(int statusClass, int statusDetail) {}

    /** A Reject PDU was sent with this reason code. */
    default void pduRejected(int reason) {}

    /** A TCP connection to a portal opened ({@code +1}) or closed ({@code -1}). */
    default void connections(int delta) {}
}
