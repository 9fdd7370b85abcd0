package io.rbdgw.config.model;

import java.util.Collections;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * An initiator allowed on a target (an ACL entry), its CHAP settings, and the LUNs it sees. The rule: a client sees
 * the union of its own LUN numbers and the LUNs of its host group's disks; seeing every LUN of the target (present
 * and future, whatever its group) is the explicit choice {@code allLuns}, never implied by an empty list.
 */
public record Client(String target, String initiator, Authentication auth, boolean allLuns, SortedSet<Integer> luns) {
    public Client {
        Names.iscsiName("target", target);
        Names.iscsiName("initiator", initiator);
        if (auth == null) {
            auth = Authentication.NONE;
        }
        luns = luns == null ? Collections.emptySortedSet() : Collections.unmodifiableSortedSet(new TreeSet<>(luns));
        if (allLuns && !luns.isEmpty()) {
            throw new IllegalArgumentException("client " + initiator + " sees all LUNs: do not also list LUNs " + luns);
        }
    }

    /** A client that sees every LUN of the target. */
    public static Client allLuns(String target, String initiator) {
        return new Client(target, initiator, Authentication.NONE, true, null);
    }

    /** A client that sees the listed LUNs (and those of its host group). */
    public static Client withLuns(String target, String initiator, Set<Integer> luns) {
        return new Client(target, initiator, Authentication.NONE, false, new TreeSet<>(luns));
    }

    public Client withAuth(Authentication newAuth) {
        return new Client(target, initiator, newAuth, allLuns, luns);
    }
}
