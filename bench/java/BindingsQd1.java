import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.IoCallback;
import io.rbdgw.block.rbd.RbdBlockDevice;
import io.rbdgw.block.rbd.RbdCluster;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * QD1 4 KiB random reads or writes from one plain Java thread through the gateway's own librbd bindings
 * (RbdCluster with the gateway's settings, RbdBlockDevice), no iSCSI and no event loop: what the bindings add to
 * librbd, and what sleeping until the completion costs against polling for it. Used by bench/bindings-qd1.sh.
 *
 * <p>Arguments: CONF CLIENT POOL IMAGE read|write SECONDS park|spin. Prints one line:
 * {@code bindings-qd1 MODE WAIT iops=N p50_us=P mean_us=M}.
 */
public final class BindingsQd1 {
    private static volatile boolean done;

    public static void main(String[] a) throws Exception {
        boolean write = a[4].equals("write");
        int seconds = Integer.parseInt(a[5]);
        boolean spin = a[6].equals("spin");
        Thread waiter = Thread.currentThread();
        IoCallback callback = new IoCallback() {
            @Override
            public void onSuccess(long bytes) {
                done = true;
                if (!spin) {
                    LockSupport.unpark(waiter);
                }
            }

            @Override
            public void onFailure(BlockDeviceException e) {
                e.printStackTrace();
                System.exit(1);
            }
        };
        try (RbdCluster cluster = RbdCluster.connect(a[1], Path.of(a[0]));
                RbdBlockDevice device = RbdBlockDevice.open(cluster, a[2], a[3])) {
            long blocks = device.info().sizeBytes() / 4096;
            ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
            long[] latency = new long[8_000_000];
            int n = 0;
            long measureFrom = System.nanoTime() + 2_000_000_000L; // 2 s warm-up (JIT, librbd's caches)
            long end = measureFrom + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                long offset = ThreadLocalRandom.current().nextLong(blocks) * 4096;
                buffer.clear();
                done = false;
                long t0 = System.nanoTime();
                if (write) {
                    device.write(offset, buffer, false, callback);
                } else {
                    device.read(offset, buffer, callback);
                }
                while (!done) {
                    if (spin) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park();
                    }
                }
                if (t0 > measureFrom && n < latency.length) {
                    latency[n++] = System.nanoTime() - t0;
                }
            }
            long[] sorted = Arrays.copyOf(latency, n);
            Arrays.sort(sorted);
            System.out.printf(
                    "bindings-qd1 %s %s iops=%.0f p50_us=%.1f mean_us=%.1f%n",
                    write ? "randwrite" : "randread",
                    spin ? "spin" : "park",
                    n / (double) seconds,
                    sorted[n / 2] / 1e3,
                    Arrays.stream(sorted).average().orElse(0) / 1e3);
        }
        System.exit(0);
    }
}
