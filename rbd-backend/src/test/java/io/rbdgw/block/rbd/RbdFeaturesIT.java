package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateways' image-feature policy against a real cluster: images made for the gateways have no
 * exclusive-lock; an image that has it loses it (with object-map and fast-diff) even while another librbd
 * client holds the lock, even one that took it explicitly, but not with journaling.
 */
class RbdFeaturesIT {

    private static final long MIB = 1 << 20;
    private static RbdImages images;

    @BeforeAll
    static void connect() throws Exception {
        images = TestCeph.cluster().images(TestCeph.POOL);
    }

    private static void write(RbdBlockDevice dev, long offset) {
        ByteBuffer data = ByteBuffer.allocateDirect(4096);
        Done done = new Done();
        dev.write(offset, data, false, done);
        assertThat(done.success()).isEqualTo(4096);
    }

    @Test
    void gatewayFeaturesHaveNoLock() throws Exception {
        String name = TestCeph.uniqueName("it-feat-gw");
        images.create(name, 8 * MIB, RbdImages.GATEWAY_FEATURES, 22);
        try {
            assertThat(images.features(name)).isEqualTo(RbdImages.LAYERING | RbdImages.DEEP_FLATTEN);
            assertThat(images.disableExclusiveLock(name)).isZero();
        } finally {
            images.delete(name);
        }
    }

    @Test
    void theLockFeaturesGoEvenWhileAnotherClientHoldsTheLock() throws Exception {
        String name = TestCeph.uniqueName("it-feat-held");
        images.create(name, 8 * MIB, RbdImages.DEFAULT_FEATURES, 22);
        try (RbdCluster other = RbdCluster.connect(TestCeph.CLIENT_ID, TestCeph.conf());
                RbdBlockDevice holder = other.images(TestCeph.POOL).open(name)) {
            write(holder, 0); // librbd takes the lock on the first write
            assertThat(ExclusiveLocks.isOwner(holder)).isTrue();

            assertThat(images.disableExclusiveLock(name))
                    .isEqualTo(RbdImages.EXCLUSIVE_LOCK | RbdImages.OBJECT_MAP | RbdImages.FAST_DIFF);
            assertThat(images.features(name)).isEqualTo(RbdImages.GATEWAY_FEATURES);
            write(holder, 4096); // the holder goes on writing, without a lock
            assertThat(ExclusiveLocks.features(holder) & RbdImages.EXCLUSIVE_LOCK)
                    .isZero();
        } finally {
            images.delete(name);
        }
    }

    @Test
    void evenALockTakenExplicitlyGoesBecauseLibrbdHasItsHolderDoTheUpdate() throws Exception {
        // measured on Pacific: a feature update on an image whose lock another client holds is forwarded to that
        // client, which performs it, even when it took the lock with rbd_lock_acquire (as tcmu-runner does)
        String name = TestCeph.uniqueName("it-feat-managed");
        images.create(name, 8 * MIB, RbdImages.DEFAULT_FEATURES, 22);
        try (RbdCluster other = RbdCluster.connect(TestCeph.CLIENT_ID, TestCeph.conf());
                RbdBlockDevice holder = other.images(TestCeph.POOL).open(name)) {
            ExclusiveLocks.acquire(holder);
            assertThat(ExclusiveLocks.isOwner(holder)).isTrue();
            assertThat(images.disableExclusiveLock(name)).isEqualTo(RbdImages.LOCK_FEATURES);
            assertThat(images.features(name)).isEqualTo(RbdImages.GATEWAY_FEATURES);
            write(holder, 0);
        } finally {
            images.delete(name);
        }
    }

    @Test
    void journalingIsRefused() throws Exception {
        String name = TestCeph.uniqueName("it-feat-journal");
        images.create(name, 8 * MIB, RbdImages.DEFAULT_FEATURES | RbdImages.JOURNALING, 22);
        try {
            assertThatThrownBy(() -> images.disableExclusiveLock(name))
                    .isInstanceOfSatisfying(
                            CephException.class, e -> assertThat(e.reason()).isEqualTo(CephException.Reason.BUSY))
                    .hasMessageContaining("journaling")
                    .hasMessageContaining(
                            "rbd feature disable " + TestCeph.POOL + "/" + name + " journaling fast-diff");
            assertThat(images.features(name)).isEqualTo(RbdImages.DEFAULT_FEATURES | RbdImages.JOURNALING);
        } finally {
            images.delete(name);
        }
    }
}
