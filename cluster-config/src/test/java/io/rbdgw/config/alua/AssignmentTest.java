package io.rbdgw.config.alua;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class AssignmentTest {

    private static final List<String> DISKS =
            IntStream.rangeClosed(1, 7).mapToObj(i -> "rbd/d" + i).collect(Collectors.toList());
    private static final Set<String> ABC = Set.of("a", "b", "c");

    @Test
    void spreadsEvenly() {
        Map<String, String> p = Assignment.assign(DISKS, Map.of(), ABC, ABC, Set.of(), Set.of());
        assertThat(p).hasSize(7);
        assertThat(counts(p).values()).containsExactlyInAnyOrder(3L, 2L, 2L);
    }

    @Test
    void keepsOwnersAcrossUnrelatedChanges() {
        Map<String, String> p = Assignment.assign(DISKS, Map.of(), ABC, ABC, Set.of(), Set.of());
        List<String> more = new java.util.ArrayList<>(DISKS);
        more.add("rbd/d8");
        Map<String, String> q = Assignment.assign(more, p, ABC, ABC, Set.of(), Set.of());
        p.forEach((d, o) -> assertThat(q.get(d)).as(d).isEqualTo(o));
        assertThat(counts(q).values()).containsOnly(3L, 3L, 2L);
        assertThat(Assignment.assign(DISKS, p, ABC, ABC, Set.of(), Set.of())).isEqualTo(p);
    }

    @Test
    void lostOwnerKeepsItsDisksUntilFencedThenTheyMove() {
        Map<String, String> p = Assignment.assign(DISKS, Map.of(), ABC, ABC, Set.of(), Set.of());
        Set<String> ac = Set.of("a", "c");
        Map<String, String> waiting = Assignment.assign(DISKS, p, ac, ac, Set.of(), Set.of("b"));
        assertThat(waiting).isEqualTo(p);
        Map<String, String> moved = Assignment.assign(DISKS, p, ac, ac, Set.of(), Set.of());
        assertThat(moved).doesNotContainValue("b");
        p.forEach((d, o) -> {
            if (!o.equals("b")) {
                assertThat(moved.get(d)).isEqualTo(o);
            }
        });
    }

    @Test
    void aReturningGatewayGetsItsShareBackOnlyTheExcessMoves() {
        Set<String> ac = Set.of("a", "c");
        Map<String, String> two = Assignment.assign(DISKS, Map.of(), ac, ac, Set.of(), Set.of());
        // b is live but not settled: nothing for it yet
        assertThat(Assignment.assign(DISKS, two, ac, ABC, Set.of(), Set.of())).isEqualTo(two);
        Map<String, String> back = Assignment.assign(DISKS, two, ABC, ABC, Set.of(), Set.of());
        assertThat(counts(back).values()).containsExactlyInAnyOrder(3L, 2L, 2L);
        long moved = DISKS.stream().filter(d -> !back.get(d).equals(two.get(d))).count();
        assertThat(moved).isEqualTo(2);
    }

    @Test
    void drainingGatewayGivesEverythingAwayUnlessItIsTheOnlyOne() {
        Map<String, String> p = Assignment.assign(DISKS, Map.of(), ABC, ABC, Set.of(), Set.of());
        Map<String, String> q = Assignment.assign(DISKS, p, Set.of("a", "c"), ABC, Set.of("b"), Set.of());
        assertThat(q).hasSize(7).doesNotContainValue("b");
        Map<String, String> alone = Assignment.assign(DISKS, p, Set.of(), Set.of("b"), Set.of("b"), Set.of());
        assertThat(alone)
                .hasSize(7)
                .containsOnly(alone.entrySet().stream()
                        .map(e -> Map.entry(e.getKey(), "b"))
                        .toArray(Map.Entry[]::new));
    }

    @Test
    void nobodyAliveKeepsRecordsAsTheyAre() {
        Map<String, String> p = new HashMap<>(Map.of("rbd/d1", "a"));
        assertThat(Assignment.assign(List.of("rbd/d1", "rbd/d2"), p, Set.of(), Set.of(), Set.of(), Set.of()))
                .isEmpty();
    }

    private static Map<String, Long> counts(Map<String, String> p) {
        return p.values().stream().collect(Collectors.groupingBy(o -> o, Collectors.counting()));
    }
}
