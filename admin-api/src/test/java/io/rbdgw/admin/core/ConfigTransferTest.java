package io.rbdgw.admin.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.admin.TestZk;
import io.rbdgw.admin.api.ConfigExport;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.secret.SecretBox;
import io.rbdgw.config.store.ConfigStore;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Export and import on a store that encrypts CHAP secrets (a real store on the test ZooKeeper). */
class ConfigTransferTest {
    static final String T = "iqn.2003-01.org.example:enc";
    static final String I = "iqn.1994-05.com.redhat:enc1";

    static ConfigStore encryptedStore(SecretBox box) {
        ConfigStore s = new ConfigStore(TestZk.client(), "/admin-transfer-" + System.nanoTime(), box);
        s.initialize();
        return s;
    }

    @Test
    void exportWithSecretsIsEncryptedAndImportsOnlyWhereTheKeyIs() throws Exception {
        SecretBox box = SecretBox.parse(SecretBox.newKeyLine(), "test key");
        ConfigStore store = encryptedStore(box);
        store.update(
                c -> List.<ConfigChange>of(
                        new ConfigChange.PutTarget(Target.of(T)),
                        new ConfigChange.PutClient(new Client(
                                T,
                                I,
                                new Authentication(new ChapCredentials("enc1user", "enc1secret123"), null),
                                true,
                                null)),
                        new ConfigChange.PutDiscoveryAuth(
                                new Authentication(new ChapCredentials("discovery1", "discoverysecret1"), null))),
                3);
        DiskImages images = new DiskImages(CephAccess.none(), Files.createTempDirectory("transfer"));
        ConfigTransfer transfer = new ConfigTransfer(box, images);
        ClusterConfig before = store.read();

        ConfigExport doc = transfer.export(before, true, "test");
        assertThat(doc.secrets()).isEqualTo("encrypted");
        String secret = doc.clients().get(0).auth().chap().secret();
        assertThat(secret).startsWith(SecretBox.PREFIX);
        assertThat(box.open(secret)).isEqualTo("enc1secret123");
        assertThat(doc.toString()).doesNotContain("enc1secret123", "discoverysecret1");
        assertThat(transfer.export(before, false, "test")
                        .clients()
                        .get(0)
                        .auth()
                        .chap()
                        .secret())
                .isNull();

        // into an empty store with the same key: the same secrets, still encrypted at rest
        ConfigStore other = encryptedStore(box);
        ClusterConfig empty = other.read();
        ClusterConfig wanted = transfer.wanted(empty, doc);
        other.apply(empty.epoch(), ConfigTransfer.changes(empty, wanted));
        ClusterConfig after = other.read();
        String stored = after.client(T, I).orElseThrow().auth().chap().secret();
        assertThat(stored).startsWith(SecretBox.PREFIX);
        assertThat(box.open(stored)).isEqualTo("enc1secret123");
        assertThat(box.open(after.discoveryAuth().chap().secret())).isEqualTo("discoverysecret1");
        assertThat(transfer.diff(before, after).changed()).isEmpty();

        // a cluster with another key, or none, refuses it before writing anything
        ConfigTransfer foreign = new ConfigTransfer(SecretBox.parse(SecretBox.newKeyLine(), "other key"), images);
        assertThatThrownBy(() -> foreign.wanted(empty, doc))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("cannot be decrypted with this admin API's secretKeyFile");
        assertThatThrownBy(() -> new ConfigTransfer(null, images).wanted(empty, doc))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("no secretKeyFile");
    }
}
