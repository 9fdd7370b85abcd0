package io.rbdgw.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.CephAccess;
import io.rbdgw.admin.core.DiskImages;
import io.rbdgw.block.rbd.RbdCluster;
import io.rbdgw.config.model.Backstore;
import io.rbdgw.config.model.Disk;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin API's disk create and import against the dev cluster: created images have no exclusive-lock; an
 * imported image with Ceph's default features loses the lock features; one with journaling is refused with 409
 * and the rbd command to run.
 */
class DiskImagesIT {

    private static CephAccess ceph;
    private static DiskImages images;

    @BeforeAll
    static void connect() throws Exception {
        ceph = CephAccess.of(RbdCluster.connect(TestCluster.CLIENT_ID, TestCluster.conf()));
        images = new DiskImages(ceph, null);
    }

    @AfterAll
    static void close() {
        ceph.close();
    }

    private static String features(String image) throws Exception {
        String info = TestCluster.rbd("info", TestCluster.POOL + "/" + image);
        return info.lines()
                .filter(l -> l.trim().startsWith("features:"))
                .findFirst()
                .orElseThrow()
                .trim();
    }

    @Test
    void createdImagesHaveNoExclusiveLock() throws Exception {
        String name = "api-create-" + UUID.randomUUID().toString().substring(0, 8);
        try {
            Disk d = images.create(TestCluster.POOL, name, 16 << 20, Backstore.RBD, null);
            assertThat(d.size()).isEqualTo(16 << 20);
            assertThat(features(name)).isEqualTo("features: layering, deep-flatten");
        } finally {
            TestCluster.removeImage(name);
        }
    }

    @Test
    void importingADefaultImageDisablesTheLockFeatures() throws Exception {
        String name = TestCluster.createImage("api-import", "16M");
        try {
            assertThat(features(name)).contains("exclusive-lock");
            Disk d = images.importExisting(TestCluster.POOL, name, null, Backstore.RBD, null);
            assertThat(d.size()).isEqualTo(16 << 20);
            assertThat(features(name)).isEqualTo("features: layering, deep-flatten");
        } finally {
            TestCluster.removeImage(name);
        }
    }

    @Test
    void importingAJournaledImageIsAConflictNamingTheCommand() throws Exception {
        String name = "api-journal-" + UUID.randomUUID().toString().substring(0, 8);
        TestCluster.rbd(
                "create",
                "--size",
                "16M",
                "--image-feature",
                "layering,exclusive-lock,object-map,fast-diff,deep-flatten,journaling",
                TestCluster.POOL + "/" + name);
        try {
            assertThatThrownBy(() -> images.importExisting(TestCluster.POOL, name, null, Backstore.RBD, null))
                    .isInstanceOfSatisfying(
                            ApiException.class, e -> assertThat(e.status()).isEqualTo(409))
                    .hasMessageContaining("journaling")
                    .hasMessageContaining("rbd feature disable " + TestCluster.POOL + "/" + name
                            + " journaling fast-diff object-map exclusive-lock");
            assertThat(features(name)).contains("journaling").contains("exclusive-lock");
        } finally {
            TestCluster.removeImage(name);
        }
    }
}
