package io.rbdgw.config.alua;

import io.rbdgw.config.membership.MemberInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ALUA coordinator's policy, without ZooKeeper: which gateways are lost (fenced before any of their disks
 * moves), which have settled after joining, who owns each disk ({@link Assignment}), what the ownership documents
 * become and why each move happens. It keeps its state across the passes of one leadership term; the
 * {@link AluaCoordinator} feeds it what it read from ZooKeeper and writes what it decides. Clocks are passed in
 * ({@code now}: {@link System#nanoTime} for settling, {@code nowMillis}: wall clock for the records), so tests
 * drive time. Not thread-safe: the coordinator's thread only.
 */
final class OwnershipPolicy {

    // under the coordinator's name: the one logger an operator follows for ownership decisions
    private static final Logger log = LoggerFactory.getLogger(AluaCoordinator.class);

    /** A member as seen in one pass: what it published and the ZooKeeper session that owns its node. */
    record Member(MemberInfo info, long session) {}

    /** A change of one ownership document. */
    sealed interface Change permits Assign, Readdress, Remove {
        String disk();
    }

    /** The disk gets owner {@code next.owner()}: a first owner ({@code from} null, a new document) or a move. */
    record Assign(LunOwnership next, String from) implements Change {
        @Override
        public String disk() {
            return next.disk();
        }
    }

    /** Same owner and epoch, its RADOS address (for fencing) now known or changed. */
    record Readdress(LunOwnership next) implements Change {
        @Override
        public String disk() {
            return next.disk();
        }
    }

    /** The disk is gone from the configuration: its ownership document goes too. */
    record Remove(String disk) implements Change {}

    /**
     * One pass's decision.
     *
     * @param owners          the owner of every disk that can have one
     * @param changes         the document changes that get there, in disk order (removals last)
     * @param nextSettleNanos how soon a joined gateway settles and the pass should run again; {@link Long#MAX_VALUE}
     *                        if none is waiting
     */
    record Decision(Map<String, String> owners, List<Change> changes, long nextSettleNanos) {
        Decision {
            owners = Map.copyOf(owners);
            changes = List.copyOf(changes);
        }
    }

    /** When the coordinator saw a gateway lost, and when fencing it completed (0 until then). */
    private static final class Loss {
        final long seenAtMillis;
        long fencedAtMillis;

        Loss(long seenAtMillis) {
            this.seenAtMillis = seenAtMillis;
        }
    }

    private final long settleNanos;
    private final Map<String, Member> known = new HashMap<>();
    private final Map<String, Long> joinedAt = new HashMap<>();
    private final Map<String, String> unfenced = new TreeMap<>(); // lost gateway -> last known RADOS address
    /**
     * Lost gateways fenced in this term, with the address fenced: a baseline run again (its first pass failed on
     * a version race and is retried) must not fence them again, since each fencing is a round trip to the monitors.
     */
    private final Map<String, String> fencedInTerm = new HashMap<>();

    private final Map<String, Loss> losses =
            new HashMap<>(); // lost gateway -> when seen lost / fenced, until its disks moved
    private final Set<String> everLost = new HashSet<>(); // gateways lost earlier: disks they get back are failbacks

    /** @param settleNanos how long a (re)joining gateway waits before it is given disks */
    OwnershipPolicy(long settleNanos) {
        this.settleNanos = settleNanos;
    }

    /** Leadership was (re)gained: what an earlier term knew of members, losses and fencing is forgotten. */
    void elected() {
        known.clear();
        joinedAt.clear();
        unfenced.clear();
        fencedInTerm.clear();
        losses.clear();
    }

    /**
     * The first full pass of a term: members present now are settled at once, and owners recorded by an earlier
     * coordinator that are not members are lost (fenced before their disks move).
     */
    void baseline(Map<String, Member> members, Map<String, LunOwnership> records, long now, long nowMillis) {
        members.forEach((n, m) -> {
            known.put(n, m);
            joinedAt.put(n, now - settleNanos);
        });
        records.values().forEach(r -> {
            if (!members.containsKey(r.owner())
                    && !unfenced.containsKey(r.owner())
                    && !fencedAt(r.owner(), r.ownerAddress())) {
                unfenced.put(r.owner(), r.ownerAddress());
                lost(r.owner(), nowMillis);
                log.warn(
                        "gateway {} owns LUNs but is lost; fencing {} before moving them",
                        r.owner(),
                        r.ownerAddress() == null ? "(no RADOS address)" : r.ownerAddress());
            }
        });
    }

    /**
     * Compares the members with those known: one that is absent, or present through another session or as another
     * process (a new {@code startedAtMillis}), is lost; a new one joins and settles after the delay.
     */
    void observe(Map<String, Member> members, Map<String, LunOwnership> records, long now, long nowMillis) {
        for (String name : new ArrayList<>(known.keySet())) {
            Member was = known.get(name);
            Member is = members.get(name);
            // a member node owned by another session means the old one ended (ZooKeeper treated it as gone,
            // whether or not it is the same process): lost, like a member that is absent
            if (is == null
                    || is.session() != was.session()
                    || is.info().startedAtMillis() != was.info().startedAtMillis()) {
                String address =
                        was.info().radosAddress() != null ? was.info().radosAddress() : recordedAddress(records, name);
                unfenced.put(name, address);
                lost(name, nowMillis);
                known.remove(name);
                joinedAt.remove(name);
                log.warn(
                        "gateway {} is lost ({}); fencing {} before moving its LUNs",
                        name,
                        is == null ? "its session ended" : "it rejoined with a new session",
                        address == null ? "(no RADOS address)" : address);
            }
        }
        members.forEach((n, m) -> {
            if (known.put(n, m) == null) {
                joinedAt.put(n, now);
                log.info("gateway {} joined; it gets LUNs after {} ms", n, TimeUnit.NANOSECONDS.toMillis(settleNanos));
            }
        });
    }

    /** Whether this term already fenced {@code gateway} at {@code address}. */
    private boolean fencedAt(String gateway, String address) {
        return fencedInTerm.containsKey(gateway) && Objects.equals(fencedInTerm.get(gateway), address);
    }

    /** Lost gateways still to be fenced, with their last known RADOS address (null if none is known). */
    Map<String, String> unfenced() {
        return new TreeMap<>(unfenced);
    }

    /** {@code gateway} is fenced: its disks may move from now on. */
    void fenced(String gateway, long nowMillis) {
        String address = unfenced.remove(gateway);
        fencedInTerm.put(gateway, address);
        Loss loss = losses.get(gateway);
        if (loss != null) {
            loss.fencedAtMillis = nowMillis;
        }
    }

    /**
     * Who owns each disk, and the document changes that get there.
     *
     * @param members  the live members
     * @param records  the ownership documents, by disk
     * @param disks    every configured disk
     * @param draining members to drain (they get no disks and give theirs away)
     */
    Decision decide(
            Map<String, Member> members,
            Map<String, LunOwnership> records,
            Set<String> disks,
            Set<String> draining,
            long now) {
        Set<String> eligible = new TreeSet<>();
        long nextSettle = Long.MAX_VALUE;
        for (String n : members.keySet()) {
            long settledAt = joinedAt.get(n) + settleNanos;
            if (draining.contains(n)) {
                continue;
            }
            if (settledAt - now <= 0) {
                eligible.add(n);
            } else {
                nextSettle = Math.min(nextSettle, settledAt - now);
            }
        }
        Map<String, String> current = new HashMap<>();
        records.forEach((d, r) -> current.put(d, r.owner()));
        Map<String, String> owners =
                Assignment.assign(disks, current, eligible, members.keySet(), draining, unfenced.keySet());

        List<Change> changes = new ArrayList<>();
        for (Map.Entry<String, String> p : owners.entrySet()) {
            String disk = p.getKey();
            String owner = p.getValue();
            Member member = members.get(owner);
            MemberInfo m = member == null ? null : member.info();
            LunOwnership r = records.get(disk);
            String address = m != null && m.radosAddress() != null
                    ? m.radosAddress()
                    : r != null && r.owner().equals(owner) ? r.ownerAddress() : null;
            if (r == null) {
                changes.add(new Assign(new LunOwnership(disk, owner, 1, address), null));
            } else if (!r.owner().equals(owner)) {
                changes.add(new Assign(new LunOwnership(disk, owner, r.epoch() + 1, address), r.owner()));
            } else if (!Objects.equals(r.ownerAddress(), address) && address != null) {
                changes.add(new Readdress(new LunOwnership(disk, owner, r.epoch(), address)));
            }
        }
        for (String disk : records.keySet()) {
            if (!disks.contains(disk)) {
                changes.add(new Remove(disk));
            }
        }
        return new Decision(owners, changes, nextSettle);
    }

    /** Why {@code move} happens, with the loss and fencing times of a failover. */
    FailoverEvent event(Assign move, Set<String> live, Set<String> draining, long writtenAt, String coordinator) {
        LunOwnership to = move.next();
        String from = move.from();
        if (from == null) {
            return new FailoverEvent(
                    to.disk(),
                    null,
                    to.owner(),
                    FailoverEvent.Reason.ASSIGNED,
                    to.epoch(),
                    null,
                    null,
                    writtenAt,
                    null,
                    coordinator);
        }
        Loss loss = losses.get(from);
        if (loss != null || !live.contains(from)) {
            Long seen = loss == null ? null : loss.seenAtMillis;
            Long fenced = loss == null || loss.fencedAtMillis == 0 ? null : loss.fencedAtMillis;
            return new FailoverEvent(
                    to.disk(),
                    from,
                    to.owner(),
                    FailoverEvent.Reason.GATEWAY_LOST,
                    to.epoch(),
                    seen,
                    fenced,
                    writtenAt,
                    seen == null ? null : writtenAt - seen,
                    coordinator);
        }
        FailoverEvent.Reason reason = draining.contains(from)
                ? FailoverEvent.Reason.DRAINED
                : everLost.contains(to.owner()) ? FailoverEvent.Reason.FAILBACK : FailoverEvent.Reason.REBALANCE;
        return new FailoverEvent(
                to.disk(), from, to.owner(), reason, to.epoch(), null, null, writtenAt, null, coordinator);
    }

    /** After a pass's decision is in force: a lost gateway's loss is over once it is fenced and owns nothing. */
    void applied(Decision d) {
        losses.keySet().removeIf(g -> !unfenced.containsKey(g) && !d.owners().containsValue(g));
    }

    private void lost(String gateway, long nowMillis) {
        losses.putIfAbsent(gateway, new Loss(nowMillis));
        everLost.add(gateway);
    }

    private static String recordedAddress(Map<String, LunOwnership> records, String owner) {
        for (LunOwnership r : records.values()) {
            if (r.owner().equals(owner) && r.ownerAddress() != null) {
                return r.ownerAddress();
            }
        }
        return null;
    }
}
