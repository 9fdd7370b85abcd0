package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.block.IoCallback;
import io.rbdgw.block.MemoryBlockDevice;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.pdu.LogoutRequest;
import io.rbdgw.iscsi.pdu.LogoutResponse;
import io.rbdgw.iscsi.pdu.TaskManagementResponse;
import io.rbdgw.node.LogicalUnits;
import io.rbdgw.scsi.ScsiTarget;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A logout that arrives while the session's last executing command is an aborted one (its write still inside the
 * backend) is answered once that write settles: the abort's completion counts as the command finishing. Without
 * that, the logout waited for another command that never came.
 */
class AbortThenLogoutTest {

    static final String TARGET = "iqn.2026-12.io.rbdgw:abortlogout";
    static final String INITIATOR = "iqn.2026-12.test:init";

    /** Writes are held until {@link #release}; everything else goes straight to memory. */
    static final class HeldWrites implements BlockDevice {
        final MemoryBlockDevice memory = new MemoryBlockDevice(16L << 20, 512, "memory:held");
        final List<Runnable> held = new CopyOnWriteArrayList<>();

        void release() {
            held.forEach(Runnable::run);
            held.clear();
        }

        @Override
        public DeviceInfo info() {
            return memory.info();
        }

        @Override
        public void read(long offset, ByteBuffer dst, IoCallback callback) {
            memory.read(offset, dst, callback);
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua, IoCallback callback) {
            held.add(() -> memory.write(offset, src, fua, callback));
        }

        @Override
        public void flush(IoCallback callback) {
            memory.flush(callback);
        }

        @Override
        public void discard(long offset, long length, IoCallback callback) {
            memory.discard(offset, length, callback);
        }

        @Override
        public void writeZeroes(long offset, long length, IoCallback callback) {
            memory.writeZeroes(offset, length, callback);
        }

        @Override
        public void writeSame(long offset, long length, ByteBuffer pattern, IoCallback callback) {
            memory.writeSame(offset, length, pattern, callback);
        }

        @Override
        public void compareAndWrite(long offset, ByteBuffer compare, ByteBuffer write, IoCallback callback) {
            memory.compareAndWrite(offset, compare, write, callback);
        }

        @Override
        public void allocationStatus(long offset, IoCallback callback) {
            memory.allocationStatus(offset, callback);
        }

        @Override
        public void close() {
            memory.close();
        }
    }

    HeldWrites device;
    IscsiServer server;
    TestInitiator host;

    @BeforeEach
    void start() throws Exception {
        device = new HeldWrites();
        ScsiTarget scsi = new ScsiTarget();
        scsi.addLun(LogicalUnits.create(0, device));
        TargetRegistry targets = new TargetRegistry();
        targets.put(new TargetEntry(new LoginTarget(TARGET, null, 1, null, null, i -> true), scsi));
        server = new IscsiServer(targets, new SessionRegistry(), ConnectionSettings.defaults(), 1);
        InetSocketAddress address = server.bind(new InetSocketAddress("127.0.0.1", 0));
        host = new TestInitiator(address);
        host.login(TestInitiator.normalKeys(INITIATOR, TARGET));
        TestInitiator.clearPowerOnUa(host);
    }

    @AfterEach
    void stop() {
        host.close();
        server.close();
        device.release();
        device.close();
    }

    @Test
    void aLogoutWaitingOnlyForAnAbortedWriteIsAnsweredWhenTheWriteSettles() throws Exception {
        int writeTag = host.itt;
        int writeCmdSN = host.cmdSN;
        byte[] data = TestInitiator.random(4096, 3);
        host.send(host.command(
                TestInitiator.rw10(0x2A, 0, 8), false, true, data.length, Unpooled.wrappedBuffer(data), true));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (device.held.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(device.held)
                .as("the write reached the device and is held there")
                .hasSize(1);

        host.send(host.taskManagement(1, 0, writeTag, writeCmdSN)); // ABORT TASK
        host.send(new LogoutRequest(true, 0, host.itt++, 0, host.cmdSN, host.expStatSN()));
        assertThat(host.poll(500))
                .as("nothing is answered while the write is inside the device")
                .isNull();

        device.release();
        TaskManagementResponse abort = host.expect(TaskManagementResponse.class, 5000);
        assertThat(abort.response())
                .as("function complete, after the write settled")
                .isZero();
        LogoutResponse logout = host.expect(LogoutResponse.class, 5000);
        assertThat(logout.response()).isZero();
        logout.release();
    }
}
