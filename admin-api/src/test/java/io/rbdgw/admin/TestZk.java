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
     * A started ZooKeeper on free ports of 127.0.0.1 ({@link #freePort}): {@code new TestingServer(true)} listens on
     * every address, and servers in tests listen on loopback only.
     */
    public static TestingServer loopbackServer() throws Exception {
        InstanceSpec spec = new InstanceSpec(
                null,
                freePort(),
                freePort(),
                freePort(),
                true,
                -1,
                -1,
                -1,
                Map.of("clientPortAddress", "127.0.0.1"),
                "127.0.0.1");
        return new TestingServer(spec, true);
    }

    /** Ports this JVM has handed out: two calls never return the same port, even if neither is bound yet. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A loopback port that is free now, in 20000..29999: below the kernel's ephemeral range (32768 and up by
     * default). A ZooKeeper stopped and restarted in a test must find its port free again, and while it is down
     * its clients keep connecting to it: a client whose local port is the server's own (possible only inside the
     * ephemeral range) connects to itself and holds the port.
     */
    public static int freePort() {
        java.util.Random random = new java.util.Random();
        for (int i = 0; i < 1000; i++) {
            int port = 20000 + random.nextInt(10000);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (java.net.ServerSocket s =
                    new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (java.io.IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("no free port in 20000..29999");
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
