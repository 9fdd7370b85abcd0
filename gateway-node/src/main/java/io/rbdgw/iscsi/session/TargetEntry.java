package io.rbdgw.iscsi.session;

import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.scsi.ScsiTarget;
import java.util.function.Function;

/**
 * One iSCSI target as the transport serves it: who may log in (login side) and what it executes
 * (SCSI side).
 *
 * @param login       the target's name, alias, portal group tag, ACL and default CHAP settings
 * @param scsi        the LUNs
 * @param perInitiator the login settings for one initiator (per-client CHAP), or null when
 *                    {@code login} applies to everyone; must keep {@code login}'s name and tag
 * @param session     the settings sessions to this target start with (their login parameters are also those of
 *                    {@code login}), or null for the portal's
 */
public record TargetEntry(
        LoginTarget login, ScsiTarget scsi, Function<String, LoginTarget> perInitiator, SessionSettings session) {

    public TargetEntry(LoginTarget login, ScsiTarget scsi) {
        this(login, scsi, null, null);
    }

    public TargetEntry(LoginTarget login, ScsiTarget scsi, Function<String, LoginTarget> perInitiator) {
        this(login, scsi, perInitiator, null);
    }

    public String name() {
        return login.name();
    }

    /** The login settings that apply to {@code initiatorName}. */
    public LoginTarget loginFor(String initiatorName) {
        if (perInitiator == null || initiatorName == null) {
            return login;
        }
        LoginTarget t = perInitiator.apply(initiatorName);
        return t != null ? t : login;
    }
}
