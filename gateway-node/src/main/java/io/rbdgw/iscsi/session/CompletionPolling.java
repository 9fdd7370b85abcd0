package io.rbdgw.iscsi.session;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.SelectStrategy;
import io.netty.channel.SelectStrategyFactory;
import io.netty.util.IntSupplier;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The event loops' idle strategy when {@code --poll-in-flight-us} is set: a loop with device operations in flight
 * polls its sockets (epoll_wait with no timeout) and its task queue for up to the bound instead of going to sleep
 * in epoll_wait. librbd completes an operation on its own thread and hands it back to the loop with a task; a
 * sleeping loop is woken through its eventfd and the scheduler first, which costs a QD1 RBD I/O 20-60 µs
 * (docs/benchmarks.md). A polling loop picks the completion up as soon as it is queued, at the price of a core
 * busy while operations are outstanding.
 *
 * <p>A loop polls only while a few operations it submitted are outstanding (at most {@link #MAX_POLLED_IN_FLIGHT})
 * and it has nothing else to do. It goes to sleep as Netty's default strategy does once the bound runs out, and
 * polls again only once an operation starts or completes: an operation stuck in the device costs the bound once,
 * not a core. A memory or file LUN completes on the loop itself: nothing is in flight, the loop never polls.
 * Timers (NOP-In, login timeouts) may run up to the bound late.
 */
public final class CompletionPolling {

    /** The largest bound accepted: beyond a few librbd round trips, polling only burns the core. */
    public static final Duration MAX_BOUND = Duration.ofMillis(2);

    /**
     * Loops with more operations in flight than this sleep as usual: their completions come often enough that a
     * wake-up is shared by several, and on a host where librbd's threads need the CPU (initiators, Ceph) a
     * polling loop took it from them (4K QD32 on the 2-core bench host: 25 % fewer IOPS, docs/benchmarks.md).
     */
    static final int MAX_POLLED_IN_FLIGHT = 4;

    private static final FastThreadLocal<LoopPoller> CURRENT = new FastThreadLocal<>();

    private final long boundNanos;
    private final List<LoopPoller> pollers = new CopyOnWriteArrayList<>();

    /** @param bound how long a loop polls at most before it sleeps (positive, at most {@link #MAX_BOUND}) */
    public CompletionPolling(Duration bound) {
        if (bound.isNegative() || bound.isZero() || bound.compareTo(MAX_BOUND) > 0) {
            throw new IllegalArgumentException(
                    "polling bound " + bound.toNanos() / 1000 + " us is out of range 1-" + MAX_BOUND.toNanos() / 1000);
        }
        this.boundNanos = bound.toNanos();
    }

    /**
     * An I/O handler factory that gives each loop it creates a poller: {@code base} is the transport's factory for
     * a select strategy (epoll's or NIO's).
     */
    public IoHandlerFactory handlerFactory(Function<SelectStrategyFactory, IoHandlerFactory> base) {
        return executor -> {
            LoopPoller poller = new LoopPoller(executor, boundNanos);
            pollers.add(poller);
            return base.apply(() -> poller).newHandler(executor);
        };
    }

    /** The poller of the calling event loop, or null when the calling thread is not a polling loop. */
    static LoopPoller current() {
        return CURRENT.getIfExists();
    }

    /** Nanoseconds all loops spent polling. */
    public long polledNanos() {
        return sum(p -> p.polledNanos);
    }

    /** Polls that ended because something arrived (a completion, another task, a socket ready). */
    public long pollsWoken() {
        return sum(p -> p.woken);
    }

    /** Polls that ran out of the bound, after which the loop slept. */
    public long pollsExpired() {
        return sum(p -> p.expired);
    }

    private long sum(ToLongFunction<LoopPoller> counter) {
        long n = 0;
        for (LoopPoller p : pollers) {
            n += counter.applyAsLong(p);
        }
        return n;
    }

    /**
     * One loop's strategy. {@link #started} and {@link #finished} are called on the loop's own thread, around an
     * operation that may complete on another thread; the counters are written by that thread only.
     */
    static final class LoopPoller implements SelectStrategy {

        private final ThreadAwareExecutor executor;
        private final long boundNanos;
        /** The loop's task queue, known from its first turn (null if the loop is not a single-thread executor). */
        private SingleThreadEventExecutor tasks;

        private boolean bound;
        private int inFlight;
        /** Starts and completions so far; a poll that ran out records it and the loop polls again only after one. */
        private long changes;

        private long expiredAt = -1;

        private volatile long polledNanos;
        private volatile long woken;
        private volatile long expired;

        LoopPoller(ThreadAwareExecutor executor, long boundNanos) {
            this.executor = executor;
            this.boundNanos = boundNanos;
        }

        void started() {
            inFlight++;
            changes++;
        }

        void finished() {
            inFlight--;
            changes++;
        }

        int inFlight() {
            return inFlight;
        }

        @Override
        public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
            if (!bound) {
                bind();
            }
            if (hasTasks) {
                return selectNow.get(); // Netty's default: pick up ready sockets, then run the tasks
            }
            if (inFlight <= 0 || inFlight > MAX_POLLED_IN_FLIGHT || changes == expiredAt || tasks == null) {
                return SelectStrategy.SELECT;
            }
            long start = System.nanoTime();
            long deadline = start + boundNanos;
            try {
                for (; ; ) {
                    int ready = selectNow.get();
                    // A completion from librbd's thread is a task: once queued, return to the loop to run it
                    // (0 ready sockets is a valid answer; the loop runs its tasks after the I/O).
                    if (ready > 0 || tasks.pendingTasks() > 0) {
                        woken = woken + 1;
                        return ready;
                    }
                    if (System.nanoTime() - deadline >= 0) {
                        expired = expired + 1;
                        expiredAt = changes; // an operation that hangs costs one bound, not one per wake-up
                        return SelectStrategy.SELECT; // sleep; the completion wakes the loop as usual
                    }
                    Thread.onSpinWait();
                }
            } finally {
                polledNanos = polledNanos + (System.nanoTime() - start);
            }
        }

        /** On the loop's first turn, on its thread: the thread's poller and its task queue. */
        private void bind() {
            bound = true;
            if (executor.isExecutorThread(Thread.currentThread())) {
                CURRENT.set(this);
                if (executor instanceof SingleThreadEventExecutor loop) {
                    tasks = loop;
                }
            }
        }
    }
}
