package io.rbdgw.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An RBD image on the real test cluster served as LUN 0 by the packaged gateway, driven by QEMU's
 * iSCSI driver; what arrives is checked on the Ceph side with the {@code rbd} CLI.
 */
class RbdLunIT {

    static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    String image;
    GatewayProcess gw;

    @AfterEach
    void cleanUp() throws Exception {
        if (gw != null) {
            gw.close();
            assertThat(gw.output()).doesNotContain("LEAK:");
        }
        if (image != null) {
            TestCluster.removeImage(image);
        }
    }

    /** Random 256 MiB with zero ranges: qemu-img convert, compare, read back, and rbd export equals it. */
    @Test
    void qemuImgRoundTripAndRbdExportHoldTheWrittenBytes() throws Exception {
        long size = 256 * MIB;
        image = TestCluster.createImage("rbdlun-rt", "256M");
        gw = GatewayProcess.rbd(dir.resolve("data"), image);

        Path src = dir.resolve("src.raw");
        String expected = writeRandomWithZeroRanges(src, size, 17);
        String opts = "driver=iscsi,transport=tcp,portal=" + gw.portal() + ",target=" + gw.iqn() + ",lun=0";

        Cmd write = Cmd.run(300, "qemu-img", "convert", "-n", "-f", "raw", src.toString(), "--target-image-opts", opts);
        assertThat(write.exitCode()).as(write.toString()).isZero();

        Cmd compare = Cmd.run(300, "qemu-img", "compare", "--image-opts", "driver=raw,file.filename=" + src, opts);
        assertThat(compare.exitCode()).as(compare.toString()).isZero();
        assertThat(compare.output()).contains("Images are identical");

        Path back = dir.resolve("back.raw");
        Cmd read = Cmd.run(300, "qemu-img", "convert", "--image-opts", opts, "-O", "raw", back.toString());
        assertThat(read.exitCode()).as(read.toString()).isZero();
        assertThat(StandaloneGatewayIT.sha256(back))
                .as("read back through iSCSI")
                .isEqualTo(expected);
        Files.delete(back);

        // The same bytes on the Ceph side, with no gateway in the path.
        Path exported = dir.resolve("export.raw");
        TestCluster.rbd("export", "--no-progress", TestCluster.POOL + "/" + image, exported.toString());
        assertThat(Files.size(exported)).isEqualTo(size);
        assertThat(StandaloneGatewayIT.sha256(exported))
                .as("rbd export of the image")
                .isEqualTo(expected);
    }

    /** Data written through iSCSI occupies RADOS objects; UNMAP through iSCSI frees them again. */
    @Test
    void unmapThroughIscsiFreesTheObjects() throws Exception {
        image = TestCluster.createImage("rbdlun-unmap", "128M");
        gw = GatewayProcess.rbd(dir.resolve("data"), image);
        String url = gw.lunUrl(0);

        Cmd write = Cmd.run(120, "qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 64M", url);
        assertThat(write.exitCode()).as(write.toString()).isZero();
        assertThat(write.output()).contains("wrote 67108864/67108864");
        assertThat(TestCluster.usedBytes(image))
                .as("rbd du after writing 64 MiB")
                .isEqualTo(64 * MIB);

        // -d unmap: QEMU passes discards down (UNMAP, as the LUN's Logical Block Provisioning page
        // offers it) instead of ignoring them. Whole 4 MiB objects, so RBD removes them entirely;
        // the second range keeps one object (the last of the 64 MiB) to show the discard is exact.
        Cmd discard = Cmd.run(
                120, "qemu-io", "-f", "raw", "-d", "unmap", "-c", "discard 0 32M", "-c", "discard 32M 28M", url);
        assertThat(discard.exitCode()).as(discard.toString()).isZero();
        assertThat(discard.output()).contains("discard 33554432/33554432").contains("discard 29360128/29360128");
        assertThat(TestCluster.usedBytes(image))
                .as("rbd du after discarding all but the last 4 MiB object")
                .isEqualTo(4 * MIB);

        // What is left is intact, what was discarded reads as zeros (whole objects are gone).
        Cmd check = Cmd.run(120, "qemu-io", "-f", "raw", "-c", "read -P 0x5a 60M 4M", "-c", "read -P 0 0 60M", url);
        assertThat(check.exitCode()).as(check.toString()).isZero();
        assertThat(check.output()).doesNotContain("Pattern verification failed");
    }

    /** Writes random 1 MiB chunks, every 16th all zeros; returns the SHA-256 of the whole file. */
    static String writeRandomWithZeroRanges(Path file, long size, long seed) throws Exception {
        byte[] chunk = new byte[(int) MIB];
        Random rnd = new Random(seed);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var out = Files.newOutputStream(file)) {
            for (int i = 0; i < size / chunk.length; i++) {
                rnd.nextBytes(chunk);
                if (i % 16 == 5) {
                    Arrays.fill(chunk, (byte) 0);
                }
                out.write(chunk);
                md.update(chunk);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * An image whose exclusive-lock cannot be disabled (journaling needs it) is served anyway, with the reason
     * in a WARN and the gateway's status DEGRADED; its features are left alone.
     */
    @Test
    void anImageThatMustKeepItsLockIsServedDegraded() throws Exception {
        image = "rbdlun-journal-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        TestCluster.rbd(
                "create",
                "--size",
                "64M",
                "--image-feature",
                "layering,exclusive-lock,object-map,fast-diff,deep-flatten,journaling",
                TestCluster.POOL + "/" + image);
        gw = GatewayProcess.rbd(dir.resolve("data"), image);
        String opts = "driver=iscsi,transport=tcp,portal=" + gw.portal() + ",target=" + gw.iqn() + ",lun=0";
        Cmd io = Cmd.run(120, "qemu-io", "--image-opts", opts, "-c", "write -P 0x5a 0 64k", "-c", "read -P 0x5a 0 64k");
        assertThat(io.exitCode()).as(io.toString()).isZero();
        assertThat(io.output())
                .contains("wrote 65536/65536 bytes")
                .contains("read 65536/65536 bytes")
                .doesNotContain("Pattern verification failed");
        // the disk's owner (this gateway, once the coordinator has assigned it) tries and reports why it cannot
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(gw.output())
                        .contains("image has the exclusive-lock feature and it cannot be disabled")
                        .contains("rbd feature disable " + TestCluster.POOL + "/" + image + " journaling")
                        .contains("partially"));
        assertThat(TestCluster.rbd("info", TestCluster.POOL + "/" + image)).contains("journaling");
    }
}
