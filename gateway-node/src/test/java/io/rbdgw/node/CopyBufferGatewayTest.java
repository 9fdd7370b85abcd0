package io.rbdgw.node;

import static io.rbdgw.node.Scrapes.sample;
import static io.rbdgw.node.Scrapes.scrape;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway started with {@code --max-copy-buffer} gives its LUNs that budget: an EXTENDED COPY over iSCSI draws
 * its chunk buffer from it (seen in the gateway's copy metrics) and gives it back.
 */
class CopyBufferGatewayTest {

    @TempDir
    Path dir;

    @Test
    void theGatewaysCopyBufferOptionIsTheBudgetItsLunsCopyThrough() throws Exception {
        StandaloneCommand cmd =
                Scrapes.memoryGateway(dir, "8M", "--max-copy-buffer", "3M", "--max-waiting-copies", "7");
        try (StandaloneCommand.Running r = cmd.start()) {
            String url = r.gateway.metricsUrl();
            String before = scrape(url);
            assertThat(sample(before, "rbdgw_copy_buffer_limit_bytes")).isEqualTo(3 << 20);
            assertThat(sample(before, "rbdgw_copy_buffer_peak_bytes")).isZero();

            String iqn = r.store.read().targets().get(0).iqn();
            try (TestInitiator host = new TestInitiator(new InetSocketAddress("127.0.0.1", r.portal.port()))) {
                host.login(TestInitiator.normalKeys("iqn.1998-01.com.vmware:esx-copy", iqn));
                TestInitiator.clearPowerOnUa(host);
                byte[] naa = naa(host);
                byte[] list = xcopyList(naa, 4096, 0, 8192); // 2 MiB from LBA 0 to LBA 8192
                host.send(host.command(
                        new byte[] {(byte) 0x83, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) list.length, 0, 0},
                        false,
                        true,
                        list.length,
                        Unpooled.wrappedBuffer(list),
                        true));
                ScsiResponse resp = host.expect(ScsiResponse.class, 10_000);
                try {
                    assertThat(resp.status())
                            .as(
                                    "EXTENDED COPY status (sense %06x)",
                                    resp.status() == 0 ? 0 : TestInitiator.senseKeyAscAscq(resp))
                            .isZero();
                } finally {
                    resp.release();
                }
            }
            String after = scrape(url);
            assertThat(sample(after, "rbdgw_copy_buffer_peak_bytes"))
                    .as("the copy took its chunk from the gateway's budget")
                    .isEqualTo(1 << 20);
            assertThat(sample(after, "rbdgw_copy_buffer_bytes"))
                    .as("and gave it back")
                    .isZero();
            assertThat(sample(after, "rbdgw_copy_waiting")).isZero();
            assertThat(sample(after, "rbdgw_copy_refused_total")).isZero();
        }
    }

    /** LUN 0's NAA designator from the Device Identification VPD page. */
    private static byte[] naa(TestInitiator host) throws Exception {
        host.send(host.command(new byte[] {0x12, 1, (byte) 0x83, 0, (byte) 255, 0}, true, false, 255, null, true));
        byte[] page = new byte[255];
        while (true) {
            Object o = host.poll(5000);
            if (o instanceof DataIn in) {
                try {
                    int len = in.data().readableBytes();
                    in.data().getBytes(in.data().readerIndex(), page, in.bufferOffset(), len);
                    if (in.hasStatus()) {
                        break;
                    }
                } finally {
                    in.release();
                }
            } else if (o instanceof ScsiResponse resp) {
                resp.release();
                break;
            } else {
                throw new AssertionError("unexpected answer " + o);
            }
        }
        int end = 4 + ((page[2] & 0xff) << 8 | page[3] & 0xff);
        for (int d = 4; d < end; d += 4 + (page[d + 3] & 0xff)) {
            if ((page[d + 1] & 0x3f) == 0x03 && page[d + 3] == 16) { // LU association, NAA, 16 bytes
                return Arrays.copyOfRange(page, d + 4, d + 20);
            }
        }
        throw new AssertionError("no NAA designator in VPD page 0x83");
    }

    /** An EXTENDED COPY (LID1) list copying {@code blocks} within the unit named by {@code naa}. */
    private static byte[] xcopyList(byte[] naa, int blocks, long from, long to) {
        ByteBuffer list = ByteBuffer.allocate(16 + 32 + 28);
        list.put((byte) 1)
                .put((byte) 0)
                .putShort((short) 32)
                .putInt(0)
                .putInt(28)
                .putInt(0);
        int at = list.position();
        list.put((byte) 0xE4)
                .put((byte) 0)
                .putShort((short) 0)
                .put((byte) 1)
                .put((byte) 3)
                .put((byte) 0);
        list.put((byte) 16).put(naa).position(at + 29);
        list.put((byte) 0).putShort((short) 512);
        list.put((byte) 0x02)
                .put((byte) 0)
                .putShort((short) 24)
                .putShort((short) 0)
                .putShort((short) 0);
        list.putShort((short) 0).putShort((short) blocks).putLong(from).putLong(to);
        return list.array();
    }
}
