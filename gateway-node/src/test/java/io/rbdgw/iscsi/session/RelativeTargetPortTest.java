package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.node.LogicalUnits;
import io.rbdgw.scsi.ScsiTarget;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The I_T nexus of a session through target portal group 2 has relative target port identifier 2, the number
 * VPD page 0x83 and REPORT TARGET PORT GROUPS report for that gateway: READ FULL STATUS names the port of a
 * registration with it, and REGISTER AND MOVE names a port by it. Every gateway used to give its nexuses 1.
 */
class RelativeTargetPortTest {

    static final String TARGET = "iqn.2026-12.io.rbdgw:relport";

    MemoryBlockDevice device;
    IscsiServer server;
    TestInitiator host;

    @BeforeEach
    void start() throws Exception {
        device = new MemoryBlockDevice(16L << 20, 512, "memory:relport");
        ScsiTarget scsi = new ScsiTarget();
        scsi.addLun(LogicalUnits.create(0, device));
        TargetRegistry targets = new TargetRegistry();
        targets.put(new TargetEntry(new LoginTarget(TARGET, null, 2, null, null, i -> true), scsi));
        server = new IscsiServer(targets, new SessionRegistry(), ConnectionSettings.defaults(), 1);
        InetSocketAddress address = server.bind(new InetSocketAddress("127.0.0.1", 0));
        host = new TestInitiator(address);
        host.login(TestInitiator.normalKeys("iqn.2026-12.test:relport", TARGET));
        TestInitiator.clearPowerOnUa(host);
    }

    @AfterEach
    void stop() {
        host.close();
        server.close();
        device.close();
    }

    @Test
    void aRegistrationThroughPortalGroup2IsReportedOnRelativeTargetPort2() throws Exception {
        byte[] register = ByteBuffer.allocate(24).putLong(0).putLong(0x77).array();
        host.send(host.command(
                new byte[] {0x5F, 0, 0, 0, 0, 0, 0, 0, 24, 0},
                false,
                true,
                24,
                Unpooled.wrappedBuffer(register),
                true));
        ScsiResponse registered = host.expect(ScsiResponse.class, 5000);
        try {
            assertThat(registered.status()).isZero();
        } finally {
            registered.release();
        }

        host.send(host.command(new byte[] {0x5E, 3, 0, 0, 0, 0, 0, 0x10, 0, 0}, true, false, 4096, null, true));
        DataIn d = host.expect(DataIn.class, 5000);
        try {
            ByteBuf full = d.data();
            int at = full.readerIndex() + 8; // the first full status descriptor
            assertThat(full.getLong(at)).isEqualTo(0x77);
            assertThat(full.getUnsignedShort(at + 18))
                    .as("RELATIVE TARGET PORT IDENTIFIER")
                    .isEqualTo(2);
            if (!d.hasStatus()) {
                host.expect(ScsiResponse.class, 5000).release();
            }
        } finally {
            d.release();
        }
    }
}
