package io.rbdgw.config.store;

import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * Direct, uncached reads of children and documents, for the read-only views of the admin API. A node that is
 * missing (never written, or gone between listing and reading) reads as empty; anything else is a
 * {@link ConfigStoreException}.
 */
public final class ZkReads {
    private final CuratorFramework client;
    private final Documents docs;

    public ZkReads(CuratorFramework client, Documents docs) {
        this.client = client;
        this.docs = docs;
    }

    /** The children of {@code path}, or none if it does not exist. */
    public List<String> children(String path) {
        try {
            return client.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (Exception e) {
            throw new ConfigStoreException("cannot list " + path + ": " + e, e);
        }
    }

    /** The document at {@code path}, or empty if it does not exist; an unreadable one is a ConfigStoreException. */
    public <T> Optional<T> read(String path, Class<T> type) {
        try {
            return Optional.of(
                    docs.read(path, client.getData().forPath(path), type).value());
        } catch (KeeperException.NoNodeException gone) {
            return Optional.empty();
        } catch (ConfigStoreException e) {
            throw e;
        } catch (Exception e) {
            throw new ConfigStoreException("cannot read " + path + ": " + e, e);
        }
    }
}
