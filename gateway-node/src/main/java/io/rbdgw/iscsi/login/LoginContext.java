package io.rbdgw.iscsi.login;

import java.security.SecureRandom;

/** Lookups the negotiator needs; implemented by the session layer and the configuration. */
public interface LoginContext {
    /** The target named in a normal session's login, or null when unknown (status 0x0203 not found). */
    LoginTarget target(String targetName);

    /**
     * The target as {@code initiatorName} logs in to it: its CHAP credentials may be the initiator's own
     * (per-client CHAP). Defaults to {@link #target(String)}.
     */
    default LoginTarget target(String targetName, String initiatorName) {
        return target(targetName);
    }

    /** The credentials an initiator must use for a discovery session; null = discovery needs no CHAP. */
    ChapSecret discoveryChap();

    /** The target side's credentials for mutual CHAP in discovery sessions, or null. */
    ChapSecret discoveryMutualChap();

    /** What this target is willing to negotiate. */
    TargetParameters parameters();

    /** Source of CHAP identifiers and challenges. */
    SecureRandom random();

    /**
     * Whether a known target's LUNs, ACL, CHAP and ALUA states are applied; a login to one that is not is
     * refused retryably (03/01 service unavailable) rather than served half-configured.
     */
    default boolean ready(String targetName) {
        return true;
    }

    /**
     * Whether a session with this ISID and TSIH exists (a login with TSIH != 0 adds a connection to it).
     * This target runs one connection per session (MaxConnections=1), so such a login is refused either
     * way: 0x0206 too many connections when the session exists, 0x020a session does not exist otherwise.
     */
    default boolean sessionExists(long isid, int tsih) {
        return false;
    }
}
