package io.rbdgw.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone gateway as a user runs it (the packaged jar, a file LUN in a data directory),
 * driven by real initiators: libiscsi's tools and QEMU's iSCSI driver.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StandaloneGatewayIT {

    static final long LUN_SIZE = 256L << 20;

    @TempDir
    static Path dir;

    GatewayProcess gw;

    @BeforeAll
    void start() throws Exception {
        gw = GatewayProcess.standalone(dir.resolve("data"), "--lun-size", "256M");
    }

    @AfterAll
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
            assertThat(gw.output()).doesNotContain("LEAK:");
        }
    }

    @Test
    void discoveryListsTheTargetAndItsLun() throws Exception {
        Cmd ls = Cmd.run(30, "iscsi-ls", "-s", "iscsi://" + gw.portal());
        assertThat(ls.exitCode()).as(ls.toString()).isZero();
        assertThat(ls.output())
                .contains("Target:" + gw.iqn())
                .contains("Portal:127.0.0.1:" + gw.port())
                .contains("Lun:0");
    }

    @Test
    void inquiryIdentifiesTheLun() throws Exception {
        Cmd inq = Cmd.run(30, "iscsi-inq", gw.lunUrl(0));
        assertThat(inq.exitCode()).as(inq.toString()).isZero();
        assertThat(inq.output())
                .contains("Vendor:RBDGW")
                .contains("Peripheral Device Type:DIRECT_ACCESS")
                .contains("TPGS:1");
        Cmd serial = Cmd.run(30, "iscsi-inq", "-e", "1", "-c", "128", gw.lunUrl(0));
        assertThat(serial.exitCode()).as(serial.toString()).isZero();
        assertThat(serial.output()).containsPattern("Unit Serial Number:\\[[0-9a-f]{32}\\]");
        Cmd ids = Cmd.run(30, "iscsi-inq", "-e", "1", "-c", "131", gw.lunUrl(0));
        assertThat(ids.exitCode()).as(ids.toString()).isZero();
        assertThat(ids.output())
                .contains("Designator Type:(3) NAA")
                .contains("Designator:[" + gw.iqn() + ",t,0x0001]")
                .contains("Designator Type:(4) RELATIVE_TARGET_PORT");
    }

    @Test
    void readCapacity16ReportsTheLunSize() throws Exception {
        Cmd rc = Cmd.run(30, "iscsi-readcapacity16", gw.lunUrl(0));
        assertThat(rc.exitCode()).as(rc.toString()).isZero();
        assertThat(rc.output()).contains("LOGICAL BLOCK LENGTH IN BYTES:512").contains("Total size:" + LUN_SIZE);
    }

    @Test
    void unknownLunIsRefused() throws Exception {
        Cmd inq = Cmd.run(30, "iscsi-readcapacity16", gw.lunUrl(7));
        assertThat(inq.exitCode()).as(inq.toString()).isNotZero();
    }

    @Test
    void qemuImgRoundTripWithoutDigests() throws Exception {
        roundTrip(false);
    }

    @Test
    void qemuImgRoundTripWithHeaderDigest() throws Exception {
        roundTrip(true);
    }

    /** A random 256 MiB image written with qemu-img convert, compared, read back byte for byte. */
    private void roundTrip(boolean headerDigest) throws Exception {
        Path src = dir.resolve("src-" + headerDigest + ".raw");
        Path back = dir.resolve("back-" + headerDigest + ".raw");
        byte[] chunk = new byte[1 << 20];
        Random rnd = new Random(headerDigest ? 7 : 11);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var out = Files.newOutputStream(src)) {
            for (int i = 0; i < LUN_SIZE / chunk.length; i++) {
                rnd.nextBytes(chunk);
                if (i % 16 == 5) {
                    java.util.Arrays.fill(chunk, (byte) 0); // some zero ranges too
                }
                out.write(chunk);
                md.update(chunk);
            }
        }
        String expected = HexFormat.of().formatHex(md.digest());
        String opts = "driver=iscsi,transport=tcp,portal=" + gw.portal() + ",target=" + gw.iqn() + ",lun=0"
                + ",header-digest=" + (headerDigest ? "crc32c" : "none");

        double writtenBefore = bytes("write");
        Cmd write = Cmd.run(300, "qemu-img", "convert", "-n", "-f", "raw", src.toString(), "--target-image-opts", opts);
        assertThat(write.exitCode()).as(write.toString()).isZero();
        // the gateway's /metrics saw the data (zero ranges may go as WRITE SAME or UNMAP instead)
        assertThat(bytes("write") - writtenBefore).isBetween(LUN_SIZE * 15.0 / 16, (double) LUN_SIZE);

        Cmd compare = Cmd.run(
                300,
                List.of("qemu-img", "compare", "--image-opts", "driver=raw,file.filename=" + src, opts)
                        .toArray(String[]::new));
        assertThat(compare.exitCode()).as(compare.toString()).isZero();
        assertThat(compare.output()).contains("Images are identical");

        double readBefore = bytes("read");
        Cmd read = Cmd.run(300, "qemu-img", "convert", "--image-opts", opts, "-O", "raw", back.toString());
        assertThat(read.exitCode()).as(read.toString()).isZero();
        assertThat(bytes("read") - readBefore).isGreaterThanOrEqualTo(LUN_SIZE * 15.0 / 16);
        String m = gw.scrapeMetrics();
        assertThat(GatewayProcess.sample(m, "rbdgw_scsi_latency_seconds_count", "kind=\"read\"", "lun=\"0\""))
                .isPositive();
        assertThat(GatewayProcess.sample(
                        m, "rbdgw_scsi_errors_total", "outcome=\"check_condition\"", "sense_key=\"medium_error\""))
                .isNaN(); // never happened, so never registered
        assertThat(sha256(back)).isEqualTo(expected);
        Files.delete(src);
        Files.delete(back);
    }

    /** Bytes LUN 0 moved so far, as the gateway's /metrics says. */
    private double bytes(String kind) throws Exception {
        double v = GatewayProcess.sample(
                gw.scrapeMetrics(), "rbdgw_scsi_bytes_total", "kind=\"" + kind + "\"", "lun=\"0\"");
        assertThat(v).as("rbdgw_scsi_bytes_total kind=" + kind).isNotNaN();
        return v;
    }

    static String sha256(Path p) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
