package io.rbdgw.admin.core;

import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.validation.constraints.NotEmpty;
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

    /** A client, not started. */
    public CuratorFramework build() {
        return CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(sessionTimeoutMs)
                .connectionTimeoutMs(connectionTimeoutMs)
                .retryPolicy(new ExponentialBackoffRetry(200, 5, 5_000))
                .build();
    }
}
