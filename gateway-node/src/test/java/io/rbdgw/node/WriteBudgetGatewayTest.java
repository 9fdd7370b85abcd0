package io.rbdgw.node;

import static io.rbdgw.node.Scrapes.sample;
import static io.rbdgw.node.Scrapes.scrape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.Unpooled;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway started with {@code --max-write-buffer} reports that limit, and half of it as the limit on socket reads
 * that write data may keep alive, in its metrics; after a write over iSCSI both gauges are back at zero (what a held
 * write takes is tested in IscsiLimitsTest).
 */
class WriteBudgetGatewayTest {

    @TempDir
    Path dir;

    @Test
    void theWriteBufferOptionSetsBothLimitsAndAWriteLeavesNothingHeld() throws Exception {
        StandaloneCommand cmd = Scrapes.memoryGateway(dir, "8M", "--max-write-buffer", "64M");
        try (StandaloneCommand.Running r = cmd.start()) {
            String url = r.gateway.metricsUrl();
            String before = scrape(url);
            assertThat(sample(before, "rbdgw_write_buffer_limit_bytes")).isEqualTo(64 << 20);
            assertThat(sample(before, "rbdgw_pinned_read_limit_bytes")).isEqualTo(32 << 20);
            assertThat(sample(before, "rbdgw_write_buffer_bytes")).isZero();
            assertThat(sample(before, "rbdgw_pinned_read_bytes")).isZero();

            String iqn = r.store.read().targets().get(0).iqn();
            try (TestInitiator host = new TestInitiator(new InetSocketAddress("127.0.0.1", r.portal.port()))) {
                host.login(TestInitiator.normalKeys("iqn.1998-01.com.example:budget", iqn));
                TestInitiator.clearPowerOnUa(host);
                byte[] data = TestInitiator.random(65536, 9);
                host.send(host.command(
                        TestInitiator.rw10(0x2A, 0, 128),
                        false,
                        true,
                        data.length,
                        Unpooled.wrappedBuffer(data),
                        true));
                ScsiResponse w = host.expect(ScsiResponse.class, 10_000);
                try {
                    assertThat(w.status()).isZero();
                } finally {
                    w.release();
                }
                assertThat(TestInitiator.read(host, 0, 128, 262144)).isEqualTo(data);
            }
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                String after = scrape(url);
                assertThat(sample(after, "rbdgw_write_buffer_bytes")).isZero();
                assertThat(sample(after, "rbdgw_pinned_read_bytes")).isZero();
            });
        }
    }
}
