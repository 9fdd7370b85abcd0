package io.rbdgw.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.membership.MembershipView;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.zk.ZkCredentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code run} gateway with --zk-auth-file and --secret-key-file: it reads the closed tree, decrypts the CHAP
 * secret a real initiator then proves, and what it writes (membership, status) is closed too.
 */
class SecuredRunGatewayIT {
    static final String IQN = "iqn.2026-11.io.rbdgw:secured";
    static final String HOST = "iqn.1993-08.org.debian:host1";
    static final ChapCredentials CHAP = new ChapCredentials("host1user", "host1secret12");

    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    @TempDir
    Path dir;

    private Path privateFile(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    @Test
    void aGatewayWithCredentialsAndKeyServesChapFromAClosedTree() throws Exception {
        Path auth = privateFile("zk-auth", "rbdgw:it-zk-password\n");
        Path key = privateFile("secret.key", "k1:" + Base64.getEncoder().encodeToString(new byte[32]) + "\n");
        ZkCredentials creds = ZkCredentials.fromFile(auth);
        int port = GatewayProcess.freePort();
        try (TestingServer zk = ZkConfig.loopbackServer();
                CuratorFramework admin = creds.applyTo(CuratorFrameworkFactory.builder()
                                .connectString(zk.getConnectString())
                                .retryPolicy(new RetryNTimes(20, 100)))
                        .build();
                CuratorFramework stranger = CuratorFrameworkFactory.builder()
                        .connectString(zk.getConnectString())
                        .retryPolicy(new RetryNTimes(20, 100))
                        .build()) {
            admin.start();
            stranger.start();
            ConfigStore store = new ConfigStore(admin, "/rbdgw", SecretBox.load(key));
            store.initialize();
            long epoch = store.apply(
                    0,
                    new ConfigChange.PutGateway(new Gateway("gw-a", List.of(new Portal("127.0.0.1", port)), 1)),
                    new ConfigChange.PutTarget(Target.of(IQN)),
                    new ConfigChange.PutDisk(Disk.file("local", "disk0", 16 << 20, "disk0.img")),
                    new ConfigChange.PutLun(new Lun(IQN, 0, "local/disk0")),
                    new ConfigChange.PutClient(Client.allLuns(IQN, HOST).withAuth(Authentication.chap(CHAP))));
            try (GatewayProcess gw = GatewayProcess.run(
                    "gw-a",
                    port,
                    dir.resolve("gw-a"),
                    zk.getConnectString(),
                    "--retry-interval",
                    "1",
                    "--zk-auth-file",
                    auth.toString(),
                    "--secret-key-file",
                    key.toString())) {
                MembershipView view = new MembershipView(admin, store.layout());
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(
                                () -> assertThat(view.appliedAtLeast(epoch)).contains("gw-a"));
                String lun = "iscsi://" + CHAP.user() + "%" + CHAP.secret() + "@" + gw.portal() + "/" + IQN + "/0";
                Cmd ok = Cmd.run(30, "iscsi-inq", "-i", HOST, lun);
                assertThat(ok.exitCode()).as(ok + "\n" + gw.output()).isZero();
                Cmd wrong = Cmd.run(30, "iscsi-inq", "-i", HOST, lun.replace(CHAP.secret(), "wrongsecret99"));
                assertThat(wrong.exitCode()).as(wrong.toString()).isNotZero();

                // what the gateway wrote is closed as well
                for (String path : List.of(
                        store.layout().members(),
                        store.layout().statuses(),
                        store.layout().member("gw-a"),
                        store.layout().status("gw-a"),
                        store.layout().coordinator())) {
                    assertThatThrownBy(() -> stranger.getData().forPath(path))
                            .as(path)
                            .isInstanceOf(KeeperException.NoAuthException.class);
                }
                assertThat(gw.output()).doesNotContain("is open to anyone");
            }
        }
    }

    @Test
    void withZkInsecureAGatewayStartsWithoutCredentialsAndWarns() throws Exception {
        try (TestingServer zk = ZkConfig.loopbackServer();
                GatewayProcess gw = GatewayProcess.run(
                        "gw-open",
                        GatewayProcess.freePort(),
                        dir.resolve("gw-open"),
                        zk.getConnectString(),
                        "--zk-insecure")) {
            assertThat(gw.process().isAlive()).isTrue();
            assertThat(gw.output())
                    .contains("--zk-insecure: the configuration, CHAP secrets included, is open to anyone");
        }
    }
}
