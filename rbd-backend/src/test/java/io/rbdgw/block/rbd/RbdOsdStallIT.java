package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.block.BlockDeviceException.Kind;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An OSD that stops answering (hung host, stalled disk): with {@code rados_osd_op_timeout} the
 * operations in flight fail TRANSIENT within the timeout (the SCSI layer answers BUSY and the host
 * retries) instead of hanging, and I/O works again once the OSD is back.
 *
 * <p>Stalls the dev cluster's own OSD, started by scripts/ceph-dev-cluster.sh, with SIGSTOP for a
 * few seconds; its pid file is in the cluster directory next to ceph.conf. A cluster without that
 * file (not the project's dev cluster) fails the test rather than stopping anything else.
 */
class RbdOsdStallIT {

    private static final int MIB = 1 << 20;

    @Test
    void stalledOsdFailsOperationsTransientWithinTheTimeoutThenRecovers() throws Exception {
        Path pidFile = TestCeph.conf().getParent().resolve("run").resolve("osd.0.pid");
        assertThat(pidFile)
                .as("the dev cluster's OSD pid file (scripts/ceph-dev-cluster.sh)")
                .isReadable();
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(ProcessHandle.of(pid)).as("OSD process %d", pid).isPresent();

        Duration timeout = Duration.ofSeconds(2);
        String name = TestCeph.uniqueName("it-stall");
        try (RbdCluster cluster = RbdCluster.connect(RbdCluster.Options.of(TestCeph.CLIENT_ID, TestCeph.conf())
                .withTimeouts(Duration.ofSeconds(15), timeout))) {
            RbdImages images = cluster.images(TestCeph.POOL);
            images.create(name, 16L * MIB);
            try (RbdBlockDevice device = images.open(name)) {
                ByteBuffer before = TestCeph.random(64 * 1024, 1);
                Done first = new Done();
                device.write(0, before.duplicate(), false, first);
                assertThat(first.success()).isEqualTo(before.remaining());

                ByteBuffer after = TestCeph.random(64 * 1024, 2);
                Done write;
                Done read;
                long started;
                signal(pid, "STOP");
                try {
                    started = System.nanoTime();
                    write = new Done();
                    device.write(0, after.duplicate(), false, write);
                    read = new Done(); // from the object written above (a missing one needs no OSD)
                    device.read(128 * 1024, ByteBuffer.allocateDirect(4096), read);
                    assertThat(write.failure().kind()).isEqualTo(Kind.TRANSIENT);
                    assertThat(read.failure().kind()).isEqualTo(Kind.TRANSIENT);
                } finally {
                    signal(pid, "CONT");
                }
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertThat(ms)
                        .as("both failed after the timeout, not before and not much later")
                        .isBetween(timeout.toMillis() - 200, timeout.toMillis() + 8000);

                // The host retries the write that got BUSY: it lands, whatever became of the first try.
                Done retry = new Done();
                device.write(0, after.duplicate(), false, retry);
                assertThat(retry.success()).isEqualTo(after.remaining());
                ByteBuffer back = ByteBuffer.allocateDirect(after.remaining());
                Done readBack = new Done();
                device.read(0, back, readBack);
                assertThat(readBack.success()).isEqualTo(after.remaining());
                assertThat(back).isEqualTo(after);
            } finally {
                images.delete(name);
            }
        }
    }

    private static void signal(long pid, String signal) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                .inheritIO()
                .start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kill -%s %d", signal, pid).isZero();
    }
}
