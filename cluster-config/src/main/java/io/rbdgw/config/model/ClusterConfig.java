package io.rbdgw.config.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The whole desired state of the cluster at one epoch. The compact constructor checks that it is internally
 * consistent (every LUN names an existing target and disk, every client's LUNs exist, host group members are
 * clients of their target, ...), so no half-applied or dangling configuration can be built, stored or delivered.
 *
 * <p>Collections are unmodifiable and sorted by their keys, so two equal configurations compare equal.
 *
 * @param epoch the configuration epoch: bumped by every committed change
 * @param schema the layout version the configuration was read from (what it will be written as is always
 *     {@link SchemaVersion#CURRENT})
 */
public record ClusterConfig(
        long epoch,
        SchemaVersion schema,
        List<Target> targets,
        List<Disk> disks,
        List<Gateway> gateways,
        List<Lun> luns,
        List<Client> clients,
        List<HostGroup> hostGroups,
        Authentication discoveryAuth,
        Settings settings) {

    public static final ClusterConfig EMPTY = new ClusterConfig(
            0, SchemaVersion.CURRENT, null, null, null, null, null, null, Authentication.NONE, Settings.DEFAULTS);

    public ClusterConfig {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative, was " + epoch);
        }
        if (schema == null) {
            schema = SchemaVersion.CURRENT;
        }
        targets = sorted(targets, Comparator.comparing(Target::iqn));
        disks = sorted(disks, Comparator.comparing(Disk::id));
        gateways = sorted(gateways, Comparator.comparing(Gateway::name));
        luns = sorted(luns, Comparator.comparing(Lun::target).thenComparingInt(Lun::number));
        clients = sorted(clients, Comparator.comparing(Client::target).thenComparing(Client::initiator));
        hostGroups = sorted(hostGroups, Comparator.comparing(HostGroup::target).thenComparing(HostGroup::name));
        if (discoveryAuth == null) {
            discoveryAuth = Authentication.NONE;
        }
        if (settings == null) {
            settings = Settings.DEFAULTS;
        }
        checkConsistent(targets, disks, gateways, luns, clients, hostGroups);
    }

    private static <T> List<T> sorted(List<T> in, Comparator<T> order) {
        if (in == null) {
            return List.of();
        }
        List<T> copy = new ArrayList<>(in);
        copy.sort(order);
        return List.copyOf(copy);
    }

    private static void checkConsistent(
            List<Target> targets,
            List<Disk> disks,
            List<Gateway> gateways,
            List<Lun> luns,
            List<Client> clients,
            List<HostGroup> hostGroups) {
        Set<String> targetIds = unique("target", targets, Target::iqn);
        Set<String> diskIds = unique("disk", disks, Disk::id);
        unique("gateway", gateways, Gateway::name);
        Map<Integer, String> tpgs = new HashMap<>();
        Map<String, String> portals = new HashMap<>();
        for (Gateway g : gateways) {
            String other = tpgs.putIfAbsent(g.targetPortGroup(), g.name());
            if (other != null) {
                throw new IllegalArgumentException(
                        "gateways " + other + " and " + g.name() + " share target port group " + g.targetPortGroup());
            }
            for (Portal p : g.portals()) {
                String owner = portals.putIfAbsent(p.toString(), g.name());
                if (owner != null) {
                    throw new IllegalArgumentException(
                            "portal " + p + " is declared by gateways " + owner + " and " + g.name());
                }
            }
        }
        // target -> lun number -> disk
        Map<String, Map<Integer, String>> lunsByTarget = new HashMap<>();
        for (Lun l : luns) {
            if (!targetIds.contains(l.target())) {
                throw new IllegalArgumentException("LUN " + l.number() + " refers to unknown target " + l.target());
            }
            if (!diskIds.contains(l.diskId())) {
                throw new IllegalArgumentException(
                        "LUN " + l.number() + " of target " + l.target() + " refers to unknown disk " + l.diskId());
            }
            Map<Integer, String> m = lunsByTarget.computeIfAbsent(l.target(), t -> new HashMap<>());
            if (m.put(l.number(), l.diskId()) != null) {
                throw new IllegalArgumentException("target " + l.target() + " has LUN " + l.number() + " twice");
            }
            if (m.values().stream().filter(l.diskId()::equals).count() > 1) {
                throw new IllegalArgumentException("disk " + l.diskId() + " is mapped twice on target " + l.target());
            }
        }
        Set<String> clientKeys = new HashSet<>();
        for (Client c : clients) {
            if (!targetIds.contains(c.target())) {
                throw new IllegalArgumentException(
                        "client " + c.initiator() + " refers to unknown target " + c.target());
            }
            if (!clientKeys.add(c.target() + " " + c.initiator())) {
                throw new IllegalArgumentException(
                        "client " + c.initiator() + " is defined twice on target " + c.target());
            }
            Map<Integer, String> m = lunsByTarget.getOrDefault(c.target(), Map.of());
            for (int n : c.luns()) {
                if (!m.containsKey(n)) {
                    throw new IllegalArgumentException("client " + c.initiator() + " maps LUN " + n + " which target "
                            + c.target() + " does not have");
                }
            }
        }
        Set<String> groupKeys = new HashSet<>();
        Map<String, String> groupOfMember = new HashMap<>();
        for (HostGroup g : hostGroups) {
            if (!targetIds.contains(g.target())) {
                throw new IllegalArgumentException(
                        "host group " + g.name() + " refers to unknown target " + g.target());
            }
            if (!groupKeys.add(g.target() + " " + g.name())) {
                throw new IllegalArgumentException(
                        "host group " + g.name() + " is defined twice on target " + g.target());
            }
            for (String m : g.members()) {
                if (!clientKeys.contains(g.target() + " " + m)) {
                    throw new IllegalArgumentException(
                            "host group " + g.name() + " member " + m + " is not a client of target " + g.target());
                }
                String other = groupOfMember.putIfAbsent(g.target() + " " + m, g.name());
                if (other != null) {
                    throw new IllegalArgumentException("initiator " + m + " is in host groups " + other + " and "
                            + g.name() + " of target " + g.target() + "; an initiator belongs to one group per target");
                }
            }
            Collection<String> mapped =
                    lunsByTarget.getOrDefault(g.target(), Map.of()).values();
            for (String d : g.disks()) {
                if (!mapped.contains(d)) {
                    throw new IllegalArgumentException("host group " + g.name() + " lists disk " + d
                            + " which is not a LUN of target " + g.target());
                }
            }
        }
    }

    private static <T> Set<String> unique(String what, List<T> items, Function<T, String> key) {
        Set<String> seen = new HashSet<>();
        for (T t : items) {
            if (!seen.add(key.apply(t))) {
                throw new IllegalArgumentException(what + " " + key.apply(t) + " is defined twice");
            }
        }
        return seen;
    }

    // ---- look-ups --------------------------------------------------------------------------------------------

    // The lists are sorted by their keys (compact constructor), so look-ups are binary searches: the reconciler
    // looks up every LUN's disk and every target's LUNs and clients on each pass, which scanning made quadratic
    // in the number of LUNs (seconds per pass at a few thousand).

    public Optional<Target> target(String iqn) {
        return iqn == null ? Optional.empty() : find(targets, t -> t.iqn().compareTo(iqn));
    }

    public Optional<Disk> disk(String id) {
        return id == null ? Optional.empty() : find(disks, d -> d.id().compareTo(id));
    }

    public Optional<Gateway> gateway(String name) {
        return name == null ? Optional.empty() : find(gateways, g -> g.name().compareTo(name));
    }

    public List<Lun> luns(String target) {
        return target == null ? List.of() : range(luns, l -> l.target().compareTo(target));
    }

    public Optional<Lun> lun(String target, int number) {
        return target == null
                ? Optional.empty()
                : find(luns, l -> {
                    int c = l.target().compareTo(target);
                    return c != 0 ? c : Integer.compare(l.number(), number);
                });
    }

    public List<Client> clients(String target) {
        return target == null ? List.of() : range(clients, c -> c.target().compareTo(target));
    }

    public Optional<Client> client(String target, String initiator) {
        return target == null || initiator == null
                ? Optional.empty()
                : find(clients, c -> {
                    int t = c.target().compareTo(target);
                    return t != 0 ? t : c.initiator().compareTo(initiator);
                });
    }

    public List<HostGroup> hostGroups(String target) {
        return target == null ? List.of() : range(hostGroups, g -> g.target().compareTo(target));
    }

    public Optional<HostGroup> hostGroup(String target, String name) {
        return target == null || name == null
                ? Optional.empty()
                : find(hostGroups, g -> {
                    int t = g.target().compareTo(target);
                    return t != 0 ? t : g.name().compareTo(name);
                });
    }

    /** The host group of {@code target} that {@code initiator} belongs to, if any. */
    public Optional<HostGroup> hostGroupOf(String target, String initiator) {
        return hostGroups(target).stream()
                .filter(g -> g.members().contains(initiator))
                .findFirst();
    }

    /** The first index whose item is not before the key ({@code after}: not before or at it); {@code order} compares an item with the key. */
    private static <T> int bound(List<T> items, ToIntFunction<T> order, boolean after) {
        int lo = 0;
        int hi = items.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int c = order.applyAsInt(items.get(mid));
            if (c < 0 || after && c == 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The items that compare equal to the key: a view of the (unmodifiable) sorted list. */
    private static <T> List<T> range(List<T> items, ToIntFunction<T> order) {
        return items.subList(bound(items, order, false), bound(items, order, true));
    }

    private static <T> Optional<T> find(List<T> items, ToIntFunction<T> order) {
        int i = bound(items, order, false);
        return i < items.size() && order.applyAsInt(items.get(i)) == 0 ? Optional.of(items.get(i)) : Optional.empty();
    }

    // ---- access control --------------------------------------------------------------------------------------

    /** Whether {@code initiator} may log in to {@code target}: the target exists and either its ACL is off or the initiator is a client. */
    public boolean isAllowed(String target, String initiator) {
        Optional<Target> t = target(target);
        return t.isPresent()
                && (!t.get().aclEnabled() || client(target, initiator).isPresent());
    }

    /** The CHAP settings that apply to {@code initiator}'s login to {@code target}: the client's with the ACL on, the target's otherwise. */
    public Optional<Authentication> authenticationFor(String target, String initiator) {
        Optional<Target> t = target(target);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        if (!t.get().aclEnabled()) {
            return Optional.of(t.get().auth());
        }
        return client(target, initiator).map(Client::auth);
    }

    /**
     * The LUNs {@code initiator} sees on {@code target} (LUN masking), keyed by LUN number: none if it is not
     * allowed; every LUN with the ACL off or for an all-LUNs client; otherwise its own LUNs plus those exporting
     * its host group's disks.
     */
    public SortedSet<Integer> visibleLuns(String target, String initiator) {
        TreeSet<Integer> out = new TreeSet<>();
        if (!isAllowed(target, initiator)) {
            return out;
        }
        List<Lun> all = luns(target);
        Optional<Client> c = client(target, initiator);
        if (c.isEmpty() || c.get().allLuns()) {
            all.forEach(l -> out.add(l.number()));
            return out;
        }
        out.addAll(c.get().luns());
        hostGroupOf(target, initiator)
                .ifPresent(g ->
                        all.stream().filter(l -> g.disks().contains(l.diskId())).forEach(l -> out.add(l.number())));
        return out;
    }

    // ---- changes ---------------------------------------------------------------------------------------------

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A mutable copy used to compute a change; {@link #build()} validates the result. */
    public static final class Builder {
        private long epoch;
        private SchemaVersion schema;
        final Map<String, Target> targets = new TreeMap<>();
        final Map<String, Disk> disks = new TreeMap<>();
        final Map<String, Gateway> gateways = new TreeMap<>();
        final Map<String, Lun> luns = new LinkedHashMap<>();
        final Map<String, Client> clients = new LinkedHashMap<>();
        final Map<String, HostGroup> hostGroups = new LinkedHashMap<>();
        Authentication discoveryAuth;
        Settings settings;

        private Builder(ClusterConfig c) {
            epoch = c.epoch;
            schema = c.schema;
            c.targets.forEach(t -> targets.put(t.iqn(), t));
            c.disks.forEach(d -> disks.put(d.id(), d));
            c.gateways.forEach(g -> gateways.put(g.name(), g));
            c.luns.forEach(l -> luns.put(l.target() + " " + l.number(), l));
            c.clients.forEach(x -> clients.put(x.target() + " " + x.initiator(), x));
            c.hostGroups.forEach(g -> hostGroups.put(g.target() + " " + g.name(), g));
            discoveryAuth = c.discoveryAuth;
            settings = c.settings;
        }

        public Builder epoch(long e) {
            epoch = e;
            return this;
        }

        public Builder schema(SchemaVersion v) {
            schema = v;
            return this;
        }

        public Builder put(Target t) {
            targets.put(t.iqn(), t);
            return this;
        }

        public Builder put(Disk d) {
            disks.put(d.id(), d);
            return this;
        }

        public Builder put(Gateway g) {
            gateways.put(g.name(), g);
            return this;
        }

        public Builder put(Lun l) {
            luns.put(l.target() + " " + l.number(), l);
            return this;
        }

        public Builder put(Client c) {
            clients.put(c.target() + " " + c.initiator(), c);
            return this;
        }

        public Builder put(HostGroup g) {
            hostGroups.put(g.target() + " " + g.name(), g);
            return this;
        }

        public Builder discoveryAuth(Authentication a) {
            discoveryAuth = a;
            return this;
        }

        public Builder settings(Settings s) {
            settings = s;
            return this;
        }

        /** Removes the target with its LUNs, clients and host groups (the disks stay). */
        public Builder removeTarget(String iqn) {
            require(targets.remove(iqn) != null, "target " + iqn);
            luns.values().removeIf(l -> l.target().equals(iqn));
            clients.values().removeIf(c -> c.target().equals(iqn));
            hostGroups.values().removeIf(g -> g.target().equals(iqn));
            return this;
        }

        public Builder removeDisk(String id) {
            require(disks.remove(id) != null, "disk " + id);
            return this;
        }

        public Builder removeGateway(String name) {
            require(gateways.remove(name) != null, "gateway " + name);
            return this;
        }

        public Builder removeLun(String target, int number) {
            require(luns.remove(target + " " + number) != null, "LUN " + number + " of target " + target);
            return this;
        }

        public Builder removeClient(String target, String initiator) {
            require(clients.remove(target + " " + initiator) != null, "client " + initiator + " of target " + target);
            return this;
        }

        public Builder removeHostGroup(String target, String name) {
            require(hostGroups.remove(target + " " + name) != null, "host group " + name + " of target " + target);
            return this;
        }

        private static void require(boolean found, String what) {
            if (!found) {
                throw new NoSuchElementException("no " + what);
            }
        }

        public ClusterConfig build() {
            return new ClusterConfig(
                    epoch,
                    schema,
                    new ArrayList<>(targets.values()),
                    new ArrayList<>(disks.values()),
                    new ArrayList<>(gateways.values()),
                    new ArrayList<>(luns.values()),
                    new ArrayList<>(clients.values()),
                    new ArrayList<>(hostGroups.values()),
                    discoveryAuth,
                    settings);
        }
    }
}
