package io.rbdgw.it.scale;

import io.netty.buffer.Unpooled;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hosts writing during the scale bench's failover: each writer is one CHAP session to a survivor's portal (a path
 * that is Active/Non-optimized for the victim's disks until they move) and writes 4 KiB at a time, one in flight,
 * to one LUN the victim owns. A write that gets a unit attention (2A/06 when the ALUA states change, 2A/01...) is
 * sent again, as a host does; any other status, a lost connection or no answer within {@link #IO_TIMEOUT_MS} is a
 * failed I/O. The longest stall is the longest time between two completed writes of a writer.
 */
final class FailoverWriters implements AutoCloseable {

    /** What a host would wait before it gives up on a command (and fails the path). */
    static final long IO_TIMEOUT_MS = 10_000;

    /** One writer's LUN: the target, its CHAP client and the LUN number. */
    record Lun(String iqn, String initiator, String user, String secret, int lun) {}

    /** What the writers did. */
    record Result(int writers, long writes, long failed, long unitAttentions, double longestStallMs, String failures) {}

    private final List<Writer> writers = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();

    private final class Writer implements Runnable {
        final Lun lun;
        final TestInitiator session;
        final Thread thread;
        long writes;
        long failed;
        long unitAttentions;
        long longestStallNanos;
        final Map<String, Integer> failures = new TreeMap<>();

        Writer(Lun lun, InetSocketAddress portal, long isid) throws Exception {
            this.lun = lun;
            this.session = new TestInitiator(portal);
            session.isid(isid);
            session.loginChap(TestInitiator.normalKeys(lun.initiator(), lun.iqn()), lun.user(), lun.secret());
            this.thread = new Thread(this, "failover writer " + lun.iqn() + "/" + lun.lun());
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            byte[] data = TestInitiator.random(4096, lun.lun());
            long last = System.nanoTime();
            long lba = 0;
            while (!stop.get() && !session.isClosed()) {
                session.send(session.command(
                        lun.lun(),
                        TestInitiator.rw10(0x2A, lba, 8),
                        false,
                        true,
                        data.length,
                        Unpooled.wrappedBuffer(data),
                        true));
                ScsiResponse r;
                try {
                    r = session.expect(ScsiResponse.class, IO_TIMEOUT_MS);
                } catch (Throwable e) {
                    fail("no answer within " + IO_TIMEOUT_MS + " ms (" + e + ")");
                    return;
                }
                try {
                    if (r.status() == 0) {
                        long now = System.nanoTime();
                        longestStallNanos = Math.max(longestStallNanos, now - last);
                        last = now;
                        writes++;
                        lba = (lba + 8) % 65536;
                    } else if (r.status() == 0x02 && (TestInitiator.senseKeyAscAscq(r) >> 16) == 0x6) {
                        unitAttentions++; // sent again, as a host does
                    } else {
                        fail(String.format(
                                Locale.ROOT,
                                "status %02x sense %06x",
                                r.status(),
                                r.status() == 0x02 ? TestInitiator.senseKeyAscAscq(r) : 0));
                    }
                } finally {
                    r.release();
                }
            }
            if (session.isClosed() && !stop.get()) {
                fail("the connection was closed");
            }
        }

        private void fail(String why) {
            failed++;
            failures.merge(why, 1, Integer::sum);
        }
    }

    /** Logs in every writer (through {@code portal}) and starts them. */
    FailoverWriters(InetSocketAddress portal, List<Lun> luns) throws Exception {
        long isid = 0x23e000000000L;
        for (Lun l : luns) {
            writers.add(new Writer(l, portal, ++isid));
        }
        for (Writer w : writers) {
            w.thread.start();
        }
    }

    /** Stops the writers (each finishes its write in flight) and sums up what they did. */
    Result stop() throws InterruptedException {
        stop.set(true);
        long writes = 0;
        long failed = 0;
        long uas = 0;
        long stall = 0;
        Map<String, Integer> failures = new TreeMap<>();
        for (Writer w : writers) {
            w.thread.join(TimeUnit.MILLISECONDS.toMillis(IO_TIMEOUT_MS + 5000));
            if (w.thread.isAlive()) {
                failures.merge("writer did not stop", 1, Integer::sum);
                failed++;
                continue;
            }
            writes += w.writes;
            failed += w.failed;
            uas += w.unitAttentions;
            stall = Math.max(stall, w.longestStallNanos);
            w.failures.forEach((k, v) -> failures.merge(k, v, Integer::sum));
        }
        return new Result(writers.size(), writes, failed, uas, stall / 1e6, failures.toString());
    }

    @Override
    public void close() {
        stop.set(true);
        for (Writer w : writers) {
            w.session.close();
        }
    }
}
