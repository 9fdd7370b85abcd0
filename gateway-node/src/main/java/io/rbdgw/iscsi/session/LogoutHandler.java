package io.rbdgw.iscsi.session;

import io.netty.channel.ChannelFutureListener;
import io.rbdgw.iscsi.pdu.LogoutRequest;
import io.rbdgw.iscsi.pdu.LogoutResponse;

/**
 * Logout: the response waits for the commands still executing in the backend (their answers go out
 * first), then the connection closes. No connection recovery at ErrorRecoveryLevel 0.
 */
final class LogoutHandler {

    private final IscsiConnection conn;

    LogoutHandler(IscsiConnection conn) {
        this.conn = conn;
    }

    void onLogout(LogoutRequest l) {
        if (!conn.acceptCmdSN(l.immediate(), l.cmdSN())) {
            return;
        }
        int reason = l.reasonCode() & 0x7f;
        if (reason == LogoutCodes.REMOVE_CONNECTION_FOR_RECOVERY) {
            respond(l, LogoutCodes.RECOVERY_NOT_SUPPORTED);
            return;
        }
        if (reason == LogoutCodes.CLOSE_CONNECTION && l.cid() != conn.session().cid()) {
            respond(l, LogoutCodes.CID_NOT_FOUND);
            return;
        }
        conn.beginLogout();
        conn.whenNoCommandExecutes(() -> conn.sendNow(new LogoutResponse(
                        LogoutCodes.CLOSED, l.itt(), conn.nextStatSN(), conn.expCmdSN(), conn.maxCmdSN(), 0, 0))
                .addListener(ChannelFutureListener.CLOSE));
    }

    private void respond(LogoutRequest l, int response) {
        conn.send(new LogoutResponse(response, l.itt(), conn.nextStatSN(), conn.expCmdSN(), conn.maxCmdSN(), 0, 0));
    }
}
