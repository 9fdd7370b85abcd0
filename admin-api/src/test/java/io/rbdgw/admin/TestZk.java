package io.rbdgw.admin;

import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Settings;
import io.rbdgw.config.store.ConfigStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/** One in-process ZooKeeper for the whole test JVM, and fresh stores on it. */
public final class TestZk {
    private static final AtomicInteger ROOTS = new AtomicInteger();
    private static TestingServer server;
    private static CuratorFramework client;

    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    private TestZk() {}

    /**
     * A started ZooKeeper on a random port of 127.0.0.1: {@code new TestingServer(true)} listens on every address,
     * and servers in tests listen on loopback only.
     */
    public static TestingServer loopbackServer() throws Exception {
        InstanceSpec spec = new InstanceSpec(
                null, -1, -1, -1, true, -1, -1, -1, Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
        return new TestingServer(spec, true);
    }

    public static synchronized CuratorFramework client() {
        if (client == null) {
            try {
                server = loopbackServer();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            client = CuratorFrameworkFactory.builder()
                    .connectString(server.getConnectString())
                    .sessionTimeoutMs(10_000)
                    .connectionTimeoutMs(5_000)
                    .retryPolicy(new RetryNTimes(10, 100))
                    .build();
            client.start();
        }
        return client;
    }

    /** The in-process ZooKeeper's address, for a client with a session of its own. */
    public static synchronized String connectString() {
        client();
        return server.getConnectString();
    }

    /** An initialized store under a root of its own. */
    public static ConfigStore newStore() {
        ConfigStore s = new ConfigStore(client(), "/admin-test-" + ROOTS.incrementAndGet());
        s.initialize();
        return s;
    }

    /** Empties the configuration (the epoch keeps counting). */
    public static void reset(ConfigStore store) {
        store.update(
                c -> {
                    List<ConfigChange> out = new ArrayList<>();
                    c.targets().forEach(t -> out.add(new ConfigChange.DeleteTarget(t.iqn())));
                    c.disks().forEach(d -> out.add(new ConfigChange.DeleteDisk(d.id())));
                    c.gateways().forEach(g -> out.add(new ConfigChange.DeleteGateway(g.name())));
                    out.add(new ConfigChange.PutDiscoveryAuth(Authentication.NONE));
                    out.add(new ConfigChange.PutSettings(Settings.DEFAULTS));
                    return out;
                },
                5);
    }

    public static ClusterConfig read(ConfigStore store) {
        return store.read();
    }
}
