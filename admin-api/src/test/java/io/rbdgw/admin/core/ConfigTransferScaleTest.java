package io.rbdgw.admin.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.admin.TestZk;
import io.rbdgw.admin.api.ConfigExport;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.store.ConfigStore;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * An import is one ZooKeeper transaction: 500 targets with a disk, a LUN and a client each (2000 objects) import
 * into an empty cluster at once. (Measured on the development machine: about 3000 such objects fit in ZooKeeper's
 * default 1 MiB request limit; see docs/admin-api.md.)
 */
class ConfigTransferScaleTest {
    static ConfigStore store() {
        ConfigStore s = new ConfigStore(TestZk.client(), "/admin-scale-" + System.nanoTime(), null);
        s.initialize();
        return s;
    }

    @Test
    void twoThousandObjectsImportAsOneTransaction() throws Exception {
        int n = 500;
        ConfigStore source = store();
        List<ConfigChange> changes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String t = "iqn.2003-01.org.example:t" + i;
            changes.add(new ConfigChange.PutTarget(Target.of(t)));
            changes.add(new ConfigChange.PutDisk(Disk.rbd("rbd", "img" + i, 1L << 30)));
            changes.add(new ConfigChange.PutLun(new Lun(t, 0, "rbd/img" + i)));
            changes.add(new ConfigChange.PutClient(Client.withLuns(t, "iqn.1994-05.com.redhat:h" + i, Set.of(0))));
        }
        source.update(c -> changes, 1);
        ConfigTransfer transfer =
                new ConfigTransfer(null, new DiskImages(CephAccess.none(), Files.createTempDirectory("scale")));
        ConfigExport doc = transfer.export(source.read(), true, "test");

        ConfigStore target = store();
        ClusterConfig empty = target.read();
        List<ConfigChange> imported = ConfigTransfer.changes(empty, transfer.wanted(empty, doc));
        assertThat(imported).hasSize(4 * n);
        long epoch = target.apply(empty.epoch(), imported);
        assertThat(epoch).isEqualTo(empty.epoch() + 1);
        ClusterConfig after = target.read();
        assertThat(after.targets()).hasSize(n);
        assertThat(after.clients()).hasSize(n);
        assertThat(transfer.diff(source.read(), after).added()).isEmpty();
        assertThat(transfer.diff(source.read(), after).changed()).isEmpty();
    }
}
