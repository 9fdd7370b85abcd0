package io.rbdgw.iscsi.session;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.rbdgw.iscsi.pdu.IscsiPduDecoder;
import io.rbdgw.iscsi.pdu.IscsiPduEncoder;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iSCSI portal: a Netty server whose connections each get a PDU decoder, an encoder and an
 * {@link IscsiConnection}. Uses epoll where available.
 */
public final class IscsiServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IscsiServer.class);

    private final TargetRegistry targets;
    private final SessionRegistry sessions;
    private final ConnectionSettings settings;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final boolean epoll;
    private final GatewayBudget budget;
    /** The workers' idle strategy while device operations are in flight; null when the loops just sleep. */
    private final CompletionPolling polling;

    private final ConnectionFactory connections;
    /** Refuses PDUs read right after this process stalled; its thread runs from construction to {@link #close}. */
    private final StallGuard stallGuard;

    private Channel serverChannel;
    /** Whether connections are served; until then each is reset at once (see {@link #hold}). */
    private volatile boolean serving = true;

    private final AtomicLong refusedWhileHeld = new AtomicLong();
    private volatile IscsiStats stats = IscsiStats.NONE;

    public IscsiServer(TargetRegistry targets, SessionRegistry sessions, ConnectionSettings settings, int ioThreads) {
        this.targets = targets;
        this.sessions = sessions;
        this.settings = settings;
        this.budget = new GatewayBudget(settings.limits());
        this.stallGuard = StallGuard.fromSystemProperties();
        this.connections = new ConnectionFactory(targets, sessions, settings, budget, stallGuard);
        this.epoll = Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.boss = new MultiThreadIoEventLoopGroup(1, factory);
        Duration bound = settings.pollInFlight();
        this.polling = bound.isZero() ? null : new CompletionPolling(bound);
        IoHandlerFactory workerFactory = polling == null
                ? factory
                : polling.handlerFactory(strategy -> epoll
                        ? EpollIoHandler.newFactory(0, strategy)
                        : NioIoHandler.newFactory(SelectorProvider.provider(), strategy));
        this.workers = new MultiThreadIoEventLoopGroup(ioThreads, workerFactory);
        if (polling != null) {
            log.info(
                    "event loops poll up to {} us for disk completions while operations are in flight "
                            + "(--poll-in-flight-us; rbdgw_iscsi_poll_seconds_total is the CPU it costs)",
                    bound.toNanos() / 1000);
        }
        stallGuard.start();
    }

    /** Where connections report logins refused, rejects and their opening and closing (set before {@link #bind}). */
    public void stats(IscsiStats stats) {
        this.stats = stats == null ? IscsiStats.NONE : stats;
    }

    /** The event loops' polling for device completions, or null when it is off ({@code --poll-in-flight-us 0}). */
    public CompletionPolling polling() {
        return polling;
    }

    /** The gateway-wide write-data and login counters of this server's connections. */
    public GatewayBudget budget() {
        return budget;
    }

    /**
     * Until {@link #serve}: the portals are bound (their addresses are known and can be published) but every
     * connection is reset as soon as it is accepted. A host sees "connection reset" and retries, where a
     * portal that answered before the configuration was applied would show it an empty SendTargets (ESXi then
     * drops its static targets) or LUNs that do not exist yet (permanent device loss). Resetting rather than
     * leaving connections in the backlog keeps a host's login timeout out of it and fails fast. Call before
     * {@link #bind}.
     */
    public void hold() {
        serving = false;
    }

    /** Serves connections from now on (after {@link #hold}). */
    public void serve() {
        serving = true;
        long refused = refusedWhileHeld.get();
        if (refused > 0) {
            log.info("portals open; {} connections were reset while the configuration was being applied", refused);
        }
    }

    /** Whether connections are served (not {@linkplain #hold held}). */
    public boolean serving() {
        return serving;
    }

    public InetSocketAddress bind(InetSocketAddress address) throws InterruptedException {
        Class<? extends ServerChannel> channelClass =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 256)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(4 << 20, 16 << 20))
                // Pooled arenas rather than Netty 4.2's adaptive default: data-out buffers stay pinned
                // until the device completes, and the adaptive allocator then zeroes fresh chunks.
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                // Reads grow to 1 MiB under large writes (Netty's default stops at 64 KiB, ours did at 256 KiB):
                // fewer reads per 1 MiB write, about 7 % of its CPU (docs/benchmarks.md). Small data segments
                // are copied out of such reads rather than pinning them (IscsiPduDecoder.MAX_PIN_FACTOR).
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(512, 16384, 1 << 20))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!serving) {
                            // not configured yet: reset (SO_LINGER 0), the initiator retries
                            refusedWhileHeld.incrementAndGet();
                            ch.config().setOption(ChannelOption.SO_LINGER, 0);
                            ch.close();
                            return;
                        }
                        IscsiPduDecoder decoder =
                                new IscsiPduDecoder(true, settings.parameters().maxRecvDataSegmentLength());
                        IscsiPduEncoder encoder = new IscsiPduEncoder();
                        ch.pipeline().addLast("decoder", decoder);
                        ch.pipeline().addLast("encoder", encoder);
                        IscsiStats st = stats;
                        IscsiConnection connection = connections.newConnection(decoder, encoder, st);
                        st.connections(1);
                        ch.closeFuture().addListener(f -> st.connections(-1));
                        ch.pipeline().addLast("iscsi", connection);
                    }
                });
        serverChannel = b.bind(address).sync().channel();
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        log.info("iSCSI portal listening on {} ({})", bound, epoll ? "epoll" : "nio");
        return bound;
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        // Bounded: a stop must not hang, even if an event loop thread died.
        var workersDone = workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        var bossDone = boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        if (!workersDone.awaitUninterruptibly(10, TimeUnit.SECONDS)
                || !bossDone.awaitUninterruptibly(10, TimeUnit.SECONDS)) {
            log.warn("event loops did not stop within 10 s; exiting anyway");
        }
        stallGuard.close();
    }

    /** The stall guard this server's connections consult (for tests). */
    StallGuard stallGuard() {
        return stallGuard;
    }
}
