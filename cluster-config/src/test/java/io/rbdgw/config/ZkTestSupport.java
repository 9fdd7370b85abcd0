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
     * A server's spec on a random port of 127.0.0.1: {@code new TestingServer(true)} listens on every address, and
     * servers in tests listen on loopback only. Ensemble ports bind the spec's host too.
     */
    public static InstanceSpec loopback() {
        return new InstanceSpec(
                null, -1, -1, -1, true, -1, -1, -1, Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
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
