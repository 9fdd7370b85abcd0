package io.rbdgw.config.membership;

import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import io.rbdgw.config.store.ZkReads;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.curator.framework.CuratorFramework;

/** Reads who is alive and what each gateway has applied: for the admin API ("which gateways applied epoch E"). */
public final class MembershipView {
    private final ZkLayout layout;
    private final ZkReads zk;

    public MembershipView(CuratorFramework client, ZkLayout layout) {
        this.layout = layout;
        this.zk = new ZkReads(client, new Documents());
    }

    /** The live gateways. */
    public List<MemberInfo> members() {
        List<MemberInfo> out = new ArrayList<>();
        for (String name : zk.children(layout.members())) {
            zk.read(layout.members() + "/" + name, MemberInfo.class).ifPresent(out::add);
        }
        return out;
    }

    public Optional<GatewayStatus> status(String name) {
        return zk.read(layout.status(name), GatewayStatus.class);
    }

    /** Every gateway that is alive or has reported a status, by name. */
    public Map<String, MemberState> states() {
        Map<String, MemberInfo> members = new TreeMap<>();
        members().forEach(m -> members.put(m.name(), m));
        Map<String, GatewayStatus> statuses = new TreeMap<>();
        for (String name : zk.children(layout.statuses())) {
            zk.read(layout.statuses() + "/" + name, GatewayStatus.class).ifPresent(s -> statuses.put(name, s));
        }
        TreeSet<String> names = new TreeSet<>(members.keySet());
        names.addAll(statuses.keySet());
        Map<String, MemberState> out = new TreeMap<>();
        names.forEach(n -> out.put(
                n, new MemberState(n, Optional.ofNullable(members.get(n)), Optional.ofNullable(statuses.get(n)))));
        return out;
    }

    /** The live gateways that have applied {@code epoch} or later. */
    public SortedSet<String> appliedAtLeast(long epoch) {
        TreeSet<String> out = new TreeSet<>();
        states().values().stream().filter(s -> s.applied(epoch)).forEach(s -> out.add(s.name()));
        return out;
    }

    /** The live gateways that have not yet applied {@code epoch}. */
    public SortedSet<String> pending(long epoch) {
        TreeSet<String> out = new TreeSet<>();
        states().values().stream().filter(s -> s.alive() && !s.applied(epoch)).forEach(s -> out.add(s.name()));
        return out;
    }
}
