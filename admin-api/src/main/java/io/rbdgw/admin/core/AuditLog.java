package io.rbdgw.admin.core;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.rbdgw.admin.api.AuditEntry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * The audit trail in ZooKeeper: one persistent sequential znode per accepted change under {@code /<root>/audit},
 * the oldest deleted beyond {@link #capacity} entries, so every admin API instance writes into and reads the same
 * bounded history.
 */
public final class AuditLog {
    public static final int DEFAULT_CAPACITY = 1000;
    private static final String PREFIX = "e-";

    private final CuratorFramework client;
    private final String path;
    private final int capacity;
    private final ObjectMapper json = new ObjectMapper();

    public AuditLog(CuratorFramework client, String root, int capacity) {
        this.client = client;
        this.path = (root.equals("/") ? "" : root) + "/audit";
        this.capacity = capacity;
    }

    public String path() {
        return path;
    }

    /** Appends an entry (its sequence is ZooKeeper's) and trims the history to the capacity. */
    public void append(AuditEntry entry) throws Exception {
        client.create()
                .creatingParentsIfNeeded()
                .withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                .forPath(path + "/" + PREFIX, json.writeValueAsBytes(entry));
        List<String> children = sorted();
        for (int i = 0; i < children.size() - capacity; i++) {
            try {
                client.delete().forPath(path + "/" + children.get(i));
            } catch (KeeperException.NoNodeException e) {
                // another instance trimmed it already
            }
        }
    }

    /** The newest {@code limit} entries, newest first. */
    public List<AuditEntry> recent(int limit) throws Exception {
        List<String> children;
        try {
            children = sorted();
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
        List<AuditEntry> out = new ArrayList<>();
        for (int i = children.size() - 1; i >= 0 && out.size() < limit; i--) {
            String name = children.get(i);
            byte[] data;
            try {
                data = client.getData().forPath(path + "/" + name);
            } catch (KeeperException.NoNodeException e) {
                continue; // trimmed meanwhile
            }
            AuditEntry e = json.readValue(data, AuditEntry.class);
            out.add(new AuditEntry(
                    sequence(name),
                    e.time(),
                    e.user(),
                    e.address(),
                    e.method(),
                    e.path(),
                    e.body(),
                    e.status(),
                    e.epoch()));
        }
        return out;
    }

    private List<String> sorted() throws Exception {
        List<String> children = new ArrayList<>(client.getChildren().forPath(path));
        children.removeIf(c -> !c.startsWith(PREFIX));
        children.sort(Comparator.comparingLong(AuditLog::sequence));
        return children;
    }

    private static long sequence(String name) {
        try {
            return Long.parseLong(name.substring(PREFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
