package io.rbdgw.iscsi.session;

import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.scsi.ScsiTarget;

/**
 * One iSCSI target as the transport serves it: who may log in (login side) and what it executes
 * (SCSI side).
 */
public record TargetEntry(LoginTarget login, ScsiTarget scsi) {

    public String name() {
        return login.name();
    }
}
