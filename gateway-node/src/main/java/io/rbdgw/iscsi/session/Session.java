package io.rbdgw.iscsi.session;

import io.rbdgw.iscsi.login.NegotiatedSession;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiTarget;

/**
 * A session in its full feature phase, as its login left it: fixed for the life of the connection.
 *
 * @param params   what the login negotiated
 * @param settings command window and pings in force (the target's, else the cluster's, else the portal's)
 * @param key      initiator, ISID and target, as the session registry knows it
 * @param tsih     the target-assigned session handle
 * @param cid      the connection's ID (MaxConnections=1: the only one)
 * @param target   the target logged in to; null for discovery or a target removed during the login
 * @param scsi     its SCSI engine, null with the target
 * @param nexus    the I_T nexus of this session, null with the target
 */
record Session(
        NegotiatedSession params,
        SessionSettings settings,
        SessionRegistry.SessionKey key,
        int tsih,
        int cid,
        TargetEntry target,
        ScsiTarget scsi,
        ItNexus nexus) {

    String targetLabel() {
        return target != null ? target.name() : "(discovery)";
    }
}
