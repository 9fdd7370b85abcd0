package io.rbdgw.iscsi.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.DefaultSelectStrategyFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SelectStrategyFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.channels.spi.SelectorProvider;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The event loops' polling for device completions, on real Netty loops of both transports: a loop with an
 * operation in flight spends its CPU polling up to the bound, a loop with none sleeps, and a completion handed to
 * a polling loop from another thread ends the poll.
 */
class CompletionPollingTest {

    static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    static final Duration BOUND = Duration.ofMillis(2);

    EventLoopGroup group;

    @AfterEach
    void stop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    static Function<SelectStrategyFactory, IoHandlerFactory> transport(String name) {
        if (name.equals("epoll")) {
            Assumptions.assumeTrue(Epoll.isAvailable(), "epoll is the gateway's transport on Linux");
            return s -> EpollIoHandler.newFactory(0, s);
        }
        return s -> NioIoHandler.newFactory(SelectorProvider.provider(), s);
    }

    /** One loop of {@code polling}'s, or a plain one when it is null; returns the loop. */
    EventLoop loop(CompletionPolling polling, String transport) {
        IoHandlerFactory f = polling == null
                ? transport(transport).apply(DefaultSelectStrategyFactory.INSTANCE)
                : polling.handlerFactory(transport(transport));
        group = new MultiThreadIoEventLoopGroup(1, f);
        return group.next().next();
    }

    static long cpuNanos(EventLoop loop) throws Exception {
        long id = loop.submit(() -> Thread.currentThread().getId()).get();
        return THREADS.getThreadCpuTime(id);
    }

    /**
     * {@code ops} operations one after the other, each started on the loop and completed from another thread
     * {@code heldNanos} later (as librbd does); returns the loop thread's CPU over them.
     */
    static long run(EventLoop loop, int ops, long heldNanos, AtomicInteger completed) throws Exception {
        long id = loop.submit(() -> Thread.currentThread().getId()).get();
        long cpu0 = THREADS.getThreadCpuTime(id);
        for (int i = 0; i < ops; i++) {
            CountDownLatch done = new CountDownLatch(1);
            loop.submit(() -> {
                        CompletionPolling.LoopPoller p = CompletionPolling.current();
                        if (p != null) {
                            p.started();
                        }
                    })
                    .get();
            LockSupport.parkNanos(heldNanos);
            loop.execute(() -> {
                CompletionPolling.LoopPoller p = CompletionPolling.current();
                if (p != null) {
                    p.finished();
                }
                completed.incrementAndGet();
                done.countDown();
            });
            assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        }
        return THREADS.getThreadCpuTime(id) - cpu0;
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio"})
    void aLoopWithOperationsInFlightPollsForTheBoundWhereAPlainLoopSleeps(String transport) throws Exception {
        CompletionPolling polling = new CompletionPolling(BOUND);
        EventLoop loop = loop(polling, transport);
        AtomicInteger completed = new AtomicInteger();
        long polledCpu = run(loop, 40, 5_000_000L, completed);
        assertThat(completed).hasValue(40);
        assertThat(polling.polledNanos())
                .as("each operation, held 5 ms, is polled for the whole bound (2 ms)")
                .isGreaterThanOrEqualTo(40 * BOUND.toNanos());
        assertThat(polling.pollsExpired()).as("polls that ran out, then slept").isGreaterThanOrEqualTo(20);
        assertThat(polledCpu)
                .as("the polling loop's CPU over 40 operations (80 ms of polling), a quarter of it at least")
                .isGreaterThanOrEqualTo(20_000_000L);
        assertThat(loop.submit(() -> CompletionPolling.current().inFlight()).get())
                .as("nothing left in flight")
                .isZero();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();

        EventLoop plain = loop(null, transport);
        long plainCpu = run(plain, 40, 5_000_000L, completed);
        assertThat(plainCpu)
                .as("a sleeping loop's CPU over the same 40 operations")
                .isLessThan(20_000_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio"})
    void aCompletionHandedToAPollingLoopEndsThePoll(String transport) throws Exception {
        CompletionPolling polling = new CompletionPolling(BOUND);
        EventLoop loop = loop(polling, transport);
        AtomicInteger completed = new AtomicInteger();
        run(loop, 20, 100_000L, completed);
        assertThat(completed).hasValue(20);
        assertThat(polling.pollsWoken())
                .as("completions 0.1 ms after the start, within the 2 ms bound, are caught by the poll")
                .isGreaterThanOrEqualTo(10);
        assertThat(polling.polledNanos())
                .as("and end it early: far less than 20 bounds")
                .isLessThan(20 * BOUND.toNanos());
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio"})
    void aLoopWithNothingInFlightDoesNotPoll(String transport) throws Exception {
        CompletionPolling polling = new CompletionPolling(BOUND);
        EventLoop loop = loop(polling, transport);
        long cpu0 = cpuNanos(loop);
        Thread.sleep(300);
        // a task the loop runs inline, as a memory LUN's command: in and out of flight in one turn
        for (int i = 0; i < 100; i++) {
            loop.submit(() -> {
                        CompletionPolling.LoopPoller p = CompletionPolling.current();
                        p.started();
                        p.finished();
                    })
                    .get();
        }
        Thread.sleep(300);
        assertThat(cpuNanos(loop) - cpu0).as("an idle polling loop sleeps").isLessThan(30_000_000L);
        assertThat(polling.pollsWoken() + polling.pollsExpired()).isZero();
        assertThat(polling.polledNanos()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio"})
    void aLoopWithMoreThanAFewOperationsInFlightSleeps(String transport) throws Exception {
        CompletionPolling polling = new CompletionPolling(BOUND);
        EventLoop loop = loop(polling, transport);
        int deep = CompletionPolling.MAX_POLLED_IN_FLIGHT + 1;
        loop.submit(() -> {
                    for (int i = 0; i < deep; i++) {
                        CompletionPolling.current().started();
                    }
                })
                .get();
        Thread.sleep(100);
        assertThat(polling.pollsWoken() + polling.pollsExpired())
                .as("%s operations in flight: the loop sleeps", deep)
                .isZero();
        loop.submit(() -> CompletionPolling.current().finished()).get();
        Thread.sleep(100);
        assertThat(polling.pollsExpired())
                .as("%s in flight: it polls again", deep - 1)
                .isGreaterThanOrEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "nio"})
    void anOperationThatNeverCompletesCostsOneBoundNotOnePerWakeUp(String transport) throws Exception {
        CompletionPolling polling = new CompletionPolling(BOUND);
        EventLoop loop = loop(polling, transport);
        loop.submit(() -> CompletionPolling.current().started()).get();
        Thread.sleep(50);
        for (int i = 0; i < 20; i++) {
            loop.submit(() -> {}).get(); // other work wakes the loop, the operation is still in flight
            Thread.sleep(5);
        }
        assertThat(polling.pollsExpired() + polling.pollsWoken())
                .as("one poll ran out; other work alone does not start another")
                .isBetween(1L, 2L);
        loop.submit(() -> CompletionPolling.current().started()).get();
        Thread.sleep(50);
        assertThat(polling.pollsExpired()).as("a new operation polls again").isGreaterThanOrEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "2001"})
    void aBoundOutsideOneMicrosecondToTwoMillisecondsIsRefused(String micros) {
        assertThatThrownBy(() -> new CompletionPolling(Duration.ofNanos(Long.parseLong(micros) * 1000)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("polling bound " + micros + " us is out of range 1-2000");
    }
}
