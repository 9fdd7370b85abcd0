package io.rbdgw.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.rbdgw.config.alua.AluaView;
import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.alua.WriteToken;
import io.rbdgw.config.membership.MembershipView;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Portal;
import io.rbdgw.config.model.Target;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.Documents;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.ScsiCommand;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import io.rbdgw.it.Cmd;
import io.rbdgw.it.GatewayProcess;
import io.rbdgw.it.TestCluster;
import io.rbdgw.it.ZkConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EXTENDED COPY across the gateway pair on the dev Ceph cluster, as ESXi's VAAI clone sends it: two RBD disks
 * (LUN 0 the source, LUN 1 the destination) both owned by gateway B (ALUA Active/Optimized, and B holds both write
 * tokens because it wrote to both); through gateway A a host sends EXTENDED COPY (LID1) commands of one
 * block-to-block segment descriptor (0x02) of 4 MiB each, then RECEIVE COPY RESULTS, retrying 02/04/0A and BUSY as
 * hosts do. {@code rbd export} of both images then shows the destination range equal to the source range byte for
 * byte and nothing else changed, and the source disk's write token still with B (a copy only reads the source).
 *
 * <p>The range is 64 MiB; {@code -Drbdgw.it.copy-mib=1024} copies 1 GiB. The test also prints the copy rate and,
 * for comparison, that of {@code rbd cp} and of a host-side copy through the gateway ({@code qemu-img convert}
 * iscsi:// to iscsi://) of the same images (docs/benchmarks.md).
 */
class ClusterCopyIT {

    static final String IQN = "iqn.2026-11.io.rbdgw:copy";
    static final String HOST = "iqn.1998-01.com.vmware:esx-copy";
    static final String QEMU = "iqn.2008-11.org.linux-kvm:copy";
    static final long MIB = 1 << 20;
    static final int BS = 512;
    static final int GOOD = 0;
    static final int CHECK_CONDITION = 2;
    static final int BUSY = 8;
    /** Blocks per EXTENDED COPY: ESXi's default MaxHWTransferSize (4 MiB). */
    static final int SEGMENT_BLOCKS = (int) (4 * MIB / BS);

    @TempDir
    Path dir;

    final List<String> images = new ArrayList<>();
    final List<GatewayProcess> gateways = new ArrayList<>();
    ZkConfig zk;

    @AfterEach
    void cleanUp() throws Exception {
        for (GatewayProcess g : gateways) {
            g.close();
            assertThat(g.output()).doesNotContain("LEAK:");
        }
        if (zk != null) {
            zk.close();
        }
        for (String image : images) {
            TestCluster.removeImage(image);
        }
    }

    @Test
    void extendedCopyThroughTheNonOwnerCopiesBetweenTwoImagesOwnedByTheOtherGateway() throws Exception {
        long copyBytes = Long.getLong("rbdgw.it.copy-mib", 64) * MIB;
        long imageBytes = copyBytes + 32 * MIB;
        long srcOffset = 8 * MIB + 3 * BS; // not object-aligned on either side
        long dstOffset = 20 * MIB + 7 * BS;

        Path srcFile = randomFile("src.raw", imageBytes, 1);
        Path dstFile = randomFile("dst.raw", imageBytes, 2);
        String srcDisk = TestCluster.POOL + "/" + importImage("wt-copy-src", srcFile);
        String dstDisk = TestCluster.POOL + "/" + importImage("wt-copy-dst", dstFile);
        int[] ports = startPairOwnedByB(srcDisk, dstDisk, imageBytes);
        int portA = ports[0];
        int portB = ports[1];

        InetSocketAddress a = new InetSocketAddress("127.0.0.1", portA);

        InetSocketAddress b = new InetSocketAddress("127.0.0.1", portB);
        try (Host viaB = new Host(b, 0x400001550001L);
                Host viaA = new Host(a, 0x400001550002L)) {
            // B writes both disks (their own first block again, so the content stays the file's): it takes both tokens
            for (int lun = 0; lun < 2; lun++) {
                byte[] first = readRange(lun == 0 ? srcFile : dstFile, 0, BS);
                assertThat(viaB.retrying(lun, write16(0, 1), first)).isEqualTo(GOOD);
            }
            assertThat(tokenHolder(srcDisk)).isEqualTo("gw-b");
            assertThat(tokenHolder(dstDisk)).isEqualTo("gw-b");

            byte[] srcNaa = viaA.naa(0);
            byte[] dstNaa = viaA.naa(1);
            int commands = (int) (copyBytes / (SEGMENT_BLOCKS * (long) BS));
            int retries = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < commands; i++) {
                long srcLba = srcOffset / BS + (long) i * SEGMENT_BLOCKS;
                long dstLba = dstOffset / BS + (long) i * SEGMENT_BLOCKS;
                int listId = i & 0xff;
                byte[] list = xcopyList(listId, srcNaa, dstNaa, SEGMENT_BLOCKS, srcLba, dstLba);
                // the copy manager of either LU: first half sent to the destination, second half to the source
                int lun = i < commands / 2 ? 1 : 0;
                int status = viaA.retrying(lun, xcopyCdb(list.length), list);
                retries += viaA.retries;
                assertThat(status)
                        .as("EXTENDED COPY %d through gateway A (sense %s)", i, viaA.senseText())
                        .isEqualTo(GOOD);
                assertThat(viaA.exec(lun, receiveCopyStatus(listId), 12, null)).isEqualTo(GOOD);
                ByteBuffer st = ByteBuffer.wrap(viaA.data);
                assertThat(st.get(4) & 0x7f)
                        .as("COPY MANAGER STATUS: completed")
                        .isEqualTo(1);
                assertThat(st.getShort(5)).as("segments processed").isEqualTo((short) 1);
                assertThat(st.get(7)).as("transfer count in bytes").isZero();
                assertThat(st.getInt(8)).isEqualTo(SEGMENT_BLOCKS * BS);
            }
            double xcopySeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(
                    "EXTENDED COPY through the non-owner: %d MiB in %.2f s = %.1f MiB/s (%d commands of 4 MiB, "
                            + "%d retried)%n",
                    copyBytes / MIB, xcopySeconds, copyBytes / MIB / xcopySeconds, commands, retries);
            assertThat(tokenHolder(srcDisk))
                    .as("the source's write token stays with B: the copy only read the source")
                    .isEqualTo("gw-b");
        }

        Path srcOut = export(srcDisk, "src.out");
        Path dstOut = export(dstDisk, "dst.out");
        assertThat(mismatch(srcOut, 0, srcFile, 0, imageBytes))
                .as("source unchanged")
                .isEqualTo(-1);
        assertThat(mismatch(dstOut, 0, dstFile, 0, dstOffset))
                .as("destination before the range unchanged")
                .isEqualTo(-1);
        assertThat(mismatch(dstOut, dstOffset, srcFile, srcOffset, copyBytes))
                .as("destination range equals the source range")
                .isEqualTo(-1);
        long after = dstOffset + copyBytes;
        assertThat(mismatch(dstOut, after, dstFile, after, imageBytes - after))
                .as("destination after the range unchanged")
                .isEqualTo(-1);
        Files.delete(srcOut);
        Files.delete(dstOut);

        compareWithOtherCopies(srcDisk, imageBytes, portB);
    }

    /**
     * Windows ODX across the pair: POPULATE TOKEN through gateway A (the non-owner) for two ranges of LUN 0, the
     * token from RECEIVE ROD TOKEN INFORMATION through A, WRITE USING TOKEN through gateway B into LUN 1: {@code rbd
     * export} shows the data copied and nothing else changed. Through B, a token whose identifier was altered is
     * refused (23/04) and a token left unused past its inactivity timeout is refused (23/07).
     */
    @Test
    void odxTokenPopulatedThroughOneGatewayIsWrittenThroughTheOther() throws Exception {
        long imageBytes = 48 * MIB;
        Path srcFile = randomFile("src.raw", imageBytes, 3);
        Path dstFile = randomFile("dst.raw", imageBytes, 4);
        String srcDisk = TestCluster.POOL + "/" + importImage("wt-copy-odx-src", srcFile);
        String dstDisk = TestCluster.POOL + "/" + importImage("wt-copy-odx-dst", dstFile);
        int[] ports = startPairOwnedByB(srcDisk, dstDisk, imageBytes);
        long r1 = 1 * MIB / BS + 5; // two source ranges: 12 MiB + 8 MiB
        long n1 = 12 * MIB / BS;
        long r2 = 30 * MIB / BS;
        long n2 = 8 * MIB / BS;
        long d = 6 * MIB / BS + 3; // one destination range
        try (Host viaA = new Host(new InetSocketAddress("127.0.0.1", ports[0]), 0x400001560001L);
                Host viaB = new Host(new InetSocketAddress("127.0.0.1", ports[1]), 0x400001560002L)) {
            long t0 = System.nanoTime();
            assertThat(viaA.exec(0, tokenOut(0x10, 1, 48), 0, populateList(0, r1, n1, r2, n2)))
                    .as("POPULATE TOKEN through A (sense %s)", viaA.senseText())
                    .isEqualTo(GOOD);
            assertThat(viaA.exec(0, rrti(1), 4096, null)).isEqualTo(GOOD);
            byte[] token = Arrays.copyOfRange(viaA.data, 38, 38 + 512);
            int status = viaB.retrying(1, tokenOut(0x11, 2, 552), writeList(token, d, n1 + n2));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(status)
                    .as("WRITE USING TOKEN through B (sense %s)", viaB.senseText())
                    .isEqualTo(GOOD);
            assertThat(viaB.exec(1, rrti(2), 4096, null)).isEqualTo(GOOD);
            assertThat(ByteBuffer.wrap(viaB.data).getLong(16))
                    .as("blocks written")
                    .isEqualTo(n1 + n2);
            System.out.printf(
                    "ODX across the pair: %d MiB in %.2f s = %.1f MiB/s (token through A, written through B)%n",
                    (n1 + n2) * BS / MIB, seconds, (n1 + n2) * BS / MIB / seconds);

            byte[] forged = token.clone();
            forged[128 + 3] ^= 0x01;
            assertThat(viaB.exec(1, tokenOut(0x11, 3, 552), 0, writeList(forged, 0, 8)))
                    .isEqualTo(CHECK_CONDITION);
            assertThat(viaB.senseText()).as("forged token").isEqualTo("5/23/04");

            assertThat(viaA.exec(0, tokenOut(0x10, 4, 32), 0, populateList(1, 0, 8)))
                    .isEqualTo(GOOD);
            assertThat(viaA.exec(0, rrti(4), 4096, null)).isEqualTo(GOOD);
            byte[] shortLived = Arrays.copyOfRange(viaA.data, 38, 38 + 512);
            Thread.sleep(2500); // nothing to await: the token must go unused for longer than its 1 s timeout
            assertThat(viaB.exec(1, tokenOut(0x11, 5, 552), 0, writeList(shortLived, 0, 8)))
                    .isEqualTo(CHECK_CONDITION);
            assertThat(viaB.senseText()).as("expired token").isEqualTo("5/23/07");
        }
        Path srcOut = export(srcDisk, "src.out");
        Path dstOut = export(dstDisk, "dst.out");
        long dOff = d * BS;
        assertThat(mismatch(srcOut, 0, srcFile, 0, imageBytes))
                .as("source unchanged")
                .isEqualTo(-1);
        assertThat(mismatch(dstOut, 0, dstFile, 0, dOff)).as("before the range").isEqualTo(-1);
        assertThat(mismatch(dstOut, dOff, srcFile, r1 * BS, n1 * BS))
                .as("first source range")
                .isEqualTo(-1);
        assertThat(mismatch(dstOut, dOff + n1 * BS, srcFile, r2 * BS, n2 * BS))
                .as("second source range")
                .isEqualTo(-1);
        long after = dOff + (n1 + n2) * BS;
        assertThat(mismatch(dstOut, after, dstFile, after, imageBytes - after))
                .as("after the range")
                .isEqualTo(-1);
    }

    static byte[] tokenOut(int sa, int listId, int length) {
        ByteBuffer c = ByteBuffer.allocate(16);
        c.put((byte) 0x83).put((byte) sa).position(6);
        c.putInt(listId).putInt(length);
        return c.array();
    }

    static byte[] rrti(int listId) {
        ByteBuffer c = ByteBuffer.allocate(16);
        c.put((byte) 0x84).put((byte) 0x07).putInt(listId).position(10);
        c.putInt(4096);
        return c.array();
    }

    /** POPULATE TOKEN parameter list: inactivity timeout, then lba,blocks pairs. */
    static byte[] populateList(int inactivity, long... ranges) {
        ByteBuffer b = ByteBuffer.allocate(16 + 8 * ranges.length);
        b.putShort((short) (b.capacity() - 2)).putShort((short) 0).putInt(inactivity);
        b.putInt(0).putShort((short) 0).putShort((short) (8 * ranges.length));
        for (int i = 0; i < ranges.length; i += 2) {
            b.putLong(ranges[i]).putInt((int) ranges[i + 1]).putInt(0);
        }
        return b.array();
    }

    /** WRITE USING TOKEN parameter list: the token into one range. */
    static byte[] writeList(byte[] token, long lba, long blocks) {
        ByteBuffer b = ByteBuffer.allocate(552);
        b.putShort((short) 550)
                .putShort((short) 0)
                .putInt(0)
                .putLong(0)
                .put(token)
                .position(534);
        b.putShort((short) 16).putLong(lba).putInt((int) blocks).putInt(0);
        return b.array();
    }

    /**
     * Configures the pair (gw-a tpg 1, gw-b tpg 2, LUN 0 {@code srcDisk}, LUN 1 {@code dstDisk}), drains gw-a so
     * that the coordinator gives both disks to gw-b while gw-a still serves both LUNs, starts both; returns their
     * ports once both applied it and gw-b owns both disks.
     */
    private int[] startPairOwnedByB(String srcDisk, String dstDisk, long imageBytes) throws Exception {
        zk = new ZkConfig();
        ConfigStore store = zk.store();
        int portA = GatewayProcess.freePort();
        int portB = GatewayProcess.freePort();
        String[] src = srcDisk.split("/");
        String[] dst = dstDisk.split("/");
        long epoch = store.update(
                c -> List.of(
                        new ConfigChange.PutGateway(new Gateway("gw-a", List.of(new Portal("127.0.0.1", portA)), 1)),
                        new ConfigChange.PutGateway(new Gateway("gw-b", List.of(new Portal("127.0.0.1", portB)), 2)),
                        new ConfigChange.PutTarget(Target.of(IQN)),
                        new ConfigChange.PutDisk(Disk.rbd(src[0], src[1], imageBytes)),
                        new ConfigChange.PutDisk(Disk.rbd(dst[0], dst[1], imageBytes)),
                        new ConfigChange.PutLun(new Lun(IQN, 0, srcDisk)),
                        new ConfigChange.PutLun(new Lun(IQN, 1, dstDisk)),
                        new ConfigChange.PutClient(Client.allLuns(IQN, HOST)),
                        new ConfigChange.PutClient(Client.allLuns(IQN, QEMU))),
                5);
        new AluaView(zk.client(), store.layout()).drain("gw-a");
        gateways.add(start("gw-a", portA));
        gateways.add(start("gw-b", portB));
        MembershipView view = new MembershipView(zk.client(), store.layout());
        awaitTrue(
                Duration.ofSeconds(60),
                "both gateways applied the configuration",
                () -> view.appliedAtLeast(epoch).containsAll(List.of("gw-a", "gw-b")));
        awaitTrue(
                Duration.ofSeconds(60),
                "gw-b owns both disks",
                () -> "gw-b".equals(owner(srcDisk)) && "gw-b".equals(owner(dstDisk)));
        return new int[] {portA, portB};
    }

    /**
     * For docs/benchmarks.md: {@code rbd cp} of the whole source image, and a host-side copy of LUN 0 to LUN 1
     * through gateway B (qemu-img convert, its defaults: 8 coroutines).
     */
    private void compareWithOtherCopies(String srcDisk, long imageBytes, int portB) throws Exception {
        String copy = "wt-copy-cp-" + UUID.randomUUID().toString().substring(0, 8);
        images.add(copy);
        long t0 = System.nanoTime();
        TestCluster.rbd("cp", "--no-progress", srcDisk, TestCluster.POOL + "/" + copy);
        double rbdCp = (System.nanoTime() - t0) / 1e9;
        String opts = "driver=iscsi,transport=tcp,portal=127.0.0.1:" + portB + ",target=" + IQN + ",initiator-name="
                + QEMU + ",lun=";
        t0 = System.nanoTime();
        Cmd convert =
                Cmd.run(600, "qemu-img", "convert", "-n", "--image-opts", opts + 0, "--target-image-opts", opts + 1);
        double qemu = (System.nanoTime() - t0) / 1e9;
        assertThat(convert.exitCode()).as(convert.toString()).isZero();
        System.out.printf(
                "rbd cp: %d MiB in %.2f s = %.1f MiB/s; qemu-img convert through gateway B: %d MiB in %.2f s = "
                        + "%.1f MiB/s%n",
                imageBytes / MIB, rbdCp, imageBytes / MIB / rbdCp, imageBytes / MIB, qemu, imageBytes / MIB / qemu);
    }

    private GatewayProcess start(String name, int port) throws Exception {
        return GatewayProcess.run(
                name,
                port,
                dir.resolve(name),
                zk,
                "--ceph-conf",
                TestCluster.conf().toString(),
                "--ceph-id",
                TestCluster.CLIENT_ID,
                "--retry-interval",
                "1",
                "--alua-settle",
                "1",
                "--fence-seconds",
                "600",
                "--nop-interval",
                "600",
                "--nop-timeout",
                "600");
    }

    private String owner(String disk) {
        try {
            LunOwnership o = zk.owner(disk);
            return o.owner();
        } catch (Exception notYet) {
            return null;
        }
    }

    private String tokenHolder(String disk) throws Exception {
        String path = zk.store().layout().writer(disk);
        return new Documents()
                .read(path, zk.client().getData().forPath(path), WriteToken.class)
                .value()
                .holder();
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static void awaitTrue(Duration timeout, String what, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(100);
        }
    }

    private Path randomFile(String name, long bytes, long seed) throws IOException {
        Path p = dir.resolve(name);
        SplittableRandom r = new SplittableRandom(seed);
        byte[] chunk = new byte[(int) MIB];
        try (OutputStream out = Files.newOutputStream(p)) {
            for (long done = 0; done < bytes; done += chunk.length) {
                for (int i = 0; i < chunk.length; i += 8) {
                    ByteBuffer.wrap(chunk, i, 8).putLong(r.nextLong());
                }
                out.write(chunk);
            }
        }
        return p;
    }

    /** {@code rbd import} of {@code file} into a new image (layering only, as the failover tests use). */
    private String importImage(String prefix, Path file) throws Exception {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        TestCluster.rbd(
                "import",
                "--no-progress",
                "--image-feature",
                "layering",
                file.toString(),
                TestCluster.POOL + "/" + name);
        images.add(name);
        return name;
    }

    private Path export(String disk, String name) throws Exception {
        Path out = dir.resolve(name);
        TestCluster.rbd("export", "--no-progress", disk, out.toString());
        return out;
    }

    private static byte[] readRange(Path file, long offset, int length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return b;
        }
    }

    /** The offset (relative to the range) of the first differing byte of two file ranges, or -1. */
    private static long mismatch(Path a, long aOffset, Path b, long bOffset, long length) throws IOException {
        try (RandomAccessFile fa = new RandomAccessFile(a.toFile(), "r");
                RandomAccessFile fb = new RandomAccessFile(b.toFile(), "r")) {
            assertThat(fa.length()).as(a + " is shorter than the range").isGreaterThanOrEqualTo(aOffset + length);
            byte[] ba = new byte[(int) MIB];
            byte[] bb = new byte[(int) MIB];
            fa.seek(aOffset);
            fb.seek(bOffset);
            for (long done = 0; done < length; ) {
                int n = (int) Math.min(ba.length, length - done);
                fa.readFully(ba, 0, n);
                fb.readFully(bb, 0, n);
                int m = Arrays.mismatch(ba, 0, n, bb, 0, n);
                if (m >= 0) {
                    return done + m;
                }
                done += n;
            }
            return -1;
        }
    }

    static byte[] write16(long lba, int blocks) {
        ByteBuffer c = ByteBuffer.allocate(16);
        c.put((byte) 0x8A).put((byte) 0).putLong(lba).putInt(blocks);
        return c.array();
    }

    static byte[] xcopyCdb(int listLength) {
        ByteBuffer c = ByteBuffer.allocate(16);
        c.put((byte) 0x83).put((byte) 0x00).position(10);
        c.putInt(listLength);
        return c.array();
    }

    static byte[] receiveCopyStatus(int listId) {
        ByteBuffer c = ByteBuffer.allocate(16);
        c.put((byte) 0x84).put((byte) 0x00).put((byte) listId).position(10);
        c.putInt(12);
        return c.array();
    }

    /**
     * An EXTENDED COPY (LID1) parameter list as ESXi builds it: list id held (usage 00b), two identification
     * target descriptors (0xE4, NAA IEEE Registered Extended, 512-byte blocks), one block-to-block segment.
     */
    static byte[] xcopyList(int listId, byte[] srcNaa, byte[] dstNaa, int blocks, long srcLba, long dstLba) {
        ByteBuffer b = ByteBuffer.allocate(16 + 64 + 28);
        b.put((byte) listId)
                .put((byte) 0)
                .putShort((short) 64)
                .putInt(0)
                .putInt(28)
                .putInt(0);
        for (byte[] naa : List.of(srcNaa, dstNaa)) {
            int at = b.position();
            b.put((byte) 0xE4).put((byte) 0).putShort((short) 0);
            b.put((byte) 0x01).put((byte) 0x03).put((byte) 0).put((byte) 16).put(naa);
            b.position(at + 28).put((byte) 0).put((byte) 0).putShort((short) BS);
        }
        b.put((byte) 0x02).put((byte) 0).putShort((short) 24);
        b.putShort((short) 0).putShort((short) 1).putShort((short) 0).putShort((short) blocks);
        b.putLong(srcLba).putLong(dstLba);
        return b.array();
    }

    /** One host session to a gateway, commands to any LUN, answers kept for the caller. */
    static final class Host implements AutoCloseable {
        final TestInitiator conn;
        int status;
        byte[] data;
        byte[] sense;
        int retries;

        Host(InetSocketAddress portal, long isid) throws Exception {
            conn = new TestInitiator(portal).isid(isid);
            Map<String, String> answer = conn.login(TestInitiator.normalKeys(HOST, IQN));
            assertThat(answer).as("login").isNotNull();
            // the first commands see 29/00 (new nexus) and perhaps ALUA changes: clear them on both LUNs
            for (int lun = 0; lun < 2; lun++) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (exec(lun, new byte[6], 0, null) != GOOD) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new AssertionError("TEST UNIT READY on LUN " + lun + " keeps failing: " + senseText());
                    }
                }
            }
        }

        /** The LU's NAA designator (16 bytes) from VPD page 0x83. */
        byte[] naa(int lun) throws Exception {
            assertThat(exec(lun, new byte[] {0x12, 0x01, (byte) 0x83, 0x01, 0x00, 0}, 256, null))
                    .isEqualTo(GOOD);
            ByteBuffer p = ByteBuffer.wrap(data);
            int end = 4 + (p.getShort(2) & 0xffff);
            for (int at = 4; at + 4 <= end; at += 4 + (p.get(at + 3) & 0xff)) {
                int codeSet = p.get(at) & 0x0f;
                int association = (p.get(at + 1) >> 4) & 0x03;
                int type = p.get(at + 1) & 0x0f;
                int len = p.get(at + 3) & 0xff;
                if (codeSet == 1 && association == 0 && type == 3 && len == 16) {
                    return Arrays.copyOfRange(data, at + 4, at + 20);
                }
            }
            throw new AssertionError("no NAA designator for LUN " + lun);
        }

        /** A command retried while it ends 02/xx/xx (the write token moving) or BUSY, as hosts do; bounded. */
        int retrying(int lun, byte[] cdb, byte[] out) throws Exception {
            retries = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (true) {
                int s = exec(lun, cdb, 0, out);
                boolean retry = s == BUSY || (s == CHECK_CONDITION && sense != null && (sense[2] & 0x0f) == 2);
                if (!retry || System.nanoTime() - deadline > 0) {
                    return s;
                }
                retries++;
            }
        }

        String senseText() {
            return sense == null
                    ? "none"
                    : String.format("%x/%02x/%02x", sense[2] & 0x0f, sense[12] & 0xff, sense[13] & 0xff);
        }

        int exec(int lun, byte[] cdb, int readLength, byte[] out) throws Exception {
            boolean write = out != null;
            ByteBuf imm = write ? Unpooled.wrappedBuffer(out) : Unpooled.EMPTY_BUFFER;
            ScsiCommand cmd = conn.command(lun, cdb, readLength > 0, write, write ? out.length : readLength, imm, true);
            conn.send(cmd);
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (true) {
                Object o = conn.poll(100);
                if (o == null) {
                    if (System.nanoTime() - deadline > 0 || conn.isClosed()) {
                        throw new AssertionError("no response to " + String.format("%02x", cdb[0]));
                    }
                    continue;
                }
                try {
                    if (o instanceof DataIn d && d.itt() == cmd.itt()) {
                        in.write(ByteBufUtil.getBytes(d.data()));
                        if (d.hasStatus()) {
                            conn.expStatSN(d.statSN() + 1);
                            return done(d.status(), null, in);
                        }
                    } else if (o instanceof ScsiResponse r && r.itt() == cmd.itt()) {
                        conn.expStatSN(r.statSN() + 1);
                        byte[] s = ByteBufUtil.getBytes(r.data());
                        return done(r.status(), s.length > 2 ? Arrays.copyOfRange(s, 2, s.length) : null, in);
                    }
                } finally {
                    ReferenceCountUtil.release(o);
                }
            }
        }

        private int done(int status, byte[] sense, ByteArrayOutputStream in) {
            this.status = status;
            this.sense = sense;
            this.data = in.toByteArray();
            return status;
        }

        @Override
        public void close() {
            conn.close();
        }
    }
}
