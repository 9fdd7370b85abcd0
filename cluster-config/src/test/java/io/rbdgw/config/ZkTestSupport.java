package io.rbdgw.config;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/** An in-process ZooKeeper and short-timeout clients for the tests. */
public final class ZkTestSupport {
    private static final AtomicInteger ROOTS = new AtomicInteger();

    private ZkTestSupport() {}

    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    public static TestingServer server() throws Exception {
        return new TestingServer(loopback(), true);
    }

    /**
     * A server's spec on free ports of 127.0.0.1 ({@link #freePort}): {@code new TestingServer(true)} listens on
     * every address, and servers in tests listen on loopback only. Ensemble ports bind the spec's host too.
     */
    public static InstanceSpec loopback() {
        return new InstanceSpec(
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

    /** A started client with a short session so expiry tests are quick. */
    public static CuratorFramework client(String connect) {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(4000)
                .connectionTimeoutMs(2000)
                .retryPolicy(new RetryNTimes(20, 100))
                .build();
        c.start();
        return c;
    }

    /** A started client that authenticates with {@code creds} and creates znodes with their ACL. */
    public static CuratorFramework client(String connect, io.rbdgw.config.zk.ZkCredentials creds) {
        CuratorFramework c = creds.applyTo(CuratorFrameworkFactory.builder()
                        .connectString(connect)
                        .sessionTimeoutMs(4000)
                        .connectionTimeoutMs(2000)
                        .retryPolicy(new RetryNTimes(20, 100)))
                .build();
        c.start();
        return c;
    }

    public static String newRoot() {
        return "/rbdgw-test-" + ROOTS.incrementAndGet();
    }
}
