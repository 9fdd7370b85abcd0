package io.rbdgw.it;

import io.rbdgw.config.store.ConfigStore;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;

/**
 * A real ZooKeeper in the test's JVM (curator-test) with an initialized configuration store under
 * {@code /rbdgw}: what the tests that start {@code run} gateways configure them through, as the admin API would.
 */
public final class ZkConfig implements AutoCloseable {

    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    private final TestingServer server;
    private final CuratorFramework client;
    private final ConfigStore store;

    public ZkConfig() throws Exception {
        server = new TestingServer(true);
        client = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .sessionTimeoutMs(30000).connectionTimeoutMs(3000).retryPolicy(new RetryNTimes(20, 100)).build();
        client.start();
        store = new ConfigStore(client, "/rbdgw");
        store.initialize();
    }

    /** The connect string to give gateways ({@code --zookeeper}). */
    public String connectString() {
        return server.getConnectString();
    }

    public CuratorFramework client() {
        return client;
    }

    public ConfigStore store() {
        return store;
    }

    @Override
    public void close() throws Exception {
        client.close();
        server.close();
    }
}
