package io.rbdgw.it.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.ScsiCommand;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.pdu.TaskManagementResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ABORT TASK and LOGICAL UNIT RESET of a write that librbd has sent to a paused OSD: the function-complete
 * answer comes only once the write can no longer change the medium (the host reuses the blocks as soon as it has
 * it), and a write sent after it to the same blocks is what reads back, through both gateways.
 */
class AbortHeldWriteIT {

    private static final int ABORT_TASK = 1;
    private static final int LUN_RESET = 5;
    private static final long LBA = 4096;

    @TempDir
    Path dir;

    @Test
    void anAbortOrResetOfAWriteHeldByAPausedOsdCompletesOnlyAfterTheWriteSettled() throws Exception {
        long osd = StaleWriteIT.osdPid();
        try (FailoverCluster cluster = FailoverCluster.start(dir, 64 << 20, new FailoverCluster.Timing(10, 1))) {
            int owner = FailoverCluster.indexOf(
                    cluster.awaitOwner(Duration.ofSeconds(30)).owner());
            try (TestInitiator host = new TestInitiator(cluster.portal(owner)).isid(0x23d000000091L)) {
                host.login(TestInitiator.normalKeys(FailoverCluster.HOST, FailoverCluster.IQN));
                for (int i = 0; i < 5 && status(host, write(host, random()), 10_000) != 0; i++) {
                    // unit attentions after login
                }
                for (int function : new int[] {ABORT_TASK, LUN_RESET}) {
                    assertThat(status(host, write(host, random()), 10_000)).isZero();
                    byte[] held = random();
                    ScsiCommand w;
                    long answeredAfterMs;
                    StaleWriteIT.stopOsd(osd);
                    Instant stopped = Instant.now();
                    try {
                        w = write(host, held);
                        Thread.sleep(300); // inside librbd, sent to the paused OSD
                        host.send(host.taskManagement(
                                function, 0, function == ABORT_TASK ? w.itt() : 0xFFFFFFFF, w.cmdSN()));
                        long t0 = System.nanoTime();
                        Object early = pollTmf(host, 1500);
                        if (early != null) {
                            String osdThreads = StaleWriteIT.threadStates(osd);
                            StaleWriteIT.kill("CONT", osd);
                            ReferenceCountUtil.release(early);
                            throw new AssertionError(String.format(
                                    "function %d: %s came %d ms after the TMF, %d ms after the OSD (pid %d) was "
                                            + "stopped at %s; OSD threads now: %s%n---- gateway 0%n%s%n---- gateway 1%n%s",
                                    function,
                                    early,
                                    (System.nanoTime() - t0) / 1_000_000,
                                    Duration.between(stopped, Instant.now()).toMillis(),
                                    osd,
                                    stopped,
                                    osdThreads,
                                    cluster.tail(0, 60),
                                    cluster.tail(1, 60)));
                        }
                        StaleWriteIT.kill("CONT", osd);
                        Object late = pollTmf(host, 30_000);
                        answeredAfterMs = (System.nanoTime() - t0) / 1_000_000;
                        assertThat(late)
                                .as("function " + function
                                        + " answered after the OSD resumed (and the aborted write not)")
                                .isInstanceOf(TaskManagementResponse.class);
                        TaskManagementResponse r = (TaskManagementResponse) late;
                        assertThat(r.response()).isZero();
                    } finally {
                        StaleWriteIT.kill("CONT", osd);
                    }
                    byte[] after = random();
                    int s = status(host, write(host, after), 10_000);
                    if (s != 0) { // 29/03 after a LUN reset
                        s = status(host, write(host, after), 10_000);
                    }
                    assertThat(s).isZero();
                    assertThat(read(host))
                            .as("the write sent after the abort is what reads back")
                            .isEqualTo(after);
                    try (TestInitiator other = new TestInitiator(cluster.portal(1 - owner)).isid(0x23d000000092L)) {
                        other.login(TestInitiator.normalKeys(FailoverCluster.HOST, FailoverCluster.IQN));
                        byte[] seen = null;
                        for (int i = 0; i < 5 && seen == null; i++) {
                            seen = read(other);
                        }
                        assertThat(seen).as("through the other gateway too").isEqualTo(after);
                    }
                    System.out.printf(
                            "RESULT function %d of a write held by a paused OSD answered %d ms after it "
                                    + "was sent (the OSD resumed after 1.5 s); later write reads back%n",
                            function, answeredAfterMs);
                }
            }
        }
    }

    private static byte[] random() {
        byte[] b = new byte[4096];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    private static ScsiCommand write(TestInitiator host, byte[] data) {
        byte[] cdb = {0x2A, 0, 0, 0, (byte) (LBA >>> 8), (byte) LBA, 0, 0, 8, 0};
        ScsiCommand c = host.command(cdb, false, true, data.length, Unpooled.wrappedBuffer(data), true);
        host.send(c);
        return c;
    }

    /** The status of the next SCSI response (-1: none within the time). */
    private static int status(TestInitiator host, ScsiCommand c, long ms) throws InterruptedException {
        long deadline = System.nanoTime() + ms * 1_000_000;
        while (System.nanoTime() < deadline) {
            Object o = host.poll(100);
            try {
                if (o instanceof ScsiResponse r && r.itt() == c.itt()) {
                    return r.status();
                }
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
        return -1;
    }

    /**
     * The next task management response or SCSI response (the aborted write must not get one), or null; other PDUs
     * are dropped.
     */
    private static Object pollTmf(TestInitiator host, long ms) throws InterruptedException {
        long deadline = System.nanoTime() + ms * 1_000_000;
        while (System.nanoTime() < deadline) {
            Object o = host.poll(50);
            if (o instanceof TaskManagementResponse || o instanceof ScsiResponse) {
                return o;
            }
            ReferenceCountUtil.release(o);
        }
        return null;
    }

    /** READ of the 4 KiB at LBA; null on a CHECK CONDITION (unit attention). */
    private static byte[] read(TestInitiator host) throws InterruptedException {
        byte[] cdb = {0x28, 0, 0, 0, (byte) (LBA >>> 8), (byte) LBA, 0, 0, 8, 0};
        ScsiCommand c = host.command(cdb, true, false, 4096, Unpooled.EMPTY_BUFFER, true);
        host.send(c);
        ByteBuf in = Unpooled.buffer();
        try {
            while (true) {
                Object o = host.poll(10_000);
                if (o == null) {
                    throw new AssertionError("no answer to READ");
                }
                try {
                    if (o instanceof DataIn d && d.itt() == c.itt()) {
                        in.writeBytes(d.data(), d.data().readerIndex(), d.data().readableBytes());
                        if (d.hasStatus()) {
                            return d.status() == 0 ? bytes(in) : null;
                        }
                    } else if (o instanceof ScsiResponse r && r.itt() == c.itt()) {
                        return r.status() == 0 ? bytes(in) : null;
                    }
                } finally {
                    ReferenceCountUtil.release(o);
                }
            }
        } finally {
            in.release();
        }
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }
}
