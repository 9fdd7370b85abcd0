package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.zk.ZkCredentials;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A standalone start in-process: private data directory (modes of everything it creates or finds), the embedded
 * ZooKeeper on loopback with ACLs and generated credentials, CHAP secrets from files and encrypted in ZooKeeper.
 */
class StandaloneDataDirTest {
    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    static final String CHAP_SECRET = "chapsecret-from-file1";
    static final String MUTUAL_SECRET = "mutualsecret-from-file2";

    @TempDir
    Path tmp;

    private static Path privateFile(Path p, String content, String mode) throws Exception {
        Files.writeString(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        return p;
    }

    private StandaloneCommand command(Path data, String... extra) throws Exception {
        StandaloneCommand cmd = new StandaloneCommand();
        List<String> args = new ArrayList<>(List.of(
                "--data-dir",
                data.toString(),
                "--listen",
                "127.0.0.1:0",
                "--admin-listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "off",
                "--lun-size",
                "4M"));
        args.addAll(List.of(extra));
        new CommandLine(cmd).parseArgs(args.toArray(String[]::new));
        return cmd;
    }

    /** The local address of a listening TCP socket on {@code port}, from /proc/net/tcp (hex, as the kernel has it). */
    private static List<String> listeners(int port) throws Exception {
        List<String> out = new ArrayList<>();
        for (String file : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            List<String> lines = Files.readAllLines(Path.of(file)); // read once: other processes' sockets come and go
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                String[] local = f[1].split(":");
                if (Integer.parseInt(local[1], 16) == port && f[3].equals("0A")) {
                    out.add(local[0]);
                }
            }
        }
        return out;
    }

    @Test
    void dataDirectoryIsPrivateZooKeeperClosedOnLoopbackAndSecretsEncrypted() throws Exception {
        Path data = tmp.resolve("data");
        // what an older version left: world-readable directory and files
        Files.createDirectories(data.resolve("disks"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(data.resolve("disks"), PosixFilePermissions.fromString("rwxr-xr-x"));
        privateFile(data.resolve("admin-password"), "old-admin-password\n", "rw-r--r--");
        Path chapFile = privateFile(tmp.resolve("chap"), CHAP_SECRET + "\n", "rw-------");
        Path mutualFile = privateFile(tmp.resolve("mutual"), MUTUAL_SECRET + "\n", "rw-------");

        StandaloneCommand cmd = command(
                data,
                "--chap-user",
                "standalone-user",
                "--chap-secret-file",
                chapFile.toString(),
                "--mutual-chap-user",
                "target-user1",
                "--mutual-chap-secret-file",
                mutualFile.toString());
        try (StandaloneCommand.Running r = cmd.start()) {
            assertThat(r.gateway.reconciler().status().orElseThrow().health()).isEqualTo(GatewayStatus.Health.OK);

            // 9: everything in the data directory is the gateway user's only
            Path version2 = data.resolve("zookeeper/data/version-2");
            assertThat(version2).isDirectory();
            try (Stream<Path> zkFiles = Files.list(version2)) {
                assertThat(zkFiles.filter(Files::isRegularFile).toList()).isNotEmpty();
            }
            assertThat(data.resolve("lun0.img")).isRegularFile();
            assertThat(data.resolve(StandaloneCommand.SECRET_KEY_FILE)).isRegularFile();
            assertThat(data.resolve(StandaloneCommand.ZK_AUTH_FILE)).isRegularFile();
            List<String> wrong = new ArrayList<>();
            try (Stream<Path> all = Files.walk(data)) {
                for (Path p : all.toList()) {
                    String mode =
                            PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                    String want = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "rwx------" : "rw-------";
                    if (!mode.equals(want)) {
                        wrong.add(data.relativize(p) + " " + mode);
                    }
                }
            }
            assertThat(wrong).isEmpty();

            // 6b: the embedded ZooKeeper listens on 127.0.0.1 only
            String connect = r.zkServer.connectString();
            assertThat(connect).startsWith("127.0.0.1:");
            int zkPort = Integer.parseInt(connect.substring(connect.lastIndexOf(':') + 1));
            // 127.0.0.1, as an IPv4 socket or an IPv4-mapped IPv6 one (::ffff:127.0.0.1): nothing else
            assertThat(listeners(zkPort))
                    .isNotEmpty()
                    .allMatch(a -> a.equals("0100007F") || a.equals("0000000000000000FFFF00000100007F"));

            // 6b: ... and nothing under the root is open without the generated credentials
            try (CuratorFramework open = CuratorFrameworkFactory.builder()
                    .connectString(connect)
                    .retryPolicy(new RetryNTimes(10, 100))
                    .build()) {
                open.start();
                assertThatThrownBy(() -> open.getChildren().forPath(StandaloneCommand.ZK_ROOT))
                        .isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> open.getData().forPath(StandaloneCommand.ZK_ROOT + "/config/epoch"))
                        .isInstanceOf(KeeperException.NoAuthException.class);
            }

            // 6c + chap-secret-file: the secrets came from the files and are stored encrypted
            ZkCredentials creds = ZkCredentials.fromFile(data.resolve(StandaloneCommand.ZK_AUTH_FILE));
            try (CuratorFramework authed = creds.applyTo(CuratorFrameworkFactory.builder()
                            .connectString(connect)
                            .retryPolicy(new RetryNTimes(10, 100)))
                    .build()) {
                authed.start();
                String targetPath = StandaloneCommand.ZK_ROOT + "/config/targets/iqn.2026-11.io.rbdgw:standalone";
                String doc = new String(authed.getData().forPath(targetPath), StandardCharsets.UTF_8);
                assertThat(doc)
                        .contains("standalone-user", "enc:v1:")
                        .doesNotContain(CHAP_SECRET)
                        .doesNotContain(MUTUAL_SECRET)
                        .doesNotContain(
                                Base64.getEncoder().encodeToString(CHAP_SECRET.getBytes(StandardCharsets.UTF_8)));
            }
            Target t = r.store.read().targets().get(0);
            SecretBox box = SecretBox.load(data.resolve(StandaloneCommand.SECRET_KEY_FILE));
            assertThat(box.open(t.auth().chap().secret())).isEqualTo(CHAP_SECRET);
            assertThat(box.open(t.auth().mutualChap().secret())).isEqualTo(MUTUAL_SECRET);

            // the in-process admin API works through the same credentials
            HttpResponse<String> targets = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(r.api.uri().resolve("/api/targets"))
                                    .header(
                                            "Authorization",
                                            "Basic "
                                                    + Base64.getEncoder()
                                                            .encodeToString("admin:old-admin-password"
                                                                    .getBytes(StandardCharsets.UTF_8)))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(targets.statusCode()).as(targets.body()).isEqualTo(200);
            assertThat(targets.body()).contains("iqn.2026-11.io.rbdgw:standalone");
        }
    }

    @Test
    void chapSecretFilesMustBePrivateAndExclusiveWithTheOption() throws Exception {
        Path open = privateFile(tmp.resolve("chap"), CHAP_SECRET + "\n", "rw-r--r--");
        assertThatThrownBy(() -> command(
                                tmp.resolve("d1"),
                                "--chap-user",
                                "standalone-user",
                                "--chap-secret-file",
                                open.toString())
                        .start())
                .hasMessageContaining("chmod 600")
                .hasMessageNotContaining(CHAP_SECRET);
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> command(
                                tmp.resolve("d2"),
                                "--chap-user",
                                "standalone-user",
                                "--chap-secret",
                                "secretsecret1",
                                "--chap-secret-file",
                                open.toString())
                        .start())
                .hasMessageContaining("exclude each other");
        assertThatThrownBy(() ->
                        command(tmp.resolve("d3"), "--zk-listen", "0.0.0.0:0").start())
                .hasMessageContaining("loopback");
    }

    @Test
    void embeddedZooKeeperPurgesOldLogsAndSnapshots() {
        Properties p = EmbeddedZooKeeper.properties(tmp, "127.0.0.1", 2181);
        assertThat(p.getProperty("autopurge.snapRetainCount")).isEqualTo("3");
        assertThat(p.getProperty("autopurge.purgeInterval")).isEqualTo("1");
        assertThat(p.getProperty("clientPortAddress")).isEqualTo("127.0.0.1");
    }
}
