package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.node.LogicalUnits;
import io.rbdgw.scsi.ScsiTarget;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stall guard belongs to its server: its connections consult it, and its thread ends with the server. */
class StallGuardTest {

    static final String TARGET = "iqn.2026-11.io.rbdgw:test";

    MemoryBlockDevice device;
    IscsiServer server;
    InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        device = new MemoryBlockDevice(16L << 20, 512, "memory:test");
        ScsiTarget scsi = new ScsiTarget();
        scsi.addLun(LogicalUnits.create(0, device));
        TargetRegistry targets = new TargetRegistry();
        targets.put(new TargetEntry(new LoginTarget(TARGET, null, 1, null, null, i -> true), scsi));
        server = new IscsiServer(targets, new SessionRegistry(), ConnectionSettings.defaults(), 1);
        address = server.bind(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        device.close();
    }

    @Test
    void theServersThreadStopsWhenTheServerCloses() {
        Thread ticker = server.stallGuard().thread();
        assertThat(ticker).isNotNull();
        assertThat(ticker.isAlive()).isTrue();

        IscsiServer closed = server;
        server = null;
        closed.close();

        assertThat(ticker.isAlive()).isFalse();
        assertThat(closed.stallGuard().thread()).isNull();
        assertThat(closed.stallGuard().stalled()).isFalse(); // a closed guard refuses nothing
    }

    @Test
    void aCommandReadJustAfterAStallOfThisServerClosesItsConnection() throws Exception {
        try (TestInitiator c = new TestInitiator(address)) {
            c.login(TestInitiator.normalKeys("iqn.2026-11.test:init", TARGET));
            c.send(c.command(new byte[] {0x00, 0, 0, 0, 0, 0}, false, false, 0, null, true));
            c.expect(ScsiResponse.class, 5000).release(); // the power-on unit attention: served

            // as the tick thread sees a stall: a gap of more than STALL_NANOS since its last tick
            server.stallGuard().tick(System.nanoTime() + StallGuard.STALL_NANOS + 1);
            assertThat(server.stallGuard().stalled()).isTrue();

            c.send(c.command(new byte[] {0x00, 0, 0, 0, 0, 0}, false, false, 0, null, true));
            await().atMost(Duration.ofSeconds(5)).until(c::isClosed);
        }
    }
}
