package io.rbdgw.config.model;

import java.util.SortedMap;

/**
 * An iSCSI target: its name, alias, whether it enforces its ACL (when not, any initiator may log in and sees every
 * LUN, with the target-level CHAP if set), and overrides of cluster-wide {@link Settings}.
 *
 * @param auth target-level CHAP, used when the ACL is off (per-client CHAP applies otherwise)
 * @param parameters overrides of {@link Setting}s for this target, canonical key names
 */
public record Target(
        String iqn, String alias, boolean aclEnabled, Authentication auth, SortedMap<String, String> parameters) {
    public Target {
        Names.iscsiName("target", iqn);
        if (alias != null && (alias.length() > 255 || alias.chars().anyMatch(c -> c < 0x20))) {
            throw new IllegalArgumentException("target " + iqn + ": alias must be at most 255 printable characters");
        }
        if (auth == null) {
            auth = Authentication.NONE;
        }
        parameters = Settings.canonical(parameters);
    }

    /** A target with the ACL on, no target-level CHAP and no overrides. */
    public static Target of(String iqn) {
        return new Target(iqn, null, true, Authentication.NONE, null);
    }

    /** The value in force for this target: its override, else the cluster's setting, else the default. */
    public String parameter(Setting s, Settings cluster) {
        String v = parameters.get(s.key());
        return v != null ? v : cluster.get(s);
    }

    public Target withAcl(boolean enabled) {
        return new Target(iqn, alias, enabled, auth, parameters);
    }

    public Target withAuth(Authentication newAuth) {
        return new Target(iqn, alias, aclEnabled, newAuth, parameters);
    }
}
