package io.rbdgw.iscsi.session;

import io.netty.buffer.Unpooled;
import io.rbdgw.iscsi.pdu.NopIn;
import io.rbdgw.iscsi.pdu.NopOut;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NOP-Out answers, and the session's liveness: a NOP-In ping after NopInInterval without input, and the
 * connection dropped when a ping goes unanswered for NopInTimeout.
 */
final class NopPings implements IscsiConnection.Part {

    private static final Logger log = LoggerFactory.getLogger(NopPings.class);
    private static final int RESERVED_TAG = IscsiConnection.RESERVED_TAG;

    private final IscsiConnection conn;
    private SessionSettings settings;
    private boolean pingOutstanding;
    private int pingTtt;
    private long pingSentNanos;
    private ScheduledFuture<?> pingTimer;

    NopPings(IscsiConnection conn) {
        this.conn = conn;
    }

    @Override
    public void fullFeature(Session session) {
        settings = session.settings();
        if (!settings.nopInInterval().isZero()) { // zero: the cluster turned pings off
            long periodMs = Math.max(
                    100,
                    Math.min(
                                    settings.nopInInterval().toMillis(),
                                    settings.nopInTimeout().toMillis())
                            / 2);
            pingTimer =
                    conn.executor().scheduleAtFixedRate(this::checkLiveness, periodMs, periodMs, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void connectionClosed(Session session) {
        if (pingTimer != null) {
            pingTimer.cancel(false);
        }
    }

    private void checkLiveness() {
        if (conn.state() != IscsiConnection.State.FULL_FEATURE) {
            return;
        }
        long now = System.nanoTime();
        if (pingOutstanding) {
            if (now - pingSentNanos > settings.nopInTimeout().toNanos()) {
                log.warn(
                        "{}: no answer to NOP-In ping within {}, dropping the connection",
                        conn.remoteAddress(),
                        settings.nopInTimeout());
                conn.drop();
            }
            return;
        }
        if (now - conn.lastReadNanos() >= settings.nopInInterval().toNanos()) {
            pingOutstanding = true;
            pingSentNanos = now;
            pingTtt = conn.nextTag();
            // A ping does not advance StatSN (RFC 7143 11.19.3).
            conn.send(new NopIn(
                    0, RESERVED_TAG, pingTtt, conn.statSN(), conn.expCmdSN(), conn.maxCmdSN(), Unpooled.EMPTY_BUFFER));
        }
    }

    void onNopOut(NopOut n) {
        if (n.ttt() != RESERVED_TAG) {
            // Answer to our ping.
            if (pingOutstanding && n.ttt() == pingTtt) {
                pingOutstanding = false;
            }
            return;
        }
        if (!conn.acceptCmdSN(n.immediate(), n.cmdSN())) {
            return;
        }
        if (n.itt() == RESERVED_TAG) {
            return; // a NOP-Out that wants no answer
        }
        conn.send(new NopIn(
                n.lun(),
                n.itt(),
                RESERVED_TAG,
                conn.nextStatSN(),
                conn.expCmdSN(),
                conn.maxCmdSN(),
                n.data().retainedDuplicate()));
    }
}
