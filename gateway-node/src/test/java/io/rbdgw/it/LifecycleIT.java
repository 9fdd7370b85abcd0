package io.rbdgw.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting, stopping and restarting the standalone gateway: the LUN file survives, SIGTERM is clean. */
class LifecycleIT {

    @TempDir
    Path dir;

    @Test
    void dataWrittenBeforeSigtermIsThereAfterRestart() throws Exception {
        Path data = dir.resolve("data");
        String pattern = "0x5a";
        try (GatewayProcess gw = GatewayProcess.standalone(data, "--lun-size", "64M")) {
            assertThat(gw.output()).contains("LUN URL: " + gw.lunUrl(0));
            Cmd w = Cmd.run(60, "qemu-io", "-f", "raw", "-c", "write -P " + pattern + " 1048576 65536", gw.lunUrl(0));
            assertThat(w.exitCode()).as(w.toString()).isZero();
            assertThat(w.output()).contains("wrote 65536/65536 bytes");
            int rc = gw.stop();
            assertThat(rc).as(gw.output()).isZero();
            assertThat(gw.output()).contains("stopped").doesNotContain("LEAK:");
        }
        assertThat(Files.size(data.resolve("lun0.img"))).isEqualTo(64L << 20);
        // restarted with another --lun-size: the existing file keeps its size and its data
        try (GatewayProcess gw = GatewayProcess.standalone(data, "--lun-size", "128M")) {
            Cmd r = Cmd.run(
                    60,
                    "qemu-io",
                    "-f",
                    "raw",
                    "-c",
                    "read -P " + pattern + " 1048576 65536",
                    "-c",
                    "read -P 0 0 1048576",
                    gw.lunUrl(0));
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.output()).doesNotContain("Pattern verification failed").contains("read 65536/65536 bytes");
            Cmd cap = Cmd.run(30, "iscsi-readcapacity16", gw.lunUrl(0));
            assertThat(cap.output()).contains("Total size:" + (64L << 20));
        }
    }

    @Test
    void memoryLunServesAndBadOptionsAreRefused() throws Exception {
        try (GatewayProcess gw = GatewayProcess.standalone(dir.resolve("m"), "--memory", "--lun-size", "32M")) {
            Cmd cap = Cmd.run(30, "iscsi-readcapacity16", gw.lunUrl(0));
            assertThat(cap.exitCode()).as(cap.toString()).isZero();
            assertThat(cap.output()).contains("Total size:" + (32L << 20));
            assertThat(Files.exists(dir.resolve("m").resolve("lun0.img"))).isFalse();
        }
        Cmd bad =
                Cmd.run(30, GatewayProcess.javaBin(), "-jar", GatewayProcess.jar(), "standalone", "--lun-size", "lots");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.output()).contains("not a size");
    }
}
