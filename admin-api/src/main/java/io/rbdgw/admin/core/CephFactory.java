package io.rbdgw.admin.core;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.rbdgw.block.rbd.RbdCluster;
import jakarta.validation.constraints.NotEmpty;
import java.nio.file.Path;

/** The optional {@code ceph:} section: how to reach the cluster for image operations. */
public class CephFactory {
    @NotEmpty
    private String conf = "/etc/ceph/ceph.conf";

    @NotEmpty
    private String id = "admin";

    private String keyring;
    /** The pool the health check lists. */
    @NotEmpty
    private String healthPool = "rbd";

    @JsonProperty
    public String getConf() {
        return conf;
    }

    @JsonProperty
    public void setConf(String conf) {
        this.conf = conf;
    }

    @JsonProperty
    public String getId() {
        return id;
    }

    @JsonProperty
    public void setId(String id) {
        this.id = id;
    }

    @JsonProperty
    public String getKeyring() {
        return keyring;
    }

    @JsonProperty
    public void setKeyring(String keyring) {
        this.keyring = keyring;
    }

    @JsonProperty
    public String getHealthPool() {
        return healthPool;
    }

    @JsonProperty
    public void setHealthPool(String pool) {
        this.healthPool = pool;
    }

    public RbdCluster.Options options() {
        RbdCluster.Options o = RbdCluster.Options.of(id, Path.of(conf));
        return keyring == null ? o : o.withKeyring(Path.of(keyring));
    }
}
