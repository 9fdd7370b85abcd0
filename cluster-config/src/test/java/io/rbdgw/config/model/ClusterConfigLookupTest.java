package io.rbdgw.config.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The look-ups the reconciler makes per LUN and per target, on configurations of a real cluster's size. */
class ClusterConfigLookupTest {

    /** {@code targets} targets of {@code lunsPerTarget} LUNs each, two clients per target, every 4th one in a group. */
    private static ClusterConfig config(int targets, int lunsPerTarget) {
        List<Target> ts = new ArrayList<>();
        List<Disk> disks = new ArrayList<>();
        List<Lun> luns = new ArrayList<>();
        List<Client> clients = new ArrayList<>();
        List<HostGroup> groups = new ArrayList<>();
        // created in reverse order: the constructor sorts
        for (int t = targets - 1; t >= 0; t--) {
            String iqn = String.format(Locale.ROOT, "iqn.2026-12.io.rbdgw.test:t%05d", t);
            ts.add(Target.of(iqn));
            for (int l = lunsPerTarget - 1; l >= 0; l--) {
                Disk d = Disk.memory("pool", String.format(Locale.ROOT, "t%05d-d%03d", t, l), 1 << 20);
                disks.add(d);
                luns.add(new Lun(iqn, l, d.id()));
            }
            String a = String.format(Locale.ROOT, "iqn.2026-12.io.rbdgw.host:h%05d-a", t);
            String b = String.format(Locale.ROOT, "iqn.2026-12.io.rbdgw.host:h%05d-b", t);
            clients.add(Client.allLuns(iqn, a));
            clients.add(Client.withLuns(iqn, b, Set.of(0)));
            if (t % 4 == 0) {
                groups.add(HostGroup.of(
                        iqn,
                        "g" + t,
                        Set.of(b),
                        Set.of(luns.get(luns.size() - 2).diskId())));
            }
        }
        return new ClusterConfig(
                1, null, ts, disks, List.of(), luns, clients, groups, Authentication.NONE, Settings.DEFAULTS);
    }

    @Test
    void lookupsFindWhatAScanFinds() {
        ClusterConfig c = config(37, 5);
        for (Target t : c.targets()) {
            String iqn = t.iqn();
            assertThat(c.target(iqn)).contains(t);
            assertThat(c.luns(iqn))
                    .containsExactlyElementsOf(c.luns().stream()
                            .filter(l -> l.target().equals(iqn))
                            .toList())
                    .hasSize(5);
            assertThat(c.clients(iqn))
                    .containsExactlyElementsOf(c.clients().stream()
                            .filter(x -> x.target().equals(iqn))
                            .toList())
                    .hasSize(2);
            assertThat(c.hostGroups(iqn))
                    .containsExactlyElementsOf(c.hostGroups().stream()
                            .filter(g -> g.target().equals(iqn))
                            .toList());
            for (Lun l : c.luns(iqn)) {
                assertThat(c.lun(iqn, l.number())).contains(l);
                assertThat(c.disk(l.diskId()).map(Disk::id)).contains(l.diskId());
            }
            for (Client x : c.clients(iqn)) {
                assertThat(c.client(iqn, x.initiator())).contains(x);
            }
            for (HostGroup g : c.hostGroups(iqn)) {
                assertThat(c.hostGroup(iqn, g.name())).contains(g);
                assertThat(c.hostGroupOf(iqn, g.members().first())).contains(g);
            }
            assertThat(c.lun(iqn, 5)).isEmpty();
            assertThat(c.client(iqn, "iqn.2026-12.io.rbdgw.host:nobody")).isEmpty();
        }
        // absent keys: before the first, between two and after the last entry
        assertThat(c.target("iqn.2026-12.io.rbdgw.test:a")).isEmpty();
        assertThat(c.target("iqn.2026-12.io.rbdgw.test:t00001x")).isEmpty();
        assertThat(c.target("iqn.2026-12.io.rbdgw.test:z")).isEmpty();
        assertThat(c.luns("iqn.2026-12.io.rbdgw.test:z")).isEmpty();
        assertThat(c.disk("pool/zzz")).isEmpty();
        assertThat(c.disk("aaa/t00000-d000")).isEmpty();
        assertThat(c.target(null)).isEmpty();
        assertThat(c.disk(null)).isEmpty();
        assertThat(c.luns(null)).isEmpty();
        assertThat(c.gateway("gw-a")).isEmpty();
        assertThat(ClusterConfig.EMPTY.disk("pool/x")).isEmpty();
        assertThat(ClusterConfig.EMPTY.luns("iqn.2026-12.io.rbdgw.test:t00000")).isEmpty();
    }

    /**
     * A reconciliation pass looks up the disk of every LUN and the LUNs and clients of every target. With 40,000
     * LUNs on 2,500 targets that took tens of seconds as scans (each a walk over all disks or LUNs); it must stay
     * far below a second per pass.
     */
    @Test
    void lookingUpEveryLunsDiskAndEveryTargetsLunsIsNotQuadratic() {
        ClusterConfig c = config(2500, 16);
        assertThat(c.luns()).hasSize(40_000);
        long[] found = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (Lun l : c.luns()) {
                Optional<Disk> d = c.disk(l.diskId());
                found[0] += d.isPresent() ? 1 : 0;
            }
            for (Target t : c.targets()) {
                found[0] += c.luns(t.iqn()).size() + c.clients(t.iqn()).size();
                found[0] += c.visibleLuns(t.iqn(), c.clients(t.iqn()).get(1).initiator())
                        .size();
            }
        });
        assertThat(found[0]).isEqualTo(40_000 + 40_000 + 5_000 + 2_500 + 625);
    }
}
