package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Reducing rbd_diff_iterate2 extents to one GET LBA STATUS answer (no cluster needed). */
class DiffExtentsTest {

    private static final int B = 512;
    private static final long MIB = 1 << 20;
    private static final long OBJ = 4 * MIB;

    @Test
    void nothingReportedIsOneHoleToTheWindowEnd() {
        DiffExtents d = new DiffExtents();
        assertThat(d.statusAt(0, 64 * MIB, B)).isEqualTo(-64 * MIB);
        assertThat(d.statusAt(5 * MIB, 64 * MIB, B)).isEqualTo(-59 * MIB);
    }

    @Test
    void dataAtTheOffsetIsMappedForItsLength() {
        DiffExtents d = new DiffExtents();
        d.add(0, 69632, true);
        d.add(OBJ, 4096, true);
        assertThat(d.statusAt(0, 64 * MIB, B)).isEqualTo(69632);
        assertThat(d.statusAt(4096, 64 * MIB, B)).isEqualTo(69632 - 4096);
        assertThat(d.statusAt(OBJ, 64 * MIB, B)).isEqualTo(4096);
    }

    @Test
    void aHoleEndsAtTheNextData() {
        DiffExtents d = new DiffExtents();
        d.add(0, 4096, true);
        d.add(10 * MIB, 4096, true);
        assertThat(d.statusAt(4096, 64 * MIB, B)).isEqualTo(-(10 * MIB - 4096));
        assertThat(d.statusAt(8 * MIB, 64 * MIB, B)).isEqualTo(-2 * MIB);
        assertThat(d.statusAt(10 * MIB + 4096, 64 * MIB, B)).isEqualTo(-(54 * MIB - 4096));
    }

    @Test
    void adjacentAndOverlappingExtentsJoinInAnyOrder() {
        DiffExtents d = new DiffExtents();
        d.add(OBJ, OBJ, true); // object 1, whole
        d.add(0, OBJ, true); // object 0, whole, reported after object 1
        d.add(OBJ / 2, 4096, true); // inside object 0
        d.add(2 * OBJ, 8192, true); // object 2 starts right where object 1 ends
        d.add(3 * OBJ, 512, true); // separate
        assertThat(d.size()).isEqualTo(5);
        assertThat(d.statusAt(0, 64 * MIB, B)).isEqualTo(2 * OBJ + 8192);
        assertThat(d.statusAt(2 * OBJ + 8192, 64 * MIB, B)).isEqualTo(-(OBJ - 8192));
    }

    @Test
    void answersStopAtTheWindowEnd() {
        DiffExtents d = new DiffExtents();
        d.add(0, 128 * MIB, true);
        assertThat(d.statusAt(MIB, 64 * MIB, B)).isEqualTo(63 * MIB);
        DiffExtents hole = new DiffExtents();
        hole.add(100 * MIB, 4096, true);
        assertThat(hole.statusAt(0, 64 * MIB, B)).isEqualTo(-64 * MIB);
    }

    @Test
    void extentsThatDoNotExistAreHoles() {
        DiffExtents d = new DiffExtents();
        d.add(0, OBJ, false); // data a snapshot has and the image no longer has
        d.add(OBJ, 0, true);
        assertThat(d.size()).isZero();
        assertThat(d.statusAt(0, 2 * OBJ, B)).isEqualTo(-2 * OBJ);
    }

    @Test
    void partialBlocksCountAsMapped() {
        DiffExtents d = new DiffExtents();
        d.add(1000, 10, true); // inside block 1
        d.add(4097, 1, true); // inside block 8
        assertThat(d.statusAt(0, MIB, B)).isEqualTo(-B);
        assertThat(d.statusAt(B, MIB, B)).isEqualTo(B);
        assertThat(d.statusAt(2 * B, MIB, B)).isEqualTo(-(4096 - 2 * B));
        assertThat(d.statusAt(4096, MIB, B)).isEqualTo(B);
    }

    @Test
    void emptyWindowIsRefused() {
        assertThatThrownBy(() -> new DiffExtents().statusAt(B, B, B)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void manyExtentsGrowTheTable() {
        DiffExtents d = new DiffExtents();
        for (int i = 99; i >= 0; i--) {
            d.add(i * 8192L, 4096, true);
        }
        assertThat(d.size()).isEqualTo(100);
        assertThat(d.statusAt(0, MIB, B)).isEqualTo(4096);
        assertThat(d.statusAt(4096, MIB, B)).isEqualTo(-4096);
        assertThat(d.statusAt(99 * 8192L, MIB, B)).isEqualTo(4096);
        assertThat(d.statusAt(99 * 8192L + 4096, MIB, B)).isEqualTo(-(MIB - 99 * 8192L - 4096));
    }

    @Test
    void windowCoversWholeObjectsFromTheOneHoldingTheOffset() {
        assertThat(DiffExtents.windowEnd(0, 1024 * MIB, OBJ, 16)).isEqualTo(64 * MIB);
        assertThat(DiffExtents.windowEnd(5 * MIB, 1024 * MIB, OBJ, 16)).isEqualTo(68 * MIB);
        assertThat(DiffExtents.windowEnd(1000 * MIB, 1024 * MIB, OBJ, 16)).isEqualTo(1024 * MIB);
        assertThat(DiffExtents.windowEnd(0, 10 * MIB, OBJ, 1)).isEqualTo(OBJ);
        // absurd object sizes do not overflow
        assertThat(DiffExtents.windowEnd(0, Long.MAX_VALUE - 511, Long.MAX_VALUE / 2, 16))
                .isEqualTo(Long.MAX_VALUE - 511);
    }
}
