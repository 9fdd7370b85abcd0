package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.pdu.TextRequest;
import io.rbdgw.iscsi.pdu.TextResponse;
import io.rbdgw.node.LogicalUnits;
import io.rbdgw.scsi.ScsiTarget;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A host never meets a half-configured gateway (issue #13, defect 1): a held portal resets connections; a target
 * that is published but not ready is not announced by SendTargets and refuses logins retryably (03/01), and is
 * served normally once ready. Real TCP through the Netty portal.
 */
class TargetReadinessTest {

    static final String READY = "iqn.2026-11.io.rbdgw:ready";
    static final String LATER = "iqn.2026-11.io.rbdgw:later";
    static final String INITIATOR = "iqn.2026-11.test:init";

    final TargetRegistry targets = new TargetRegistry();
    final List<TestInitiator> clients = new ArrayList<>();
    MemoryBlockDevice device;
    IscsiServer server;
    InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        device = new MemoryBlockDevice(1L << 20, 512, "memory:ready");
        server = new IscsiServer(targets, new SessionRegistry(), ConnectionSettings.defaults(), 1);
    }

    @AfterEach
    void stop() {
        clients.forEach(TestInitiator::close);
        server.close();
        device.close();
    }

    private static TargetEntry entry(String iqn, ScsiTarget scsi) {
        return new TargetEntry(new LoginTarget(iqn, null, 1, null, null, i -> true), scsi);
    }

    private TestInitiator connect() throws Exception {
        TestInitiator c = new TestInitiator(address);
        clients.add(c);
        return c;
    }

    @Test
    void aHeldPortalResetsConnectionsUntilItServes() throws Exception {
        server.hold();
        address = server.bind(new InetSocketAddress("127.0.0.1", 0));
        assertThat(address.getPort()).as("bound: the address can be published").isPositive();
        targets.put(entry(READY, new ScsiTarget()));
        TestInitiator early = connect();
        await().atMost(Duration.ofSeconds(5)).until(early::isClosed);

        server.serve();
        connect().login(TestInitiator.normalKeys(INITIATOR, READY));
    }

    @Test
    void aTargetThatIsNotReadyIsNotAnnouncedAndRefusesLoginsRetryably() throws Exception {
        address = server.bind(new InetSocketAddress("127.0.0.1", 0));
        ScsiTarget scsi = new ScsiTarget();
        scsi.addLun(LogicalUnits.create(0, device));
        targets.put(entry(READY, scsi));
        targets.publish(entry(LATER, new ScsiTarget())); // its LUNs are being attached

        assertThat(sendTargets("All")).containsExactly(READY);
        assertThat(sendTargets(LATER)).isEmpty();
        assertThatThrownBy(() -> connect().login(TestInitiator.normalKeys(INITIATOR, LATER)))
                .hasMessageContaining("login failed: 3/1"); // service unavailable: retry, not 02/03 not found
        assertThatThrownBy(() -> connect().login(TestInitiator.normalKeys(INITIATOR, "iqn.2026-11.io.rbdgw:none")))
                .hasMessageContaining("login failed: 2/3");

        targets.markReady(LATER);
        targets.publish(entry(LATER, new ScsiTarget())); // re-published by a later pass: stays ready
        assertThat(sendTargets("All")).containsExactlyInAnyOrder(READY, LATER);
        connect().login(TestInitiator.normalKeys(INITIATOR, LATER));

        targets.remove(LATER);
        targets.publish(entry(LATER, new ScsiTarget())); // removed and added again: not ready until marked
        assertThat(sendTargets("All")).containsExactly(READY);
    }

    /** A discovery session's SendTargets answer: the announced target names. */
    private List<String> sendTargets(String value) throws Exception {
        TestInitiator c = connect();
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("InitiatorName", INITIATOR);
        keys.put("SessionType", "Discovery");
        c.login(keys);
        c.send(new TextRequest(
                false,
                true,
                false,
                0,
                0x77,
                0xffffffff,
                c.cmdSN,
                c.expStatSN,
                TestInitiator.text(Map.of("SendTargets", value))));
        TextResponse r = c.expect(TextResponse.class, 5000);
        try {
            List<String> names = new ArrayList<>();
            for (String kv : r.data().toString(StandardCharsets.UTF_8).split("\0")) {
                if (kv.startsWith("TargetName=")) {
                    names.add(kv.substring("TargetName=".length()));
                }
            }
            return names;
        } finally {
            r.release();
        }
    }
}
