package io.rbdgw.config.store;

import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.HostGroup;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.SchemaVersion;
import io.rbdgw.config.model.Settings;
import io.rbdgw.config.model.Target;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration as znodes: every config znode below {@code config/} (except the epoch and the change records)
 * with the value it holds, and back. Containers ({@code targets}, a target's {@code luns}, ...) hold no document.
 */
final class ConfigDocs {
    /** The value of a container znode (no document; stored empty). */
    static final Object CONTAINER = new Object() {
        @Override
        public String toString() {
            return "(container)";
        }
    };

    private final ZkLayout layout;
    private final int prefix;

    ConfigDocs(ZkLayout layout) {
        this.layout = layout;
        this.prefix = layout.config().length() + 1;
    }

    /** Every config znode of {@code c} with its value or {@link #CONTAINER}; parents before children. */
    Map<String, Object> of(ClusterConfig c) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put(layout.targets(), CONTAINER);
        for (Target target : c.targets()) {
            String iqn = target.iqn();
            t.put(layout.target(iqn), target);
            t.put(layout.luns(iqn), CONTAINER);
            t.put(layout.clients(iqn), CONTAINER);
            t.put(layout.hostGroups(iqn), CONTAINER);
        }
        c.luns().forEach(l -> t.put(layout.lun(l.target(), l.number()), l));
        c.clients().forEach(x -> t.put(layout.client(x.target(), x.initiator()), x));
        c.hostGroups().forEach(g -> t.put(layout.hostGroup(g.target(), g.name()), g));
        t.put(layout.disks(), CONTAINER);
        c.disks().forEach(d -> t.put(layout.disk(d.id()), d));
        t.put(layout.gateways(), CONTAINER);
        c.gateways().forEach(g -> t.put(layout.gateway(g.name()), g));
        t.put(layout.discovery(), c.discoveryAuth());
        t.put(layout.settings(), c.settings());
        return t;
    }

    /** The document type stored at {@code path}, or null for a container (or a znode that is no document). */
    Class<?> typeOf(String path) {
        if (!path.startsWith(layout.config()) || path.length() <= prefix) {
            return null;
        }
        String[] p = path.substring(prefix).split("/", -1);
        return switch (p[0]) {
            case ZkLayout.TARGETS -> p.length == 2 ? Target.class : p.length == 4 ? targetChildType(p[2]) : null;
            case ZkLayout.DISKS -> p.length == 2 ? Disk.class : null;
            case ZkLayout.GATEWAYS -> p.length == 2 ? Gateway.class : null;
            case ZkLayout.DISCOVERY -> p.length == 1 ? Authentication.class : null;
            case ZkLayout.SETTINGS -> p.length == 1 ? Settings.class : null;
            default -> null;
        };
    }

    /**
     * Whether the config znode at {@code path} holds config znodes below it: a list ({@code targets}, {@code disks},
     * {@code gateways}, a target's lists) or a target.
     */
    boolean mayHaveChildren(String path) {
        if (!path.startsWith(layout.config()) || path.length() <= prefix) {
            return false;
        }
        String[] p = path.substring(prefix).split("/", -1);
        return switch (p[0]) {
            case ZkLayout.TARGETS -> p.length <= 2 || (p.length == 3 && targetChildType(p[2]) != null);
            case ZkLayout.DISKS, ZkLayout.GATEWAYS -> p.length == 1;
            default -> false;
        };
    }

    private static Class<?> targetChildType(String list) {
        return switch (list) {
            case ZkLayout.LUNS -> Lun.class;
            case ZkLayout.CLIENTS -> Client.class;
            case ZkLayout.HOST_GROUPS -> HostGroup.class;
            default -> null;
        };
    }

    /** {@code path} relative to {@code config/} (how change records name znodes). */
    String relative(String path) {
        return path.substring(prefix);
    }

    /** The absolute path of a znode named relative to {@code config/}. */
    String absolute(String relative) {
        return layout.config() + "/" + relative;
    }

    /**
     * The configuration made of these documents (containers are skipped).
     *
     * @throws IllegalArgumentException the documents are not a consistent configuration
     */
    static ClusterConfig build(long epoch, SchemaVersion schema, Collection<Object> values) {
        List<Target> targets = new ArrayList<>();
        List<Lun> luns = new ArrayList<>();
        List<Client> clients = new ArrayList<>();
        List<HostGroup> groups = new ArrayList<>();
        List<Disk> disks = new ArrayList<>();
        List<Gateway> gateways = new ArrayList<>();
        Authentication discovery = null;
        Settings settings = null;
        for (Object v : values) {
            if (v instanceof Target t) {
                targets.add(t);
            } else if (v instanceof Lun l) {
                luns.add(l);
            } else if (v instanceof Client c) {
                clients.add(c);
            } else if (v instanceof HostGroup g) {
                groups.add(g);
            } else if (v instanceof Disk d) {
                disks.add(d);
            } else if (v instanceof Gateway g) {
                gateways.add(g);
            } else if (v instanceof Authentication a) {
                discovery = a;
            } else if (v instanceof Settings s) {
                settings = s;
            }
        }
        return new ClusterConfig(epoch, schema, targets, disks, gateways, luns, clients, groups, discovery, settings);
    }
}
