package io.rbdgw.iscsi.session;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices that this process stopped running for a while (SIGSTOP, a frozen VM, a very long GC pause). PDUs
 * read right after such a stall may have waited in the socket all along: a multipath host has likely given
 * up on them (its path timeout) and retried them through another gateway, then written newer data there.
 * Executing them now would overwrite that data with old data, and if the stall was shorter than the
 * ZooKeeper session timeout nobody has fenced this gateway. So a connection that delivers a PDU during or
 * right after a stall is closed instead (the host retries on whatever path it then prefers).
 *
 * <p>The {@link IscsiServer} owns one guard and gives it to its connections. A daemon thread ticks every
 * 100 ms from {@link #start} until {@link #close}; a PDU is refused when the last tick is older than
 * {@link #STALL_NANOS} (the thread has not run since the stall) or within {@link #QUARANTINE_NANOS} of a
 * stall it noticed. The tick sets the quarantine before it refreshes the tick time, so there is no moment
 * after a stall at which both look fine. The threshold is below the shortest host path timeout we
 * document (2 s).
 *
 * <p>Not covered: writes already handed to librbd before the stall are sent when the process resumes; only
 * fencing (after the session expires) stops those. See docs/ha.md.
 */
public final class StallGuard implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StallGuard.class);

    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final long STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(1500);
    static final long QUARANTINE_NANOS = TimeUnit.MILLISECONDS.toNanos(1000);

    private final boolean enabled;
    private volatile long lastTick = System.nanoTime();
    private volatile long quarantineUntil = System.nanoTime() - QUARANTINE_NANOS;
    private Thread ticker;
    private volatile boolean running;

    StallGuard(boolean enabled) {
        this.enabled = enabled;
    }

    /** The guard the system properties ask for: on unless {@code -Drbdgw.stall-guard=off} (tests of fencing alone). */
    static StallGuard fromSystemProperties() {
        return new StallGuard(!"off".equals(System.getProperty("rbdgw.stall-guard")));
    }

    /** Starts the tick thread (once; nothing for a guard that is off). */
    synchronized void start() {
        if (!enabled || ticker != null) {
            return;
        }
        lastTick = System.nanoTime();
        running = true;
        ticker = new Thread(this::tickLoop, "stall-guard");
        ticker.setDaemon(true);
        ticker.start();
    }

    /** Whether PDUs read now may be from before a stall of this process. */
    boolean stalled() {
        if (!running) {
            return false;
        }
        long now = System.nanoTime();
        return now - lastTick > STALL_NANOS || now - quarantineUntil < 0;
    }

    /** The tick thread, while it runs (for tests). */
    synchronized Thread thread() {
        return ticker;
    }

    /** One tick at {@code now}: a gap above {@link #STALL_NANOS} since the last one starts a quarantine. */
    void tick(long now) {
        long gap = now - lastTick;
        if (gap > STALL_NANOS) {
            quarantineUntil = now + QUARANTINE_NANOS;
            log.warn(
                    "this gateway did not run for {} ms (stopped, frozen or starved): closing the connections that "
                            + "deliver commands in the next {} ms, since hosts may have retried them elsewhere",
                    TimeUnit.NANOSECONDS.toMillis(gap),
                    TimeUnit.NANOSECONDS.toMillis(QUARANTINE_NANOS));
        }
        lastTick = now;
    }

    private void tickLoop() {
        while (running) {
            try {
                Thread.sleep(TimeUnit.NANOSECONDS.toMillis(TICK_NANOS));
            } catch (InterruptedException e) {
                return;
            }
            tick(System.nanoTime());
        }
    }

    /** Stops the tick thread (bounded wait); the guard refuses nothing afterwards. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = ticker;
            ticker = null;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                log.warn("stall-guard thread did not stop within 2 s");
            }
        }
    }
}
