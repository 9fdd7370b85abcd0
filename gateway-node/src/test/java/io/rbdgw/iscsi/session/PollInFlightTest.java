package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.node.LogicalUnits;
import io.rbdgw.scsi.ScsiTarget;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code --poll-in-flight-us} through a real portal: a command inside the device makes its connection's loop poll;
 * a command the device answers inline (a memory LUN's) does not; without the setting nothing polls.
 */
class PollInFlightTest {

    static final String TARGET = "iqn.2026-12.io.rbdgw:poll";
    static final String INITIATOR = "iqn.2026-12.test:init";

    AbortThenLogoutTest.HeldWrites device;
    IscsiServer server;
    TestInitiator host;

    void start(Duration poll) throws Exception {
        device = new AbortThenLogoutTest.HeldWrites();
        ScsiTarget scsi = new ScsiTarget();
        scsi.addLun(LogicalUnits.create(0, device));
        TargetRegistry targets = new TargetRegistry();
        targets.put(new TargetEntry(new LoginTarget(TARGET, null, 1, null, null, i -> true), scsi));
        server = new IscsiServer(
                targets, new SessionRegistry(), ConnectionSettings.defaults().withPollInFlight(poll), 1);
        InetSocketAddress address = server.bind(new InetSocketAddress("127.0.0.1", 0));
        host = new TestInitiator(address);
        host.login(TestInitiator.normalKeys(INITIATOR, TARGET));
        TestInitiator.clearPowerOnUa(host);
    }

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        if (server != null) {
            server.close();
        }
        if (device != null) {
            device.release();
            device.close();
        }
    }

    /** A write the device holds until {@code release}; its response. */
    ScsiResponse heldWrite() throws Exception {
        byte[] data = TestInitiator.random(4096, 7);
        host.send(host.command(
                TestInitiator.rw10(0x2A, 0, 8), false, true, data.length, Unpooled.wrappedBuffer(data), true));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (device.held.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(device.held).as("the write is inside the device").hasSize(1);
        Thread.sleep(50); // longer than the bound: the loop polled it out and went to sleep
        device.release();
        return host.expect(ScsiResponse.class, 5000);
    }

    @Test
    void aCommandInsideTheDeviceMakesItsLoopPollAndOneAnsweredInlineDoesNot() throws Exception {
        start(Duration.ofMillis(2));
        CompletionPolling polling = server.polling();
        assertThat(polling).isNotNull();

        ScsiResponse r = heldWrite();
        assertThat(r.status()).isZero();
        r.release();
        assertThat(polling.pollsExpired())
                .as("the loop polled the held write for its bound, then slept")
                .isGreaterThanOrEqualTo(1);
        assertThat(polling.polledNanos())
                .isGreaterThanOrEqualTo(Duration.ofMillis(2).toNanos());

        long polls = polling.pollsExpired() + polling.pollsWoken();
        long polled = polling.polledNanos();
        for (int i = 0; i < 20; i++) {
            assertThat(TestInitiator.read(host, 0, 8, 8192)).hasSize(4096); // memory reads complete inline
        }
        assertThat(polling.pollsExpired() + polling.pollsWoken())
                .as("reads the device answers on the loop leave nothing in flight: no poll")
                .isEqualTo(polls);
        assertThat(polling.polledNanos()).isEqualTo(polled);
    }

    @Test
    void withoutTheSettingTheLoopsDoNotPoll() throws Exception {
        start(Duration.ZERO);
        assertThat(server.polling()).isNull();
        ScsiResponse r = heldWrite();
        assertThat(r.status()).isZero();
        r.release();
    }
}
