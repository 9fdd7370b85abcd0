package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.iscsi.session.SessionRegistry;
import io.rbdgw.iscsi.session.TargetRegistry;
import io.rbdgw.it.ZkConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File disks stay inside the gateway's file disk roots, whatever path ZooKeeper holds. */
class FileDiskRootsTest {
    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    @TempDir
    Path tmp;

    Path root;
    Path outside;
    Path victim;
    byte[] victimContent = "root:x:0:0:root:/root:/bin/bash\n".getBytes();
    FileTime victimMtime = FileTime.fromMillis(1_600_000_000_000L);

    @BeforeEach
    void files() throws IOException {
        root = Files.createDirectories(tmp.resolve("data"));
        outside = Files.createDirectories(tmp.resolve("etc"));
        victim = outside.resolve("passwd");
        Files.write(victim, victimContent);
        Files.setLastModifiedTime(victim, victimMtime);
    }

    private void assertVictimUntouched() throws IOException {
        assertThat(Files.size(victim)).isEqualTo(victimContent.length);
        assertThat(Files.readAllBytes(victim)).isEqualTo(victimContent);
        assertThat(Files.getLastModifiedTime(victim)).isEqualTo(victimMtime);
        assertThat(outside.resolve("passwd.id")).doesNotExist();
    }

    private BackstoreOpener opener() {
        return new BackstoreOpener(root, List.of(root), null, "admin", c -> {});
    }

    private static Disk file(String path) {
        return Disk.file("local", "evil", 1 << 20, path);
    }

    @Test
    void pathsOutsideTheRootsAreRefusedAndTheFileIsNotTouched() throws Exception {
        Files.createSymbolicLink(root.resolve("link.img"), victim);
        Files.createSymbolicLink(root.resolve("linkdir"), outside);
        Files.createDirectories(root.resolve("sub"));
        try (BackstoreOpener o = opener()) {
            assertThatThrownBy(() -> o.open(file(victim.toString())))
                    .hasMessageContaining("not under a file disk root");
            assertThatThrownBy(() -> o.open(file("../etc/passwd"))).hasMessageContaining("'..'");
            assertThatThrownBy(() -> o.open(file("sub/../../etc/passwd"))).hasMessageContaining("'..'");
            assertThatThrownBy(() -> o.open(file("link.img"))).hasMessageContaining("symbolic link");
            assertThatThrownBy(() -> o.open(file("linkdir/passwd"))).hasMessageContaining("leads out of");
            assertThatThrownBy(() -> o.open(file("linkdir/new.img"))).hasMessageContaining("leads out of");
            assertThatThrownBy(() -> o.open(file("sub"))).hasMessageContaining("not a regular file");
            assertThatThrownBy(() -> o.open(file(root.toString()))).hasMessageContaining("not under a file disk root");
        }
        assertVictimUntouched();
        assertThat(outside.resolve("new.img")).doesNotExist();
    }

    @Test
    void imagesInsideTheRootAreMadePrivateAndGrown() throws Exception {
        try (BackstoreOpener o = opener();
                BlockDevice d = o.open(file("pool/lun.img"))) {
            assertThat(d.info().sizeBytes()).isEqualTo(1 << 20);
            assertThat(Files.getPosixFilePermissions(root.resolve("pool/lun.img")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.getPosixFilePermissions(root.resolve("pool")))
                    .isEqualTo(PosixFilePermissions.fromString("rwx------"));
            assertThat(Files.getPosixFilePermissions(root.resolve("pool/lun.img.id")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
        // an absolute path inside a second root is fine too
        Path second = Files.createDirectories(tmp.resolve("second"));
        try (BackstoreOpener o = new BackstoreOpener(root, List.of(root, second), null, "admin", c -> {});
                BlockDevice d = o.open(file(second.resolve("x.img").toString()))) {
            assertThat(d.info().sizeBytes()).isEqualTo(1 << 20);
        }
    }

    /** The gateway as a whole: a disk written straight into ZooKeeper with a path outside the root fails to open. */
    @Test
    void aDiskWrittenIntoZooKeeperOutsideTheRootFailsWithTheReason() throws Exception {
        try (TestingServer zk = ZkConfig.loopbackServer();
                CuratorFramework client = CuratorFrameworkFactory.builder()
                        .connectString(zk.getConnectString())
                        .retryPolicy(new RetryNTimes(20, 100))
                        .build()) {
            client.start();
            ConfigStore store = new ConfigStore(client, "/rbdgw");
            store.initialize();
            AtomicReference<String> detail = new AtomicReference<>();
            try (BackstoreOpener o = opener();
                    Reconciler r = new Reconciler(
                            "gw-a",
                            new TargetRegistry(),
                            new SessionRegistry(),
                            o,
                            (epoch, health, d) -> detail.set(health + " " + d),
                            Duration.ofSeconds(30))) {
                r.start();
                String t = "iqn.2003-01.io.rbdgw:t1";
                long epoch = store.apply(
                        0,
                        new ConfigChange.PutTarget(Target.of(t)),
                        new ConfigChange.PutDisk(file(victim.toString()).withSize(64L << 20)),
                        new ConfigChange.PutLun(new Lun(t, 0, "local/evil")),
                        new ConfigChange.PutClient(Client.allLuns(t, "iqn.1994-05.com.redhat:c1")));
                r.configChanged(store.read());
                Reconciler.Status s = r.awaitApplied(epoch, Duration.ofSeconds(10));
                assertThat(s.health()).isNotEqualTo(GatewayStatus.Health.OK);
                assertThat(s.detail()).contains("local/evil", "not under a file disk root");
                // deleting the disk does not delete the file either
                epoch = store.apply(epoch, new ConfigChange.DeleteTarget(t), new ConfigChange.DeleteDisk("local/evil"));
                r.configChanged(store.read());
                r.awaitApplied(epoch, Duration.ofSeconds(10));
            }
        }
        assertVictimUntouched();
    }
}
