package io.rbdgw.it.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.it.TestCluster;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk's capacity change is seen by every nexus on every gateway, exactly once: two {@code run} gateways sharing
 * ZooKeeper serve one RBD image, two hosts have a session through each gateway, and a resize of the image (what the
 * admin API's disk resize does to an RBD disk) gives each of the four sessions one CAPACITY DATA HAS CHANGED
 * (06/2A/09) and then the new size. Each gateway learns the new size from its own watch of the image header, so the
 * unit attention needs no cluster-wide document (unlike a LOGICAL UNIT RESET's 29/03).
 */
class CapacityChangedClusterIT {
    static final String HOST1 = "iqn.1991-05.com.microsoft:host1.capacity.test";
    static final String HOST2 = "iqn.1991-05.com.microsoft:host2.capacity.test";
    static final int GOOD = 0;
    static final int CHECK_CONDITION = 2;
    static final long OLD = 64L << 20;
    static final long NEW = 128L << 20;

    @TempDir
    Path dir;

    @Test
    void aResizeGivesEveryNexusOnBothGatewaysOneCapacityDataHasChanged() throws Exception {
        try (FailoverCluster c =
                FailoverCluster.start(dir, "wt-pr-capacity", OLD, new FailoverCluster.Timing(null, null))) {
            c.allow(HOST1, HOST2);
            List<WindowsClusterReservationIT.Path1> paths = new ArrayList<>();
            try {
                paths.add(new WindowsClusterReservationIT.Path1(c.portal(0), HOST1, 0x400001370000L));
                paths.add(new WindowsClusterReservationIT.Path1(c.portal(1), HOST1, 0x400001370001L));
                paths.add(new WindowsClusterReservationIT.Path1(c.portal(0), HOST2, 0x400001370000L));
                paths.add(new WindowsClusterReservationIT.Path1(c.portal(1), HOST2, 0x400001370001L));
                for (WindowsClusterReservationIT.Path1 p : paths) {
                    assertThat(capacity(p)).isEqualTo(OLD);
                }

                TestCluster.rbd("resize", "--no-progress", "--size", (NEW >> 20) + "M", c.diskId());

                for (WindowsClusterReservationIT.Path1 p : paths) {
                    List<String> senses = new ArrayList<>();
                    await().atMost(Duration.ofSeconds(30))
                            .pollInterval(Duration.ofMillis(100))
                            .until(() -> testUnitReady(p, senses) != GOOD);
                    // every unit attention it has, up to the first GOOD: exactly one 2A/09
                    while (testUnitReady(p, senses) != GOOD) {
                        assertThat(senses).as("unit attentions of one nexus").hasSizeLessThan(8);
                    }
                    assertThat(senses).as("what one nexus was told").containsExactly("062a09");
                    assertThat(capacity(p)).isEqualTo(NEW);
                }
            } finally {
                paths.forEach(WindowsClusterReservationIT.Path1::close);
            }
        }
    }

    /** TEST UNIT READY; a CHECK CONDITION's sense key/ASC/ASCQ is added to {@code senses}. */
    static int testUnitReady(WindowsClusterReservationIT.Path1 p, List<String> senses) throws Exception {
        int status = p.exec(new byte[] {0, 0, 0, 0, 0, 0}, 0, null);
        if (status == CHECK_CONDITION) {
            senses.add(String.format("%02x%02x%02x", p.sense[2] & 0x0f, p.sense[12] & 0xff, p.sense[13] & 0xff));
        } else {
            assertThat(status).isEqualTo(GOOD);
        }
        return status;
    }

    /** READ CAPACITY(16) in bytes. */
    static long capacity(WindowsClusterReservationIT.Path1 p) throws Exception {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x9E;
        cdb[1] = 0x10;
        cdb[13] = 32;
        assertThat(p.exec(cdb, 32, null)).isEqualTo(GOOD);
        ByteBuffer b = ByteBuffer.wrap(p.data);
        return (b.getLong(0) + 1) * b.getInt(8);
    }
}
