package io.rbdgw.admin.core;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.rbdgw.config.zk.ZkCredentials;
import jakarta.validation.constraints.NotEmpty;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/** The {@code zookeeper:} section of the configuration. */
public class ZooKeeperFactory {
    @NotEmpty
    private String connect = "localhost:2181";

    @NotEmpty
    private String root = "/rbdgw";

    private int sessionTimeoutMs = 15_000;
    private int connectionTimeoutMs = 5_000;
    /** File holding {@code user:password} (mode 0600) for ZooKeeper digest auth; null: no auth (an open tree). */
    private String authFile;
    /** Explicitly accept running without {@link #authFile} (an open tree); otherwise the service refuses to start. */
    private boolean insecure;

    @JsonProperty
    public String getConnect() {
        return connect;
    }

    @JsonProperty
    public void setConnect(String connect) {
        this.connect = connect;
    }

    @JsonProperty
    public String getRoot() {
        return root;
    }

    @JsonProperty
    public void setRoot(String root) {
        this.root = root;
    }

    @JsonProperty
    public int getSessionTimeoutMs() {
        return sessionTimeoutMs;
    }

    @JsonProperty
    public void setSessionTimeoutMs(int ms) {
        this.sessionTimeoutMs = ms;
    }

    @JsonProperty
    public int getConnectionTimeoutMs() {
        return connectionTimeoutMs;
    }

    @JsonProperty
    public void setConnectionTimeoutMs(int ms) {
        this.connectionTimeoutMs = ms;
    }

    @JsonProperty
    public String getAuthFile() {
        return authFile;
    }

    @JsonProperty
    public void setAuthFile(String authFile) {
        this.authFile = authFile;
    }

    @JsonProperty
    public boolean isInsecure() {
        return insecure;
    }

    @JsonProperty
    public void setInsecure(boolean insecure) {
        this.insecure = insecure;
    }

    /** The credentials from {@link #getAuthFile()}, or null when none is configured. */
    public ZkCredentials credentials() {
        if (authFile == null || authFile.isBlank()) {
            return null;
        }
        try {
            return ZkCredentials.fromFile(Path.of(authFile));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the ZooKeeper auth file " + authFile + ": " + e, e);
        }
    }

    /** A client, not started, with the credentials of {@link #getAuthFile()} if one is configured. */
    public CuratorFramework build() {
        return build(credentials());
    }

    /** A client, not started; with {@code credentials} (may be null) it authenticates and creates private znodes. */
    public CuratorFramework build(ZkCredentials credentials) {
        CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(sessionTimeoutMs)
                .connectionTimeoutMs(connectionTimeoutMs)
                .retryPolicy(new ExponentialBackoffRetry(200, 5, 5_000));
        return (credentials == null ? b : credentials.applyTo(b)).build();
    }
}
