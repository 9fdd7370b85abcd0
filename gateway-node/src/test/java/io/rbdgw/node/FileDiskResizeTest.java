package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A file disk grows online (issue #13, defect 5): after its size grows in the configuration (what the admin API's
 * resize writes), a live session on its LUN gets CAPACITY DATA HAS CHANGED (06/2A/09), READ CAPACITY(16) reports
 * the new size and the blocks past the old end can be read and written, without a new login. A standalone gateway
 * in this process, a real iSCSI session over TCP.
 */
class FileDiskResizeTest {
    static {
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    static final long OLD = 4L << 20;
    static final long NEW = 8L << 20;

    @TempDir
    Path tmp;

    @Test
    void aGrownFileDiskIsServedWithItsNewSizeAndHostsAreTold() throws Exception {
        Path data = tmp.resolve("data");
        StandaloneCommand cmd = new StandaloneCommand();
        new CommandLine(cmd)
                .parseArgs(
                        "--data-dir",
                        data.toString(),
                        "--listen",
                        "127.0.0.1:0",
                        "--admin-listen",
                        "127.0.0.1:0",
                        "--metrics-listen",
                        "off",
                        "--lun-size",
                        "4M");
        try (StandaloneCommand.Running r = cmd.start()) {
            ClusterConfig c = r.store.read();
            Disk disk = c.disks().get(0);
            String iqn = c.targets().get(0).iqn();
            try (TestInitiator host = new TestInitiator(new InetSocketAddress("127.0.0.1", r.portal.port()))) {
                host.login(TestInitiator.normalKeys("iqn.1998-01.com.vmware:esx-resize", iqn));
                drainUnitAttentions(host);
                assertThat(capacity(host)).isEqualTo(OLD);
                // past the old end: LBA OUT OF RANGE before the resize
                assertThat(readStatus(host, OLD / 512)).isEqualTo(0x052100);

                long epoch = r.store.update(cc -> List.of(new ConfigChange.PutDisk(disk.withSize(NEW))), 5);
                r.gateway.reconciler().awaitApplied(epoch, java.time.Duration.ofSeconds(10));

                assertThat(tur(host))
                        .as("the next command reports the new capacity")
                        .isEqualTo(0x062A09);
                assertThat(tur(host)).isZero();
                assertThat(capacity(host)).isEqualTo(NEW);
                assertThat(readStatus(host, OLD / 512))
                        .as("a read past the old end")
                        .isZero();
                assertThat(readStatus(host, NEW / 512 - 1))
                        .as("the new last block")
                        .isZero();
                assertThat(readStatus(host, NEW / 512)).isEqualTo(0x052100);
            }
            assertThat(Files.size(data.resolve("lun0.img"))).isEqualTo(NEW);
            assertThat(r.gateway.reconciler().status().orElseThrow().detail()).isEmpty();
        }
    }

    private static void drainUnitAttentions(TestInitiator host) throws Exception {
        for (int i = 0; i < 10; i++) {
            if (tur(host) == 0) {
                return;
            }
        }
        throw new AssertionError("the LUN keeps reporting unit attentions");
    }

    /** TEST UNIT READY to LUN 0: 0 when GOOD, else the sense as 0xKKAAQQ. */
    private static int tur(TestInitiator host) throws Exception {
        host.send(host.command(new byte[] {0x00, 0, 0, 0, 0, 0}, false, false, 0, null, true));
        ScsiResponse r = host.expect(ScsiResponse.class, 5000);
        try {
            return r.status() == 0 ? 0 : sense(r);
        } finally {
            r.release();
        }
    }

    private static int sense(ScsiResponse r) {
        ByteBuf d = r.data();
        int base = d.readerIndex() + 2;
        return ((d.getByte(base + 2) & 0x0f) << 16)
                | ((d.getByte(base + 12) & 0xff) << 8)
                | (d.getByte(base + 13) & 0xff);
    }

    /** READ CAPACITY(16): the size in bytes. */
    private static long capacity(TestInitiator host) throws Exception {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x9E;
        cdb[1] = 0x10;
        cdb[13] = 32;
        byte[] d = readData(host, cdb, 32);
        ByteBuffer b = ByteBuffer.wrap(d);
        return (b.getLong(0) + 1) * b.getInt(8);
    }

    /** READ(16) of one block at {@code lba}: 0 when GOOD, else the sense as 0xKKAAQQ. */
    private static int readStatus(TestInitiator host, long lba) throws Exception {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x88;
        ByteBuffer.wrap(cdb).putLong(2, lba).putInt(10, 1);
        host.send(host.command(cdb, true, false, 512, null, true));
        List<Object> got = new ArrayList<>();
        while (true) {
            Object o = host.poll(5000);
            if (o == null) {
                throw new AssertionError("no answer to READ(16) at " + lba);
            }
            if (o instanceof DataIn in) {
                try {
                    if (in.hasStatus()) {
                        return in.status();
                    }
                } finally {
                    in.release();
                }
            } else if (o instanceof ScsiResponse r) {
                try {
                    return r.status() == 0 ? 0 : sense(r);
                } finally {
                    r.release();
                }
            } else {
                got.add(o);
                throw new AssertionError("unexpected " + got);
            }
        }
    }

    private static byte[] readData(TestInitiator host, byte[] cdb, int length) throws Exception {
        host.send(host.command(cdb, true, false, length, null, true));
        byte[] out = new byte[length];
        int n = 0;
        while (true) {
            Object o = host.poll(5000);
            if (o instanceof DataIn in) {
                try {
                    int len = in.data().readableBytes();
                    in.data().getBytes(in.data().readerIndex(), out, in.bufferOffset(), len);
                    n += len;
                    if (in.hasStatus()) {
                        assertThat(in.status()).isZero();
                        return out;
                    }
                } finally {
                    in.release();
                }
            } else if (o instanceof ScsiResponse r) {
                try {
                    assertThat(r.status())
                            .as("sense %06x", r.status() == 0 ? 0 : sense(r))
                            .isZero();
                    return out;
                } finally {
                    r.release();
                }
            } else {
                throw new AssertionError("unexpected answer " + o);
            }
        }
    }
}
