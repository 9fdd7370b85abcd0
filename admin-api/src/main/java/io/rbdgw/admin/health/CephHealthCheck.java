package io.rbdgw.admin.health;

import com.codahale.metrics.health.HealthCheck;
import io.rbdgw.admin.core.CephAccess;

/** Healthy when the Ceph cluster answers: the images of {@code pool} can be listed. Only registered when Ceph is configured. */
public final class CephHealthCheck extends HealthCheck {
    private final CephAccess ceph;
    private final String pool;

    public CephHealthCheck(CephAccess ceph, String pool) {
        this.ceph = ceph;
        this.pool = pool;
    }

    @Override
    protected Result check() {
        try {
            int n = ceph.cluster().images(pool).list().size();
            return Result.healthy("pool " + pool + " has " + n + " images");
        } catch (Exception e) {
            return Result.unhealthy("Ceph is unreachable: " + e.getMessage());
        }
    }
}
