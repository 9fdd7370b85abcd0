package io.rbdgw.config.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.config.Fixtures;
import io.rbdgw.config.ZkTestSupport;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.ZkLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretBoxTest {
    private static final String K1 = "k1:" + Base64.getEncoder().encodeToString(new byte[32]);
    private static final String K2 =
            "k2:" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

    @TempDir
    Path tmp;

    private TestingServer zk;
    private CuratorFramework client;
    private String root;

    @BeforeEach
    void setUp() throws Exception {
        zk = ZkTestSupport.server();
        client = ZkTestSupport.client(zk.getConnectString());
        root = ZkTestSupport.newRoot();
    }

    @AfterEach
    void tearDown() throws Exception {
        client.close();
        zk.close();
    }

    @Test
    void sealsWithARandomNonceAndOpensWithAnyListedKey() {
        SecretBox k1 = SecretBox.parse(K1, "test");
        String a = k1.seal("secretsecret1");
        String b = k1.seal("secretsecret1");
        assertThat(a).startsWith("enc:v1:k1:").isNotEqualTo(b).doesNotContain("secretsecret1");
        assertThat(k1.open(a)).isEqualTo("secretsecret1");
        assertThat(k1.open("plaintext-legacy")).isEqualTo("plaintext-legacy");

        SecretBox rotated = SecretBox.parse("# newest first\n" + K2 + "\n\n" + K1 + "\n", "test");
        assertThat(rotated.newestKeyId()).isEqualTo("k2");
        assertThat(rotated.open(a)).isEqualTo("secretsecret1");
        assertThat(rotated.isCurrent(a)).isFalse();
        assertThat(rotated.isCurrent(rotated.seal("x"))).isTrue();

        SecretBox onlyK2 = SecretBox.parse(K2, "test");
        assertThatThrownBy(() -> onlyK2.open(a))
                .isInstanceOfSatisfying(
                        SecretBox.UnknownKeyException.class,
                        e -> assertThat(e.keyId()).isEqualTo("k1"));
        // tampering, and the same id with another key, fail authentication
        String flipped = a.substring(0, a.length() - 3)
                + (a.charAt(a.length() - 3) == 'A' ? 'B' : 'A')
                + a.substring(a.length() - 2);
        assertThatThrownBy(() -> k1.open(flipped))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("authenticate");
        SecretBox impostor = SecretBox.parse(K2.replace("k2:", "k1:"), "test");
        assertThatThrownBy(() -> impostor.open(a)).hasMessageContaining("authenticate");
        // the key id is authenticated: relabelling a value does not let another key try it
        String relabelled = a.replace("enc:v1:k1:", "enc:v1:k2:");
        assertThatThrownBy(() -> rotated.open(relabelled)).hasMessageContaining("authenticate");
    }

    @Test
    void keyFilesAreCheckedAndGeneratedPrivate() throws Exception {
        assertThatThrownBy(() -> SecretBox.parse("k1:" + Base64.getEncoder().encodeToString(new byte[16]), "f"))
                .hasMessageContaining("wants 32");
        assertThatThrownBy(() -> SecretBox.parse(K1 + "\n" + K1, "f")).hasMessageContaining("twice");
        assertThatThrownBy(() -> SecretBox.parse("# nothing\n", "f")).hasMessageContaining("no key");
        Path file = tmp.resolve("secret.key");
        Files.writeString(file, K1 + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> SecretBox.load(file)).hasMessageContaining("chmod 600");

        Path generated = tmp.resolve("generated.key");
        SecretBox g = SecretBox.generateIfAbsent(generated);
        assertThat(Files.getPosixFilePermissions(generated)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(SecretBox.generateIfAbsent(generated).open(g.seal("same key")))
                .isEqualTo("same key");
    }

    private List<byte[]> rawZnodes(String path) throws Exception {
        List<byte[]> out = new ArrayList<>();
        byte[] data = client.getData().forPath(path);
        if (data != null) {
            out.add(data);
        }
        for (String c : client.getChildren().forPath(path)) {
            out.addAll(rawZnodes(path + "/" + c));
        }
        return out;
    }

    private void assertNoSecretInZooKeeper(String... secrets) throws Exception {
        List<byte[]> raw = rawZnodes(root);
        assertThat(raw).isNotEmpty();
        for (byte[] data : raw) {
            String text = new String(data, StandardCharsets.ISO_8859_1);
            for (String s : secrets) {
                assertThat(text)
                        .doesNotContain(s)
                        .doesNotContain(Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)))
                        .doesNotContain(Base64.getEncoder()
                                .withoutPadding()
                                .encodeToString(s.getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    @Test
    void aZnodeDumpShowsNoSecret() throws Exception {
        SecretBox box = SecretBox.parse(K1, "test");
        ConfigStore store = new ConfigStore(client, root, box);
        store.initialize();
        ChapCredentials discovery = new ChapCredentials("discoveryuser", "discoverysecret9");
        List<ConfigChange> changes = new ArrayList<>(Fixtures.basicTarget());
        changes.add(new ConfigChange.PutDiscoveryAuth(Authentication.chap(discovery)));
        long epoch = store.apply(0, changes);
        assertNoSecretInZooKeeper(Fixtures.CHAP.secret(), Fixtures.MUTUAL.secret(), discovery.secret());

        Client win = store.read().client(Fixtures.T1, Fixtures.WIN).orElseThrow();
        assertThat(win.auth().chap().secret()).startsWith("enc:v1:k1:");
        assertThat(box.open(win.auth().chap().secret())).isEqualTo(Fixtures.CHAP.secret());
        assertThat(box.open(win.auth().mutualChap().secret())).isEqualTo(Fixtures.MUTUAL.secret());
        assertThat(box.open(store.read().discoveryAuth().chap().secret())).isEqualTo(discovery.secret());

        // writing the same plaintext again changes nothing (no new ciphertext, no new epoch)
        assertThat(store.apply(
                        epoch,
                        new ConfigChange.PutClient(Client.withLuns(Fixtures.T1, Fixtures.WIN, java.util.Set.of(1))
                                .withAuth(new Authentication(Fixtures.CHAP, Fixtures.MUTUAL)))))
                .isEqualTo(epoch);
    }

    @Test
    void plaintextFromOlderTreesLoadsAndRotationEncryptsAndReEncryptsInOneTransaction() throws Exception {
        new ConfigStore(client, root).initialize();
        long epoch = new ConfigStore(client, root).apply(0, Fixtures.basicTarget()); // an older version: plaintext
        String winPath = new ZkLayout(root).client(Fixtures.T1, Fixtures.WIN);
        assertThat(new String(client.getData().forPath(winPath), StandardCharsets.UTF_8))
                .contains(Fixtures.CHAP.secret());

        ConfigStore k1 = new ConfigStore(client, root, SecretBox.parse(K1, "test"));
        assertThat(k1.read()
                        .client(Fixtures.T1, Fixtures.WIN)
                        .orElseThrow()
                        .auth()
                        .chap())
                .isEqualTo(Fixtures.CHAP);
        assertThat(k1.rotateSecrets()).isEqualTo(2);
        assertThat(k1.epoch()).isEqualTo(epoch + 1);
        assertNoSecretInZooKeeper(Fixtures.CHAP.secret(), Fixtures.MUTUAL.secret());
        assertThat(k1.rotateSecrets()).isZero();

        // a new key is put first: rotation re-encrypts with it, the old one still opens until then
        SecretBox both = SecretBox.parse(K2 + "\n" + K1, "test");
        ConfigStore k2 = new ConfigStore(client, root, both);
        // a store lacking a key refuses to rotate and writes nothing
        ConfigStore onlyK2 = new ConfigStore(client, root, SecretBox.parse(K2, "test"));
        assertThatThrownBy(onlyK2::rotateSecrets).isInstanceOf(SecretBox.UnknownKeyException.class);
        assertThat(onlyK2.epoch()).isEqualTo(epoch + 1);

        assertThat(k2.rotateSecrets()).isEqualTo(2);
        assertThat(k2.epoch()).isEqualTo(epoch + 2);
        Client win = onlyK2.read().client(Fixtures.T1, Fixtures.WIN).orElseThrow();
        assertThat(SecretBox.keyId(win.auth().chap().secret())).isEqualTo("k2");
        assertThat(onlyK2.secrets().open(win.auth().chap().secret())).isEqualTo(Fixtures.CHAP.secret());
        assertThat(onlyK2.secrets().open(win.auth().mutualChap().secret())).isEqualTo(Fixtures.MUTUAL.secret());
    }
}
