package io.rbdgw.admin.core;

import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.membership.MemberState;
import io.rbdgw.config.membership.MembershipView;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.store.ConfigStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Refuses a change that would take a LUN away from a logged-in host (ESXi treats the 05/25/00 it would then get as
 * permanent device loss), unless forced. The sessions are those the live gateways list in their status documents;
 * the LUNs a session sees are computed from the configuration before and after the change (a status entry does not
 * say which LUNs the host uses). A gateway whose list is truncated may have an unlisted session on any target, so
 * any loss on any target counts for it.
 */
public final class LiveSessionGuard {
    private final MembershipView membership;

    public LiveSessionGuard(ConfigStore store) {
        this.membership = new MembershipView(store.client(), store.layout());
    }

    /**
     * A session that would lose LUNs.
     *
     * @param initiator null for sessions the gateway has but does not list (its list is truncated)
     * @param luns      the LUN numbers it sees now and would no longer see (or would see another disk at)
     */
    public record Loss(String gateway, String initiator, String target, List<Integer> luns) {}

    /** A change refused because live sessions would lose LUNs; the answer lists them. */
    public static final class LunsInUseException extends ApiException {
        private static final long serialVersionUID = 1L;
        private final transient List<Loss> sessions;

        LunsInUseException(List<Loss> sessions) {
            super(409, describe(sessions));
            this.sessions = List.copyOf(sessions);
        }

        public List<Loss> sessions() {
            return sessions;
        }

        private static String describe(List<Loss> sessions) {
            Loss first = sessions.get(0);
            String who = first.initiator() == null ? "unlisted sessions" : first.initiator();
            return "the change would take LUNs away from " + sessions.size() + " logged-in session(s) (first: " + who
                    + " on " + first.gateway() + ", target " + first.target() + ", LUNs " + first.luns()
                    + "); they would see the LUNs as permanently lost: log them out first, or retry with ?force=true";
        }
    }

    /** Throws {@link LunsInUseException} if {@code changes} applied to {@code before} take LUNs from live sessions. */
    public void check(ClusterConfig before, List<? extends ConfigChange> changes) {
        List<Loss> losses = losses(before, ConfigChange.applyAll(before, changes), membership.states());
        if (!losses.isEmpty()) {
            throw new LunsInUseException(losses);
        }
    }

    /** The sessions of the live gateways in {@code gateways} that see LUNs in {@code before} they lose in {@code after}. */
    static List<Loss> losses(ClusterConfig before, ClusterConfig after, Map<String, MemberState> gateways) {
        List<Loss> out = new ArrayList<>();
        for (MemberState g : gateways.values()) {
            Optional<GatewayStatus> status = g.status();
            if (!g.alive() || status.isEmpty()) {
                continue; // a dead gateway's sessions are gone with it
            }
            for (GatewayStatus.Session s : status.get().sessions()) {
                if (s.target() == null || s.initiator() == null) {
                    continue; // a discovery session, or an entry from an older writer: no LUNs to lose
                }
                List<Integer> lost = lost(before, after, s.target(), s.initiator());
                if (!lost.isEmpty()) {
                    out.add(new Loss(g.name(), s.initiator(), s.target(), lost));
                }
            }
            if (status.get().sessionsTruncated()) {
                for (Target t : before.targets()) {
                    TreeSet<Integer> lost = new TreeSet<>();
                    for (String initiator : initiatorsOf(before, t)) {
                        lost.addAll(lost(before, after, t.iqn(), initiator));
                    }
                    if (!lost.isEmpty()) {
                        out.add(new Loss(g.name(), null, t.iqn(), new ArrayList<>(lost)));
                    }
                }
            }
        }
        return out;
    }

    /** The clients of {@code t}, and with the ACL off an initiator that is none of them (null stands for it). */
    private static List<String> initiatorsOf(ClusterConfig c, Target t) {
        List<String> out = new ArrayList<>();
        c.clients(t.iqn()).forEach(x -> out.add(x.initiator()));
        if (!t.aclEnabled()) {
            out.add(null);
        }
        return out;
    }

    private static List<Integer> lost(ClusterConfig before, ClusterConfig after, String target, String initiator) {
        Map<Integer, String> was = visible(before, target, initiator);
        Map<Integer, String> now = visible(after, target, initiator);
        List<Integer> out = new ArrayList<>();
        was.forEach((n, disk) -> {
            if (!disk.equals(now.get(n))) {
                out.add(n);
            }
        });
        return out;
    }

    /** LUN number to disk for what {@code initiator} (null: an initiator that is not a client) sees. */
    private static Map<Integer, String> visible(ClusterConfig c, String target, String initiator) {
        Map<Integer, String> out = new TreeMap<>();
        Optional<Target> t = c.target(target);
        if (t.isEmpty()) {
            return out;
        }
        List<Lun> luns = c.luns(target);
        if (initiator == null || c.client(target, initiator).isEmpty()) {
            if (!t.get().aclEnabled()) {
                luns.forEach(l -> out.put(l.number(), l.diskId()));
            }
            return out;
        }
        TreeSet<Integer> numbers = new TreeSet<>(c.visibleLuns(target, initiator));
        luns.stream().filter(l -> numbers.contains(l.number())).forEach(l -> out.put(l.number(), l.diskId()));
        return out;
    }
}
