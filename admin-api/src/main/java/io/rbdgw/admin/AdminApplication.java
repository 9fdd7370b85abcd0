package io.rbdgw.admin;

import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.lifecycle.Managed;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.admin.cli.HashPasswordCommand;
import io.rbdgw.admin.core.CephAccess;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.zk.ZkCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API as a Dropwizard service ({@code server config.yml}); {@link AdminServer} runs the same wiring
 * in-process without a YAML file.
 */
public class AdminApplication extends Application<AdminConfiguration> {
    private static final Logger log = LoggerFactory.getLogger(AdminApplication.class);

    public static void main(String[] args) throws Exception {
        new AdminApplication().run(args);
    }

    @Override
    public String getName() {
        return "rbdgw-admin";
    }

    @Override
    public void initialize(Bootstrap<AdminConfiguration> bootstrap) {
        bootstrap.addCommand(new HashPasswordCommand());
    }

    @Override
    public void run(AdminConfiguration conf, Environment env) {
        // refuse to start without a password hash: there is no default password
        PasswordHash password = PasswordHash.parse(conf.getAdminPasswordHash());
        ZkCredentials zkCredentials = conf.getZookeeper().credentials();
        if (zkCredentials == null) {
            if (!conf.getZookeeper().isInsecure()) {
                // deny by default: without credentials the tree this service creates has no ACL
                throw new IllegalArgumentException("zookeeper.authFile is not set: give the ZooKeeper credential file "
                        + "(user:password, mode 0600), or zookeeper.insecure: true to accept a configuration open to "
                        + "anyone who reaches ZooKeeper");
            }
            log.warn("zookeeper.insecure: the configuration, CHAP secrets included, is open to anyone who "
                    + "reaches ZooKeeper");
        }
        CuratorFramework client = conf.getZookeeper().build(zkCredentials);
        SecretBox secrets;
        try {
            secrets = conf.getSecretKeyFile() == null ? null : SecretBox.load(Path.of(conf.getSecretKeyFile()));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read secretKeyFile " + conf.getSecretKeyFile() + ": " + e, e);
        }
        String plaintextRefusal = null;
        if (secrets == null && conf.isInsecurePlaintextSecrets()) {
            log.warn("insecurePlaintextSecrets: CHAP secrets are written to ZooKeeper in plaintext");
        } else if (secrets == null) {
            log.warn("secretKeyFile is not set: requests that set a CHAP secret are refused");
            plaintextRefusal = "secretKeyFile is not set: the admin API cannot encrypt a CHAP secret and refuses to "
                    + "store one in plaintext (set secretKeyFile, or insecurePlaintextSecrets: true)";
        }
        ConfigStore store = new ConfigStore(client, conf.getZookeeper().getRoot(), secrets, plaintextRefusal);
        CephAccess ceph = conf.getCeph() == null
                ? CephAccess.none()
                : CephAccess.lazy(conf.getCeph().options());
        env.lifecycle().manage(new Managed() {
            @Override
            public void start() throws Exception {
                client.start();
                if (zkCredentials != null) {
                    // closes a tree written before ACLs existed (once: afterwards every znode has the ACL)
                    zkCredentials.secureTreeWhenConnected(
                            client, conf.getZookeeper().getRoot());
                }
                if (client.blockUntilConnected(conf.getZookeeper().getConnectionTimeoutMs(), TimeUnit.MILLISECONDS)) {
                    store.initialize();
                } else {
                    log.warn(
                            "ZooKeeper {} is not reachable yet; the API answers 503 until it is",
                            conf.getZookeeper().getConnect());
                }
            }

            @Override
            public void stop() {
                ceph.close();
                store.close();
                client.close();
            }
        });
        AdminApi.register(
                env,
                store,
                ceph,
                conf.getDataDir() == null ? null : Path.of(conf.getDataDir()),
                password,
                conf.getCeph() == null ? "rbd" : conf.getCeph().getHealthPool());
    }
}
