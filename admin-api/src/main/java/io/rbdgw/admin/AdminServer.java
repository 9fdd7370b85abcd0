package io.rbdgw.admin;

import io.dropwizard.core.Application;
import io.dropwizard.core.server.SimpleServerFactory;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.jetty.ConnectorFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.dropwizard.request.logging.LogbackAccessRequestLogFactory;
import io.dropwizard.util.Duration;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.admin.core.CephAccess;
import io.rbdgw.admin.tls.Pem;
import io.rbdgw.config.store.ConfigStore;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The admin API run in-process on an existing {@link ConfigStore} (the standalone command, tests): no YAML, no
 * logging takeover, one HTTP connector; the API is under {@code /api}, health under {@code /admin/healthcheck}.
 *
 * <pre>{@code
 * try (AdminServer api = AdminServer.start(AdminServer.Options.of(store, passwordHash).withDataDir(dir))) {
 *     URI uri = api.uri(); // http://127.0.0.1:5000/
 * }
 * }</pre>
 */
public final class AdminServer implements Closeable {
    /**
     * @param store the configuration store (initialized; not closed by the server)
     * @param passwordHash the admin user's {@link PasswordHash} string
     * @param bindHost address to listen on (default 127.0.0.1)
     * @param port TCP port (default 5000; 0 picks a free one)
     * @param dataDir where file disks are created; null to refuse file disks
     * @param ceph Ceph access for RBD image operations (default none)
     * @param connector a connector to use instead of plain HTTP on bindHost:port, e.g. Dropwizard's
     *     {@code HttpsConnectorFactory}; null for plain HTTP
     */
    public record Options(
            ConfigStore store,
            String passwordHash,
            String bindHost,
            int port,
            Path dataDir,
            CephAccess ceph,
            ConnectorFactory connector) {
        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 5000;

        public Options {
            Objects.requireNonNull(store, "store");
            PasswordHash.parse(passwordHash); // fail early, with a message that does not echo the hash
            if (bindHost == null) {
                bindHost = DEFAULT_HOST;
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is out of range");
            }
            if (ceph == null) {
                ceph = CephAccess.none();
            }
        }

        public static Options of(ConfigStore store, String passwordHash) {
            return new Options(store, passwordHash, DEFAULT_HOST, DEFAULT_PORT, null, null, null);
        }

        public Options withListen(String host, int port) {
            return new Options(store, passwordHash, host, port, dataDir, ceph, connector);
        }

        public Options withDataDir(Path dir) {
            return new Options(store, passwordHash, bindHost, port, dir, ceph, connector);
        }

        public Options withCeph(CephAccess access) {
            return new Options(store, passwordHash, bindHost, port, dataDir, access, connector);
        }

        public Options withConnector(ConnectorFactory factory) {
            return new Options(store, passwordHash, bindHost, port, dataDir, ceph, factory);
        }

        /**
         * HTTPS on this bindHost:port (set {@link #withListen} first) with a PEM certificate chain and PKCS#8 key.
         */
        public Options withTls(Path certificate, Path key) throws IOException {
            return withConnector(Pem.httpsConnector(bindHost, port, certificate, key));
        }
    }

    /** The application without Dropwizard's logging bootstrap (the host process owns logging). */
    private static final class Embedded extends Application<AdminConfiguration> {
        private final Options options;

        Embedded(Options options) {
            this.options = options;
        }

        @Override
        protected void bootstrapLogging() {}

        @Override
        public String getName() {
            return "rbdgw-admin";
        }

        @Override
        public void run(AdminConfiguration conf, Environment env) {
            AdminApi.register(
                    env,
                    options.store(),
                    options.ceph(),
                    options.dataDir(),
                    PasswordHash.parse(options.passwordHash()),
                    "rbd",
                    false);
        }
    }

    private final Server server;
    private final Options options;

    private AdminServer(Server server, Options options) {
        this.server = server;
        this.options = options;
    }

    /** Starts the API and returns once it listens. */
    public static AdminServer start(Options options) throws Exception {
        Embedded app = new Embedded(options);
        Bootstrap<AdminConfiguration> bootstrap = new Bootstrap<>(app);
        app.initialize(bootstrap);
        AdminConfiguration conf = new AdminConfiguration();
        conf.setAdminPasswordHash(options.passwordHash());
        SimpleServerFactory server = new SimpleServerFactory();
        ConnectorFactory connector = options.connector();
        if (connector == null) {
            HttpConnectorFactory http = new HttpConnectorFactory();
            http.setBindHost(options.bindHost());
            http.setPort(options.port());
            connector = http;
        }
        server.setConnector(connector);
        server.setApplicationContextPath("/");
        server.setAdminContextPath("/admin");
        server.setMinThreads(2);
        server.setMaxThreads(16);
        // Jetty would otherwise wait up to 30 s for idle keep-alive connections when the host process stops
        server.setShutdownGracePeriod(Duration.seconds(2));
        server.setRegisterDefaultExceptionMappers(true);
        LogbackAccessRequestLogFactory requestLog = new LogbackAccessRequestLogFactory();
        requestLog.setAppenders(List.of()); // the host process decides what to log
        server.setRequestLogFactory(requestLog);
        conf.setServerFactory(server);
        Environment env = new Environment(
                app.getName(),
                bootstrap.getObjectMapper(),
                bootstrap.getValidatorFactory(),
                bootstrap.getMetricRegistry(),
                bootstrap.getClassLoader(),
                bootstrap.getHealthCheckRegistry(),
                conf);
        server.configure(env);
        bootstrap.run(conf, env);
        app.run(conf, env);
        Server jetty = server.build(env);
        try {
            jetty.start();
        } catch (Exception e) {
            jetty.stop();
            throw e;
        }
        return new AdminServer(jetty, options);
    }

    /** The port it listens on (useful with port 0). */
    public int port() {
        for (var c : server.getConnectors()) {
            if (c instanceof ServerConnector sc) {
                return sc.getLocalPort();
            }
        }
        throw new IllegalStateException("no network connector");
    }

    /** http(s)://host:port/ */
    public URI uri() {
        String scheme = options.connector() != null
                        && options.connector().getClass().getSimpleName().startsWith("Https")
                ? "https"
                : "http";
        String host = options.bindHost().contains(":") ? "[" + options.bindHost() + "]" : options.bindHost();
        return URI.create(scheme + "://" + host + ":" + port() + "/");
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the admin API: " + e, e);
        }
    }
}
