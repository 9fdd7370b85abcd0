package io.rbdgw.node;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;

/**
 * A single ZooKeeper server inside the standalone gateway's JVM, its data in the data directory,
 * listening on loopback only. It keeps the same configuration a cluster keeps in a real ensemble, so
 * the standalone system runs the same code paths.
 */
final class EmbeddedZooKeeper implements AutoCloseable {

    private final ZooKeeperServerEmbedded server;
    private final String connectString;

    private EmbeddedZooKeeper(ZooKeeperServerEmbedded server, String connectString) {
        this.server = server;
        this.connectString = connectString;
    }

    /** Starts a server in {@code dir}; port 0 picks a free one. */
    static EmbeddedZooKeeper start(Path dir, InetSocketAddress listen) throws Exception {
        if (!listen.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("the embedded ZooKeeper listens on loopback only, not " + listen);
        }
        PrivateDirs.create(dir);
        int port = listen.getPort() != 0 ? listen.getPort() : freePort(listen);
        String host = listen.getAddress().getHostAddress();
        Properties p = properties(dir, host, port);
        ZooKeeperServerEmbedded server = ZooKeeperServerEmbedded.builder()
                .baseDir(dir.toAbsolutePath())
                .configuration(p)
                .exitHandler(ExitHandler.LOG_ONLY)
                .build();
        server.start(30_000);
        return new EmbeddedZooKeeper(server, (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port);
    }

    /** The server's configuration (zoo.cfg keys). */
    static Properties properties(Path dir, String host, int port) {
        Properties p = new Properties();
        p.setProperty("clientPort", Integer.toString(port));
        p.setProperty("clientPortAddress", host);
        p.setProperty("dataDir", dir.resolve("data").toAbsolutePath().toString());
        p.setProperty("tickTime", "2000");
        p.setProperty("initLimit", "10");
        p.setProperty("syncLimit", "5");
        // Its admin HTTP server wants an older Jetty than ours, and nobody needs it here.
        p.setProperty("admin.enableServer", "false");
        System.setProperty("zookeeper.admin.enableServer", "false");
        // Old transaction logs and snapshots hold every value ever written (secrets before a rotation, too):
        // keep the last 3 snapshots with their logs and purge the rest every hour.
        p.setProperty("autopurge.snapRetainCount", "3");
        p.setProperty("autopurge.purgeInterval", "1");
        return p;
    }

    private static int freePort(InetSocketAddress listen) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, listen.getAddress())) {
            return s.getLocalPort();
        }
    }

    String connectString() {
        return connectString;
    }

    @Override
    public void close() {
        server.close();
    }
}
