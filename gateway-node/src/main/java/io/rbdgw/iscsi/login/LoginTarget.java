package io.rbdgw.iscsi.login;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * One target as the login phase sees it.
 *
 * @param name             the target's iSCSI name
 * @param alias            TargetAlias sent in the first login response, or null
 * @param portalGroupTag   the target portal group tag of the portal the connection arrived on (0-65535)
 * @param initiatorChap    the credentials the initiator must authenticate with; null = no CHAP required
 * @param mutualChap       the target's own credentials for mutual CHAP, or null (mutual CHAP then fails)
 * @param initiatorAllowed the ACL: whether an initiator name may log in to this target
 * @param parameters       what logins to this target negotiate (its settings in force when this was built), or
 *                         null for the portal's ({@link LoginContext#parameters()})
 */
public record LoginTarget(
        String name,
        String alias,
        int portalGroupTag,
        ChapSecret initiatorChap,
        ChapSecret mutualChap,
        Predicate<String> initiatorAllowed,
        TargetParameters parameters) {

    public LoginTarget(
            String name,
            String alias,
            int portalGroupTag,
            ChapSecret initiatorChap,
            ChapSecret mutualChap,
            Predicate<String> initiatorAllowed) {
        this(name, alias, portalGroupTag, initiatorChap, mutualChap, initiatorAllowed, null);
    }

    public LoginTarget {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(initiatorAllowed, "initiatorAllowed");
        if (portalGroupTag < 0 || portalGroupTag > 0xFFFF) {
            throw new IllegalArgumentException("portalGroupTag out of range: " + portalGroupTag);
        }
    }
}
