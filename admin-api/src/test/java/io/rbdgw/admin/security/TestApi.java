package io.rbdgw.admin.security;

import io.rbdgw.admin.AdminServer;
import io.rbdgw.admin.TestZk;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.config.store.ConfigStore;
import java.nio.file.Files;
import java.util.Map;

/** The security tests' common set-up: the in-process admin API on a fresh store, on a free loopback port. */
final class TestApi implements AutoCloseable {
    static final String PASSWORD = "correct horse battery";

    final ConfigStore store;
    final AdminServer server;
    final RawHttp http;

    private TestApi(ConfigStore store, AdminServer server) {
        this.store = store;
        this.server = server;
        this.http = new RawHttp(server.uri());
    }

    /** @param name names the data directory (file disks) of this instance */
    static TestApi start(String name) throws Exception {
        ConfigStore store = TestZk.newStore();
        AdminServer server =
                AdminServer.start(AdminServer.Options.of(store, PasswordHash.hash(PASSWORD.toCharArray(), 1000))
                        .withListen("127.0.0.1", 0)
                        .withDataDir(Files.createTempDirectory(name)));
        return new TestApi(store, server);
    }

    /** The Authorization header of the admin. */
    static Map<String, String> auth() {
        return Map.of("Authorization", RawHttp.basic("admin", PASSWORD));
    }

    @Override
    public void close() {
        server.close();
    }
}
