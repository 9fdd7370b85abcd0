package io.rbdgw.it;

import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.Documents;
import io.rbdgw.config.zk.ZkCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.apache.curator.RetryPolicy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.retry.RetryUntilElapsed;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * A real ZooKeeper in the test's JVM (curator-test) with an initialized configuration store under
 * {@code /rbdgw}: what the tests that start {@code run} gateways configure them through, as the admin API would.
 * The tree is closed as in production: this client authenticates with a digest credential and every znode gets
 * its owner-only ACL; gateways started through {@link GatewayProcess#run(String, int, Path, ZkConfig, String...)}
 * get the same credential ({@link #authFile}).
 */
public final class ZkConfig implements AutoCloseable {

    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    private final TestingServer server;
    private final CuratorFramework client;
    private final ConfigStore store;
    private final Path authDir;
    private final Path authFile;
    private volatile boolean running = true;

    public ZkConfig() throws Exception {
        this(loopbackServer(), 30000, new RetryNTimes(20, 100));
    }

    private ZkConfig(TestingServer server, int sessionTimeoutMs, RetryPolicy retry) throws Exception {
        this.server = server;
        authDir = Files.createTempDirectory("rbdgw-zk-auth");
        authFile = authDir.resolve("zk-auth");
        Files.createFile(authFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(authFile, "rbdgw:" + java.util.UUID.randomUUID() + "\n");
        ZkCredentials credentials = ZkCredentials.fromFile(authFile);
        client = credentials
                .applyTo(CuratorFrameworkFactory.builder()
                        .connectString(server.getConnectString())
                        .sessionTimeoutMs(sessionTimeoutMs)
                        .connectionTimeoutMs(3000)
                        .retryPolicy(retry))
                .build();
        client.start();
        store = new ConfigStore(client, "/rbdgw");
        store.initialize();
    }

    /**
     * A started ZooKeeper on free ports of 127.0.0.1 below the ephemeral range ({@link GatewayProcess#freePort}):
     * {@code new TestingServer(true)} listens on every address, and servers in tests listen on loopback only.
     */
    public static TestingServer loopbackServer() throws Exception {
        InstanceSpec spec = new InstanceSpec(
                null,
                GatewayProcess.freePort(),
                GatewayProcess.freePort(),
                GatewayProcess.freePort(),
                true,
                -1,
                -1,
                -1,
                Map.of("clientPortAddress", "127.0.0.1"),
                "127.0.0.1");
        return new TestingServer(spec, true);
    }

    /**
     * A ZooKeeper for outages: {@link #stop} and {@link #restart} keep its loopback port (below the ephemeral range,
     * so that it is still free on restart) and its data under {@code dataDir}; its tick is {@code tickMs} (session
     * timeouts are bounded by 2 to 20 ticks). The test's own client waits out the outage: a 60 s session, each
     * operation retried for up to two minutes (never forever: a test that fails while the server is stopped must
     * still be able to end).
     */
    public static ZkConfig restartable(Path dataDir, int tickMs) throws Exception {
        InstanceSpec spec = new InstanceSpec(
                dataDir.toFile(),
                GatewayProcess.freePort(),
                -1,
                -1,
                false,
                1,
                tickMs,
                100,
                Map.of("clientPortAddress", "127.0.0.1"),
                "127.0.0.1");
        return new ZkConfig(new TestingServer(spec, true), 60000, new RetryUntilElapsed(120_000, 200));
    }

    /** The connect string to give gateways ({@code --zookeeper}). */
    public String connectString() {
        return server.getConnectString();
    }

    /** The credential file ({@code user:password}, 0600) to give gateways ({@code --zk-auth-file}). */
    public Path authFile() {
        return authFile;
    }

    public CuratorFramework client() {
        return client;
    }

    public ConfigStore store() {
        return store;
    }

    /** The coordinator's ownership document of {@code disk}; throws if there is none yet. */
    public LunOwnership owner(String disk) throws Exception {
        String path = store.layout().aluaDisk(disk);
        return new Documents()
                .read(path, client.getData().forPath(path), LunOwnership.class)
                .value();
    }

    /** Stops the server (an outage); see {@link #restartable}. */
    public void stop() throws Exception {
        running = false;
        server.stop();
    }

    public void restart() throws Exception {
        server.restart();
        running = true;
    }

    /** False between {@link #stop} and {@link #restart}: diagnostics must not read ZooKeeper then. */
    public boolean running() {
        return running;
    }

    @Override
    public void close() throws Exception {
        client.close();
        server.close();
        Files.deleteIfExists(authFile);
        Files.deleteIfExists(authDir);
    }
}
