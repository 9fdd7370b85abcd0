package io.rbdgw.admin;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import io.rbdgw.admin.core.CephFactory;
import io.rbdgw.admin.core.ZooKeeperFactory;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

/**
 * The service's YAML configuration. TLS is Dropwizard's own: an {@code https} application connector under
 * {@code server:}. See {@code admin-api/rbdgw-admin.example.yml}.
 */
public class AdminConfiguration extends Configuration {
    @Valid
    @NotNull
    private ZooKeeperFactory zookeeper = new ZooKeeperFactory();

    @Valid
    private CephFactory ceph;

    private String dataDir = "/var/lib/rbdgw/disks";
    /** {@code pbkdf2-sha256$iterations$salt$hash} of the admin user's password; there is no default. */
    private String adminPasswordHash;
    /** Key file (0600, {@code id:base64key} lines, newest first) that encrypts CHAP secrets; null: see below. */
    private String secretKeyFile;
    /** Without {@link #secretKeyFile}: true stores CHAP secrets in plaintext, false (default) refuses them. */
    private boolean insecurePlaintextSecrets;

    @JsonProperty
    public boolean isInsecurePlaintextSecrets() {
        return insecurePlaintextSecrets;
    }

    @JsonProperty
    public void setInsecurePlaintextSecrets(boolean insecurePlaintextSecrets) {
        this.insecurePlaintextSecrets = insecurePlaintextSecrets;
    }

    @JsonProperty
    public String getSecretKeyFile() {
        return secretKeyFile;
    }

    @JsonProperty
    public void setSecretKeyFile(String secretKeyFile) {
        this.secretKeyFile = secretKeyFile;
    }

    @JsonProperty
    public ZooKeeperFactory getZookeeper() {
        return zookeeper;
    }

    @JsonProperty
    public void setZookeeper(ZooKeeperFactory zookeeper) {
        this.zookeeper = zookeeper;
    }

    @JsonProperty
    public CephFactory getCeph() {
        return ceph;
    }

    @JsonProperty
    public void setCeph(CephFactory ceph) {
        this.ceph = ceph;
    }

    @JsonProperty
    public String getDataDir() {
        return dataDir;
    }

    @JsonProperty
    public void setDataDir(String dataDir) {
        this.dataDir = dataDir;
    }

    @JsonProperty
    public String getAdminPasswordHash() {
        return adminPasswordHash;
    }

    @JsonProperty
    public void setAdminPasswordHash(String hash) {
        this.adminPasswordHash = hash;
    }
}
