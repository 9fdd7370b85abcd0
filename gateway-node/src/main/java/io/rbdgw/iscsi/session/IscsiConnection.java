package io.rbdgw.iscsi.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.rbdgw.iscsi.pdu.InvalidPdu;
import io.rbdgw.iscsi.pdu.IscsiPdu;
import io.rbdgw.iscsi.pdu.Reject;
import io.rbdgw.iscsi.pdu.RejectReason;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.NexusTasks;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core of one iSCSI connection, and with MaxConnections=1 of its session: the connection state, the
 * phase check of each incoming PDU, the command window (ExpCmdSN/MaxCmdSN, with the commands in flight in
 * its {@link TaskTable}), and the PDU output (StatSN, target transfer tags, one flush per batch).
 *
 * <p>What a PDU does is up to the handler routed to its opcode ({@link #route}; see
 * {@link ConnectionFactory} for the set). The core checks the phase a route asks for once, before it
 * dispatches, and knows none of the handlers; they see each other only through the core's state.
 *
 * <p>Everything runs on the connection's event loop; only {@link #close}, {@link #runOnEventLoop},
 * {@link #abortTasks} and {@link #view} may be called from other threads.
 */
public final class IscsiConnection extends ChannelInboundHandlerAdapter implements NexusTasks {

    private static final Logger log = LoggerFactory.getLogger(IscsiConnection.class);

    /** The reserved tag value (RFC 7143 11.2.1.8): "no task" / "no transfer". */
    static final int RESERVED_TAG = 0xffffffff;

    enum State {
        LOGIN,
        FULL_FEATURE,
        LOGGING_OUT,
        CLOSED
    }

    /** The phase in which a PDU type is allowed; outside it the PDU is a protocol error. */
    enum Phase {
        /** before the login completes */
        LOGIN,
        /** a full feature phase that is not logging out, normal or discovery session */
        FULL_FEATURE,
        /** a normal (not discovery) session's full feature phase */
        NORMAL_SESSION,
        /** any time */
        ANY
    }

    /** A part of the connection that keeps state across PDUs and must hear when the connection changes. */
    interface Part {
        /** The TCP connection is up; the part may {@link #closeNow} it. */
        default void connectionActive() {}

        /** The login completed: {@code session} is in force. */
        default void fullFeature(Session session) {}

        /** The TCP connection is gone; {@code session} is null when the login never completed. */
        default void connectionClosed(Session session) {}
    }

    private record Route(Phase phase, String violation, Consumer<IscsiPdu> handler) {}

    private final Route[] routes = new Route[64];
    private final List<Part> parts = new ArrayList<>(8);
    private final TaskTable tasks;
    private final IscsiStats stats;
    private final StallGuard stallGuard;

    private ChannelHandlerContext ctx;
    private State state = State.LOGIN;
    /** The session once the login completed, else null. */
    private Session session;
    /** Command window and pings: the portal's until the login completes, then the session's. */
    private SessionSettings windowSettings;

    private volatile int tsih;
    private volatile long loginAtMillis;

    private int statSN;
    private int expCmdSN;
    private int nextTtt = 1;

    private long lastReadNanos;
    private boolean droppedAfterStall;
    private boolean reading;
    private boolean flushPending;
    private boolean flushScheduled;
    private final Runnable flushTask = this::flushNow;
    /** Run once no command is executing in the backend (a logout waits for that). */
    private Runnable whenIdle;

    IscsiConnection(SessionSettings portalSession, TaskTable tasks, IscsiStats stats, StallGuard stallGuard) {
        this.windowSettings = portalSession;
        this.tasks = tasks;
        this.stats = stats;
        this.stallGuard = stallGuard;
    }

    /** Routes PDUs of {@code opcode} to {@code handler} when the connection is in {@code phase}. */
    <P extends IscsiPdu> void route(int opcode, Phase phase, String violation, Class<P> type, Consumer<P> handler) {
        routes[opcode & 0x3f] = new Route(phase, violation, pdu -> handler.accept(type.cast(pdu)));
    }

    void attach(Part part) {
        parts.add(part);
    }

    // ---------------------------------------------------------------- what handlers see

    State state() {
        return state;
    }

    Session session() {
        return session;
    }

    ItNexus nexus() {
        Session s = session;
        return s == null ? null : s.nexus();
    }

    TaskTable tasks() {
        return tasks;
    }

    IscsiStats stats() {
        return stats;
    }

    ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    EventExecutor executor() {
        return ctx.executor();
    }

    SocketAddress remoteAddress() {
        return ctx.channel().remoteAddress();
    }

    InetSocketAddress localAddress() {
        return (InetSocketAddress) ctx.channel().localAddress();
    }

    long lastReadNanos() {
        return lastReadNanos;
    }

    void runOnEventLoop(Runnable r) {
        if (ctx.executor().inEventLoop()) {
            r.run();
        } else {
            ctx.executor().execute(r);
        }
    }

    /**
     * PREEMPT AND ABORT of this nexus (any thread): its tasks for {@code lun} are aborted as an ABORT TASK SET would,
     * without a status for them (TAS=0); tasks still collecting data are dropped at once, those inside the backend
     * once it returns them. Completes when none is inside the backend any more (tasks a task management function
     * aborted earlier included).
     */
    @Override
    public CompletionStage<Void> abortTasks(long lun) {
        CompletableFuture<Void> gone = new CompletableFuture<>();
        ChannelHandlerContext c = ctx;
        if (c == null) {
            gone.complete(null); // never connected: no task
            return gone;
        }
        try {
            runOnEventLoop(() -> {
                TmfWait w = new TmfWait(RESERVED_TAG, 0, done -> gone.complete(null));
                for (IscsiTask t : tasks.snapshot()) {
                    if (t.lun == lun && (!t.aborted || t.executing)) {
                        tasks.abort(t, w);
                    }
                }
                if (w.pending == 0) {
                    gone.complete(null);
                }
            });
        } catch (RejectedExecutionException closing) {
            gone.complete(null); // the event loop is gone, and its tasks with it
        }
        return gone;
    }

    /** This session as status reporting shows it (any thread; fields are set before it is registered). */
    SessionRegistry.SessionView view(SessionRegistry.SessionKey key) {
        ChannelHandlerContext c = ctx;
        String local = c == null ? "" : String.valueOf(c.channel().localAddress());
        String remote = c == null ? "" : String.valueOf(c.channel().remoteAddress());
        return new SessionRegistry.SessionView(
                key.target(), key.initiator(), key.isid(), tsih, local, remote, loginAtMillis);
    }

    /** Closes the connection from any thread (session reinstatement, target reset). */
    void close(String why) {
        ChannelHandlerContext c = ctx;
        if (c != null) {
            log.info("closing connection {}: {}", c.channel().remoteAddress(), why);
            c.channel().close();
        }
    }

    /** Drops the connection, on the event loop, without an answer (a timeout: its state ends with it). */
    void drop() {
        ctx.close();
    }

    /** Closes the connection now, on the event loop, without an answer; nothing it sends is read any more. */
    void closeNow() {
        state = State.CLOSED;
        ctx.close();
    }

    // ---------------------------------------------------------------- session lifecycle

    /** The first login PDU sets the sequence numbers the session starts from. */
    void startSequences(int firstCmdSN, int firstStatSN) {
        expCmdSN = firstCmdSN;
        statSN = firstStatSN;
    }

    void loginStartedAt(long millis) {
        loginAtMillis = millis;
    }

    /** The login completed: the session is in force from now on, for every part. */
    void enterFullFeature(Session s) {
        state = State.FULL_FEATURE;
        session = s;
        tsih = s.tsih();
        windowSettings = s.settings();
        tasks.poolLimit(s.settings().commandWindow());
        for (Part p : parts) {
            p.fullFeature(s);
        }
    }

    /** A logout was accepted: only the answers of commands still executing go out before its response. */
    void beginLogout() {
        state = State.LOGGING_OUT;
    }

    /** Runs {@code r} now if no command is executing in the backend, else when the last one finished. */
    void whenNoCommandExecutes(Runnable r) {
        whenIdle = r;
        commandFinished();
    }

    /** A command's answer went out. */
    void commandFinished() {
        Runnable r = whenIdle;
        if (r != null && !tasks.anyExecuting()) {
            whenIdle = null;
            r.run();
        }
    }

    // ---------------------------------------------------------------- command window

    /** The session's command window as it stands: ExpCmdSN plus the free slots, minus one. */
    int maxCmdSN() {
        int window = windowSettings.commandWindow() - tasks.size();
        return expCmdSN + Math.max(window, 0) - 1;
    }

    int expCmdSN() {
        return expCmdSN;
    }

    int commandWindow() {
        return windowSettings.commandWindow();
    }

    /**
     * The command window check (RFC 7143 4.2.2.1): non-immediate commands outside
     * [ExpCmdSN, MaxCmdSN] are silently dropped; in-window ones advance ExpCmdSN.
     */
    boolean acceptCmdSN(boolean immediate, int cmdSN) {
        if (immediate) {
            return true;
        }
        int max = maxCmdSN();
        if (serialLess(cmdSN, expCmdSN) || serialLess(max, cmdSN)) {
            log.debug("dropping command with CmdSN {} outside the window [{}, {}]", cmdSN, expCmdSN, max);
            return false;
        }
        expCmdSN = cmdSN + 1;
        return true;
    }

    /** Serial number arithmetic (RFC 1982) on 32-bit sequence numbers. */
    static boolean serialLess(int a, int b) {
        return a != b && (a - b) < 0;
    }

    static boolean serialLessOrEqual(int a, int b) {
        return a == b || serialLess(a, b);
    }

    // ---------------------------------------------------------------- output

    /** The StatSN of a status PDU, which advances it. */
    int nextStatSN() {
        return statSN++;
    }

    /** The StatSN a PDU carries without advancing it (R2T, NOP-In pings, Data-In without status). */
    int statSN() {
        return statSN;
    }

    /** A new target transfer tag, never the reserved one. */
    int nextTag() {
        int t = nextTtt++;
        if (nextTtt == RESERVED_TAG) {
            nextTtt = 1;
        }
        return t;
    }

    /** Writes {@code pdu}, flushed with the rest of the batch. */
    void send(IscsiPdu pdu) {
        ctx.write(pdu, ctx.voidPromise());
        flushSoon();
    }

    /** Writes {@code pdu} without asking for a flush (the caller does, once for a run of PDUs). */
    void write(IscsiPdu pdu) {
        ctx.write(pdu, ctx.voidPromise());
    }

    /** Writes and flushes {@code pdu} at once, ahead of the batch. */
    ChannelFuture sendNow(IscsiPdu pdu) {
        return ctx.writeAndFlush(pdu);
    }

    /** Writes and flushes {@code pdu} at once; nobody waits for the outcome. */
    void sendNowVoid(IscsiPdu pdu) {
        ctx.writeAndFlush(pdu, ctx.voidPromise());
    }

    /** Sends {@code pdu} as the last answer of this connection and closes it. */
    void sendAndClose(IscsiPdu pdu) {
        state = State.CLOSED;
        ctx.writeAndFlush(pdu).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Flushes what was written, once per batch: while reading, at channelReadComplete; otherwise (device
     * completions arriving as event-loop tasks) from a task queued behind the completions already
     * waiting, so a burst of completions costs one writev instead of one each.
     */
    void flushSoon() {
        flushPending = true;
        if (!reading && !flushScheduled) {
            flushScheduled = true;
            ctx.executor().execute(flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
    }

    void reject(int reason, ByteBuf header, boolean closeAfter) {
        stats.pduRejected(reason);
        ByteBuf hdr = header != null ? header.retainedDuplicate() : Unpooled.EMPTY_BUFFER;
        Reject r = new Reject(reason, statSN++, expCmdSN, maxCmdSN(), 0, hdr);
        if (closeAfter) {
            sendAndClose(r);
        } else {
            send(r);
        }
    }

    /** A protocol violation that ErrorRecoveryLevel 0 can only answer by dropping the connection. */
    void protocolError(String why) {
        log.warn(
                "{}: protocol error, dropping the connection: {}", ctx.channel().remoteAddress(), why);
        reject(RejectReason.PROTOCOL_ERROR, null, true);
    }

    // ---------------------------------------------------------------- channel events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        lastReadNanos = System.nanoTime();
        for (Part p : parts) {
            p.connectionActive();
            if (state == State.CLOSED) {
                return;
            }
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        lastReadNanos = System.nanoTime();
        try {
            if (state == State.CLOSED || droppedAfterStall) {
                return;
            }
            if (stallGuard.stalled()) {
                // possibly sent before this process stalled and already retried by the host elsewhere: never execute
                droppedAfterStall = true;
                close("a PDU arrived while this gateway was stalled; the host may have retried it on another path");
                return;
            }
            if (msg instanceof InvalidPdu bad) {
                onInvalidPdu(bad);
            } else if (msg instanceof IscsiPdu pdu) {
                dispatch(pdu);
            } else {
                log.warn(
                        "{}: unexpected message {}",
                        ctx.channel().remoteAddress(),
                        msg.getClass().getSimpleName());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void dispatch(IscsiPdu pdu) {
        Route r = routes[pdu.opcode() & 0x3f];
        if (r == null) {
            log.warn(
                    "{}: unexpected message {}",
                    ctx.channel().remoteAddress(),
                    pdu.getClass().getSimpleName());
            return;
        }
        if (!inPhase(r.phase())) {
            protocolError(r.violation());
            return;
        }
        r.handler().accept(pdu);
    }

    private boolean inPhase(Phase p) {
        return switch (p) {
            case LOGIN -> state == State.LOGIN;
            case FULL_FEATURE -> state == State.FULL_FEATURE;
            case NORMAL_SESSION ->
                state == State.FULL_FEATURE && !session.params().discovery();
            case ANY -> true;
        };
    }

    private void onInvalidPdu(InvalidPdu bad) {
        log.warn(
                "{}: rejecting PDU ({}): {}",
                ctx.channel().remoteAddress(),
                bad.fatal() ? "fatal" : "recoverable",
                bad.message());
        if (state == State.LOGIN) {
            // No full feature phase yet: nothing to keep alive.
            closeNow();
            return;
        }
        reject(bad.rejectReason(), bad.header(), bad.fatal());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Push back on the initiator instead of queueing responses without bound.
        ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        state = State.CLOSED;
        // Tasks still in the backend finish there and are recycled when they complete; the rest now.
        tasks.abortAll();
        for (Part p : parts) {
            p.connectionClosed(session);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("{}: connection error, closing: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
