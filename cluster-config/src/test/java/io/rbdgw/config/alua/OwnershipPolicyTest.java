package io.rbdgw.config.alua;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.config.alua.OwnershipPolicy.Assign;
import io.rbdgw.config.alua.OwnershipPolicy.Decision;
import io.rbdgw.config.alua.OwnershipPolicy.Member;
import io.rbdgw.config.alua.OwnershipPolicy.Readdress;
import io.rbdgw.config.alua.OwnershipPolicy.Remove;
import io.rbdgw.config.membership.MemberInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The coordinator's decisions driven pass by pass with a hand-held clock, without ZooKeeper. */
class OwnershipPolicyTest {

    private static final long SETTLE = 5_000_000_000L; // 5 s in nanos
    private static final Set<String> DISKS = new TreeSet<>(Set.of("rbd/a", "rbd/b", "rbd/c", "rbd/d"));

    private final OwnershipPolicy policy = new OwnershipPolicy(SETTLE);
    private final Map<String, LunOwnership> records = new TreeMap<>();
    private long now = 1_000_000_000_000L;
    private long millis = 1_700_000_000_000L;

    private static Member member(String name, long session, long startedAt) {
        return new Member(
                new MemberInfo(
                        name,
                        List.of(),
                        "10.0.0." + name.charAt(name.length() - 1) + ":0/" + session,
                        "test",
                        startedAt),
                session);
    }

    private static Map<String, Member> members(Member... ms) {
        Map<String, Member> out = new TreeMap<>();
        for (Member m : ms) {
            out.put(m.info().name(), m);
        }
        return out;
    }

    /** One coordinator pass: observe, fence everything unfenced, decide, and apply the documents as written. */
    private Decision pass(Map<String, Member> members, Set<String> draining, List<FailoverEvent> events) {
        policy.observe(members, records, now, millis);
        policy.unfenced().keySet().forEach(g -> policy.fenced(g, millis));
        return commit(policy.decide(members, records, DISKS, draining, now), members.keySet(), draining, events);
    }

    private Decision commit(Decision d, Set<String> live, Set<String> draining, List<FailoverEvent> events) {
        for (OwnershipPolicy.Change c : d.changes()) {
            if (c instanceof Assign a) {
                events.add(policy.event(a, live, draining, millis, "gw-1"));
                records.put(a.disk(), a.next());
            } else if (c instanceof Readdress r) {
                records.put(r.disk(), r.next());
            } else {
                records.remove(c.disk());
            }
        }
        policy.applied(d);
        return d;
    }

    private Map<String, Integer> load() {
        Map<String, Integer> out = new HashMap<>();
        records.values().forEach(r -> out.merge(r.owner(), 1, Integer::sum));
        return out;
    }

    @Test
    void membersPresentAtElectionAreSettledAtOnceAndGetEveryDiskBalanced() {
        Map<String, Member> ms = members(member("gw-1", 11, 1), member("gw-2", 12, 1));
        policy.elected();
        policy.baseline(ms, records, now, millis);
        List<FailoverEvent> events = new ArrayList<>();

        Decision d = pass(ms, Set.of(), events);

        assertThat(d.nextSettleNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(load()).containsExactlyInAnyOrderEntriesOf(Map.of("gw-1", 2, "gw-2", 2));
        assertThat(events).extracting(FailoverEvent::reason).containsOnly(FailoverEvent.Reason.ASSIGNED);
        assertThat(records.values()).allSatisfy(r -> assertThat(r.epoch()).isEqualTo(1));
        assertThat(records.get("rbd/a").ownerAddress()).isEqualTo("10.0.0.1:0/11");
    }

    @Test
    void aJoiningGatewayWaitsTheSettleDelayThenGetsItsShare() {
        Map<String, Member> one = members(member("gw-1", 11, 1));
        policy.elected();
        policy.baseline(one, records, now, millis);
        List<FailoverEvent> events = new ArrayList<>();
        pass(one, Set.of(), events);
        assertThat(load()).containsExactly(Map.entry("gw-1", 4));

        Map<String, Member> two = members(member("gw-1", 11, 1), member("gw-2", 12, 1));
        now += 1_000_000_000L;
        events.clear();
        Decision waiting = pass(two, Set.of(), events);
        assertThat(waiting.changes()).isEmpty();
        assertThat(waiting.nextSettleNanos()).isEqualTo(SETTLE);

        now += SETTLE;
        Decision settled = pass(two, Set.of(), events);
        assertThat(settled.nextSettleNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(load()).containsExactlyInAnyOrderEntriesOf(Map.of("gw-1", 2, "gw-2", 2));
        assertThat(events).extracting(FailoverEvent::reason).containsOnly(FailoverEvent.Reason.REBALANCE);
        assertThat(events).allSatisfy(e -> assertThat(e.epoch()).isEqualTo(2));
    }

    @Test
    void aLostGatewaysDisksStayUntilItIsFencedThenMoveAsAFailoverAndComeBackAsAFailback() {
        Map<String, Member> two = members(member("gw-1", 11, 1), member("gw-2", 12, 1));
        policy.elected();
        policy.baseline(two, records, now, millis);
        List<FailoverEvent> events = new ArrayList<>();
        pass(two, Set.of(), events);

        // gw-2's session ends: lost, fenced at its last address before anything moves
        Map<String, Member> one = members(member("gw-1", 11, 1));
        long seen = millis;
        policy.observe(one, records, now, seen);
        assertThat(policy.unfenced()).containsExactly(Map.entry("gw-2", "10.0.0.2:0/12"));
        Decision unfencedYet = policy.decide(one, records, DISKS, Set.of(), now);
        assertThat(unfencedYet.changes()).isEmpty();
        assertThat(unfencedYet.owners()).containsValue("gw-2");

        millis += 700;
        policy.fenced("gw-2", millis);
        events.clear();
        millis += 300;
        commit(policy.decide(one, records, DISKS, Set.of(), now), one.keySet(), Set.of(), events);
        assertThat(load()).containsExactly(Map.entry("gw-1", 4));
        assertThat(events).hasSize(2).allSatisfy(e -> {
            assertThat(e.reason()).isEqualTo(FailoverEvent.Reason.GATEWAY_LOST);
            assertThat(e.from()).isEqualTo("gw-2");
            assertThat(e.lostSeenAtMillis()).isEqualTo(seen);
            assertThat(e.fencedAtMillis()).isEqualTo(seen + 700);
            assertThat(e.durationMillis()).isEqualTo(1000);
        });

        // it comes back as a new process; once settled it gets its share back
        Map<String, Member> back = members(member("gw-1", 11, 1), member("gw-2", 13, 2));
        now += 1;
        events.clear();
        pass(back, Set.of(), events);
        now += SETTLE;
        pass(back, Set.of(), events);
        assertThat(load()).containsExactlyInAnyOrderEntriesOf(Map.of("gw-1", 2, "gw-2", 2));
        assertThat(events).extracting(FailoverEvent::reason).containsOnly(FailoverEvent.Reason.FAILBACK);
    }

    @Test
    void aMemberSeenThroughAnotherSessionIsLostEvenUnderTheSameName() {
        Map<String, Member> two = members(member("gw-1", 11, 1), member("gw-2", 12, 1));
        policy.elected();
        policy.baseline(two, records, now, millis);
        policy.observe(members(member("gw-1", 11, 1), member("gw-2", 14, 1)), records, now, millis);
        assertThat(policy.unfenced()).containsOnlyKeys("gw-2");
    }

    @Test
    void anOwnerRecordedByAnEarlierCoordinatorThatIsNotAMemberIsFencedAtItsRecordedAddress() {
        records.put("rbd/a", new LunOwnership("rbd/a", "gw-9", 7, "10.0.0.9:0/99"));
        policy.elected();
        policy.baseline(members(member("gw-1", 11, 1)), records, now, millis);
        assertThat(policy.unfenced()).containsExactly(Map.entry("gw-9", "10.0.0.9:0/99"));
    }

    /**
     * The coordinator runs the baseline again when its first pass lost a version race (CI saw the same gateway
     * fenced twice by one new leader): an owner already fenced at that address in this term is not fenced again,
     * one recorded at another address is, and a new term starts over.
     */
    @Test
    void aBaselineRunAgainInTheSameTermDoesNotFenceTheSameGatewayTwice() {
        records.put("rbd/a", new LunOwnership("rbd/a", "gw-9", 7, "10.0.0.9:0/99"));
        Map<String, Member> one = members(member("gw-1", 11, 1));
        policy.elected();
        policy.baseline(one, records, now, millis);
        policy.fenced("gw-9", millis);

        policy.baseline(one, records, now, millis);
        assertThat(policy.unfenced()).isEmpty();

        records.put("rbd/b", new LunOwnership("rbd/b", "gw-9", 3, "10.0.0.9:0/100"));
        policy.baseline(one, records, now, millis);
        assertThat(policy.unfenced()).containsExactly(Map.entry("gw-9", "10.0.0.9:0/100"));

        policy.elected();
        policy.baseline(one, records, now, millis);
        assertThat(policy.unfenced()).containsOnlyKeys("gw-9");
    }

    @Test
    void aDrainedGatewayGivesItsDisksAwayAndGoneDisksLoseTheirDocument() {
        Map<String, Member> two = members(member("gw-1", 11, 1), member("gw-2", 12, 1));
        policy.elected();
        policy.baseline(two, records, now, millis);
        List<FailoverEvent> events = new ArrayList<>();
        pass(two, Set.of(), events);
        records.put("rbd/gone", new LunOwnership("rbd/gone", "gw-1", 3, "10.0.0.1:0/11"));

        events.clear();
        Decision d = pass(two, Set.of("gw-2"), events);

        assertThat(load()).containsExactly(Map.entry("gw-1", 4));
        assertThat(events).extracting(FailoverEvent::reason).containsOnly(FailoverEvent.Reason.DRAINED);
        assertThat(d.changes()).last().isEqualTo(new Remove("rbd/gone"));
        assertThat(records).doesNotContainKey("rbd/gone");
    }

    @Test
    void anOwnersNewAddressIsWrittenWithoutAMove() {
        records.put("rbd/a", new LunOwnership("rbd/a", "gw-1", 4, null));
        Map<String, Member> one = members(member("gw-1", 11, 1));
        policy.elected();
        policy.baseline(one, records, now, millis);

        Decision d = policy.decide(one, records, Set.of("rbd/a"), Set.of(), now);

        assertThat(d.changes()).containsExactly(new Readdress(new LunOwnership("rbd/a", "gw-1", 4, "10.0.0.1:0/11")));
    }
}
