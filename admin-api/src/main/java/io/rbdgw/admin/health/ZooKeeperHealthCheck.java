package io.rbdgw.admin.health;

import com.codahale.metrics.health.HealthCheck;
import io.rbdgw.config.store.ConfigStore;

/** Healthy when the ZooKeeper connection is up and the configuration epoch can be read. */
public final class ZooKeeperHealthCheck extends HealthCheck {
    private final ConfigStore store;

    public ZooKeeperHealthCheck(ConfigStore store) {
        this.store = store;
    }

    @Override
    protected Result check() {
        if (!store.client().getZookeeperClient().isConnected()) {
            return Result.unhealthy("not connected to ZooKeeper "
                    + store.client().getZookeeperClient().getCurrentConnectionString());
        }
        try {
            return Result.healthy("configuration epoch " + store.epoch() + " under "
                    + store.layout().root());
        } catch (RuntimeException e) {
            return Result.unhealthy("cannot read the configuration: " + e.getMessage());
        }
    }
}
