package io.rbdgw.config.membership;

import io.rbdgw.config.store.ConfigStoreException;
import io.rbdgw.config.store.Documents;
import io.rbdgw.config.store.ZkLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/** Reads who is alive and what each gateway has applied: for the admin API ("which gateways applied epoch E"). */
public final class MembershipView {
    private final CuratorFramework client;
    private final ZkLayout layout;
    private final Documents docs = new Documents();

    public MembershipView(CuratorFramework client, ZkLayout layout) {
        this.client = client;
        this.layout = layout;
    }

    /** The live gateways. */
    public List<MemberInfo> members() {
        List<MemberInfo> out = new ArrayList<>();
        for (String name : children(layout.members())) {
            read(layout.members() + "/" + name, MemberInfo.class).ifPresent(out::add);
        }
        return out;
    }

    public Optional<GatewayStatus> status(String name) {
        return read(layout.status(name), GatewayStatus.class);
    }

    /** Every gateway that is alive or has reported a status, by name. */
    public Map<String, MemberState> states() {
        Map<String, MemberInfo> members = new TreeMap<>();
        members().forEach(m -> members.put(m.name(), m));
        Map<String, GatewayStatus> statuses = new TreeMap<>();
        for (String name : children(layout.statuses())) {
            read(layout.statuses() + "/" + name, GatewayStatus.class).ifPresent(s -> statuses.put(name, s));
        }
        TreeSet<String> names = new TreeSet<>(members.keySet());
        names.addAll(statuses.keySet());
        Map<String, MemberState> out = new TreeMap<>();
        names.forEach(n -> out.put(n, new MemberState(n, Optional.ofNullable(members.get(n)), Optional.ofNullable(statuses.get(n)))));
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

    private List<String> children(String path) {
        try {
            return client.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (Exception e) {
            throw new ConfigStoreException("cannot list " + path + ": " + e, e);
        }
    }

    private <T> Optional<T> read(String path, Class<T> type) {
        try {
            return Optional.of(docs.read(path, client.getData().forPath(path), type).value());
        } catch (KeeperException.NoNodeException gone) {
            return Optional.empty(); // left between listing and reading
        } catch (ConfigStoreException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigStoreException("cannot read " + path + ": " + e, e);
        }
    }
}
