package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.block.BlockDeviceException.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RbdBlockDevice.allocationStatus (GET LBA STATUS) through rbd_diff_iterate2 on the real cluster.
 * Every test uses its own fresh image, since what is allocated is the point.
 *
 * <p>librbd's diff without a snapshot reports each existing object from its start to its current
 * end (the object size RADOS keeps), so data is placed at object starts where an exact hole boundary
 * is asserted.
 */
class RbdAllocationStatusIT {

    private static final long MIB = 1 << 20;
    private static final long OBJ = 4 * MIB; // RbdImages.DEFAULT_ORDER
    private static final long WINDOW = AllocationQueries.WINDOW_OBJECTS * OBJ;

    private static RbdImages images;

    @BeforeAll
    static void connect() throws Exception {
        images = TestCeph.cluster().images(TestCeph.POOL);
    }

    private static void write(RbdBlockDevice dev, long offset, int length) {
        Done done = new Done();
        dev.write(offset, TestCeph.random(length, offset), false, done);
        assertThat(done.success()).isEqualTo(length);
    }

    private static void discard(RbdBlockDevice dev, long offset, long length) {
        Done done = new Done();
        dev.discard(offset, length, done);
        assertThat(done.success()).isEqualTo(length);
    }

    /** Positive: mapped bytes from offset; negative: deallocated bytes from offset. */
    private static long status(RbdBlockDevice dev, long offset) {
        Done done = new Done();
        dev.allocationStatus(offset, done);
        long bytes = done.success();
        assertThat(done.thread)
                .as("answered on a query thread, not the caller's")
                .startsWith("rbd-lba-status");
        return bytes;
    }

    @ParameterizedTest(name = "features {0}")
    @ValueSource(longs = {RbdImages.GATEWAY_FEATURES, RbdImages.DEFAULT_FEATURES})
    void writesMapAndWholeObjectDiscardsDeallocate(long features) throws Exception {
        String name = TestCeph.uniqueName("it-lbas");
        images.create(name, 256 * MIB, features, RbdImages.DEFAULT_ORDER);
        try (RbdBlockDevice dev = images.open(name)) {
            assertThat(status(dev, 0))
                    .as("fresh image: a hole as long as the window")
                    .isEqualTo(-WINDOW);
            assertThat(status(dev, 100 * MIB + 4096))
                    .as("window from the object holding the offset")
                    .isEqualTo(-(100 * MIB + WINDOW - (100 * MIB + 4096)));

            write(dev, 8 * MIB, 64 * 1024); // start of object 2
            write(dev, 20 * MIB + 128 * 1024, 4096); // inside object 5

            assertThat(status(dev, 0)).as("hole up to the first data").isEqualTo(-8 * MIB);
            assertThat(status(dev, MIB)).as("middle of a hole").isEqualTo(-7 * MIB);
            assertThat(status(dev, 8 * MIB)).as("the written range").isEqualTo(64 * 1024);
            assertThat(status(dev, 8 * MIB + 32 * 1024)).isEqualTo(32 * 1024);
            // object 5 is reported from its start, so the hole ends at 20 MiB
            assertThat(status(dev, 8 * MIB + 64 * 1024)).isEqualTo(-(12 * MIB - 64 * 1024));
            assertThat(status(dev, 20 * MIB + 128 * 1024)).isEqualTo(4096);
            assertThat(status(dev, 20 * MIB + 132 * 1024))
                    .as("after the last data: hole to the window end")
                    .isEqualTo(-(20 * MIB + WINDOW - (20 * MIB + 132 * 1024)));

            discard(dev, 8 * MIB, OBJ);
            assertThat(status(dev, 0)).as("object 2 discarded whole").isEqualTo(-20 * MIB);
            assertThat(status(dev, 8 * MIB)).isEqualTo(-12 * MIB);

            // a discard inside an object leaves the object: still mapped (discardZeroes=false)
            discard(dev, 20 * MIB + 128 * 1024, 512);
            assertThat(status(dev, 20 * MIB + 128 * 1024)).isPositive();

            discard(dev, 20 * MIB, OBJ);
            assertThat(status(dev, 0)).as("everything discarded").isEqualTo(-WINDOW);
        } finally {
            images.delete(name);
        }
    }

    @Test
    void mappedDataLongerThanTheWindowStopsAtTheWindowEnd() throws Exception {
        String name = TestCeph.uniqueName("it-lbas-long");
        long window = WINDOW;
        images.create(name, window + 2 * OBJ, RbdImages.GATEWAY_FEATURES, RbdImages.DEFAULT_ORDER);
        try (RbdBlockDevice dev = images.open(name)) {
            // one 512-byte write at the end of every object makes every object exist up to its end
            for (long obj = 0; obj < window / OBJ + 2; obj++) {
                write(dev, obj * OBJ + OBJ - 512, 512);
            }
            assertThat(status(dev, 0)).isEqualTo(window);
            assertThat(status(dev, OBJ + 512)).isEqualTo(window - 512);
        } finally {
            images.delete(name);
        }
    }

    @Test
    void theEndOfTheImageBoundsTheAnswer() throws Exception {
        String name = TestCeph.uniqueName("it-lbas-end");
        long size = 10 * MIB;
        images.create(name, size, RbdImages.GATEWAY_FEATURES, RbdImages.DEFAULT_ORDER);
        try (RbdBlockDevice dev = images.open(name)) {
            assertThat(status(dev, 0)).isEqualTo(-size);
            assertThat(status(dev, size - 512)).isEqualTo(-512);
            write(dev, size - 4096, 4096);
            assertThat(status(dev, size - 4096)).isEqualTo(4096);
            Done beyond = new Done();
            dev.allocationStatus(size, beyond);
            assertThat(beyond.failure().kind()).isEqualTo(Kind.OUT_OF_RANGE);
        } finally {
            images.delete(name);
        }
    }

    @Test
    void aCloneCountsItsParentsDataAsMapped() throws Exception {
        String parent = TestCeph.uniqueName("it-lbas-parent");
        String child = TestCeph.uniqueName("it-lbas-child");
        images.create(parent, 64 * MIB, RbdImages.GATEWAY_FEATURES, RbdImages.DEFAULT_ORDER);
        boolean cloned = false;
        try {
            try (RbdBlockDevice dev = images.open(parent)) {
                write(dev, 4 * MIB, 64 * 1024);
            }
            images.createSnapshot(parent, "base");
            TestCeph.cli("rbd", "snap", "protect", TestCeph.POOL + "/" + parent + "@base");
            TestCeph.cli(
                    "rbd",
                    "clone",
                    "--image-feature",
                    "layering,deep-flatten",
                    TestCeph.POOL + "/" + parent + "@base",
                    TestCeph.POOL + "/" + child);
            cloned = true;
            try (RbdBlockDevice dev = images.open(child)) {
                assertThat(status(dev, 0)).isEqualTo(-4 * MIB);
                assertThat(status(dev, 4 * MIB)).as("the parent's data").isEqualTo(64 * 1024);
                write(dev, 12 * MIB, 4096);
                assertThat(status(dev, 4 * MIB + 64 * 1024))
                        .as("hole up to the child's own data")
                        .isEqualTo(-(8 * MIB - 64 * 1024));
                assertThat(status(dev, 12 * MIB)).isEqualTo(4096);
            }
        } finally {
            if (cloned) {
                images.delete(child);
            }
            TestCeph.cli("rbd", "snap", "unprotect", TestCeph.POOL + "/" + parent + "@base");
            images.deleteSnapshot(parent, "base");
            images.delete(parent);
        }
    }

    @Test
    void aFloodOfQueriesIsAnsweredOrRefusedAsBusyNeverLost() throws Exception {
        String name = TestCeph.uniqueName("it-lbas-flood");
        images.create(name, 256 * MIB, RbdImages.GATEWAY_FEATURES, RbdImages.DEFAULT_ORDER);
        try (RbdBlockDevice dev = images.open(name)) {
            write(dev, 0, 4096);
            int n = 500;
            long start = System.nanoTime();
            List<Done> all = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Done done = new Done();
                all.add(done);
                dev.allocationStatus(0, done);
            }
            int busy = 0;
            for (Done done : all) {
                Object outcome = done.outcome();
                if (outcome == Kind.TRANSIENT) {
                    assertThat(done.failure().getMessage()).contains("queries already waiting");
                    busy++;
                } else {
                    assertThat(outcome).isEqualTo(4096L);
                }
            }
            System.out.printf(
                    "allocation status flood: %d answered by %d threads in %.1f ms, %d refused%n",
                    n - busy, AllocationQueries.THREADS, (System.nanoTime() - start) / 1e6, busy);
            // each query takes milliseconds (16 list_snaps), the loop microseconds: the queue fills
            assertThat(busy).as("refused beyond the queue").isPositive();
            assertThat(n - busy).as("answered").isGreaterThanOrEqualTo(AllocationQueries.QUEUE);
            assertThat(status(dev, 0)).as("still answers afterwards").isEqualTo(4096);
        } finally {
            images.delete(name);
        }
    }

    @Test
    void closedDeviceAnswersClosed() throws Exception {
        String name = TestCeph.uniqueName("it-lbas-closed");
        images.create(name, 8 * MIB, RbdImages.GATEWAY_FEATURES, RbdImages.DEFAULT_ORDER);
        try {
            RbdBlockDevice dev = images.open(name);
            Done pending = new Done();
            dev.allocationStatus(0, pending);
            dev.close(); // waits for the query in flight, which may also see the close
            assertThat(pending.outcome()).isIn(-8 * MIB, Kind.CLOSED);
            Done done = new Done();
            dev.allocationStatus(0, done);
            assertThat(done.failure().kind()).isEqualTo(Kind.CLOSED);
        } finally {
            images.delete(name);
        }
    }
}
