package io.rbdgw.iscsi.session;

import java.net.InetSocketAddress;
import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.rbdgw.iscsi.login.ChapSecret;
import io.rbdgw.iscsi.login.LoginContext;
import io.rbdgw.iscsi.login.LoginInput;
import io.rbdgw.iscsi.login.LoginNegotiator;
import io.rbdgw.iscsi.login.LoginOutput;
import io.rbdgw.iscsi.login.LoginStatus;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.login.NegotiatedSession;
import io.rbdgw.iscsi.login.TargetParameters;
import io.rbdgw.iscsi.login.TextFormatException;
import io.rbdgw.iscsi.login.TextKeys;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.DataOut;
import io.rbdgw.iscsi.pdu.InvalidPdu;
import io.rbdgw.iscsi.pdu.IscsiPdu;
import io.rbdgw.iscsi.pdu.IscsiPduDecoder;
import io.rbdgw.iscsi.pdu.IscsiPduEncoder;
import io.rbdgw.iscsi.pdu.LoginRequest;
import io.rbdgw.iscsi.pdu.LoginResponse;
import io.rbdgw.iscsi.pdu.LogoutRequest;
import io.rbdgw.iscsi.pdu.LogoutResponse;
import io.rbdgw.iscsi.pdu.NopIn;
import io.rbdgw.iscsi.pdu.NopOut;
import io.rbdgw.iscsi.pdu.R2t;
import io.rbdgw.iscsi.pdu.Reject;
import io.rbdgw.iscsi.pdu.RejectReason;
import io.rbdgw.iscsi.pdu.ScsiCommand;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.pdu.SnackRequest;
import io.rbdgw.iscsi.pdu.TaskManagementRequest;
import io.rbdgw.iscsi.pdu.TaskManagementResponse;
import io.rbdgw.iscsi.pdu.TextRequest;
import io.rbdgw.iscsi.pdu.TextResponse;
import io.rbdgw.iscsi.pdu.WireText;
import io.rbdgw.scsi.CommandSpec;
import io.rbdgw.scsi.CommandTable;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One iSCSI connection, and with MaxConnections=1 its session: login, the full feature phase
 * (command window, data-out assembly with immediate data, unsolicited data and R2Ts, Data-In,
 * responses), task management, NOP pings and logout.
 *
 * <p>Everything runs on the connection's event loop. SCSI commands run to completion there when
 * the device answers synchronously (memory); asynchronous completions come back through
 * {@link IscsiTask#run()}.
 */
public final class IscsiConnection extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(IscsiConnection.class);

    private static final int RESERVED_TAG = 0xffffffff;
    /** Pieces a write's data-out is kept in before it is consolidated (IOV_MAX: one rbd_aio_writev). */
    private static final int MAX_DATA_OUT_PIECES = 1024;

    // Task management function codes (RFC 7143 11.5.1) and responses (11.6.1)
    private static final int TMF_ABORT_TASK = 1;
    private static final int TMF_ABORT_TASK_SET = 2;
    private static final int TMF_CLEAR_ACA = 3;
    private static final int TMF_CLEAR_TASK_SET = 4;
    private static final int TMF_LUN_RESET = 5;
    private static final int TMF_TARGET_WARM_RESET = 6;
    private static final int TMF_TARGET_COLD_RESET = 7;
    private static final int TMF_TASK_REASSIGN = 8;
    private static final int TMF_COMPLETE = 0;
    private static final int TMF_NO_TASK = 1;
    private static final int TMF_NO_LUN = 2;
    private static final int TMF_REASSIGN_UNSUPPORTED = 4;
    private static final int TMF_UNSUPPORTED = 5;
    private static final int TMF_AUTHORIZATION_FAILED = 6;

    private enum State { LOGIN, FULL_FEATURE, LOGGING_OUT, CLOSED }

    private final TargetRegistry targets;
    private final SessionRegistry sessions;
    private final ConnectionSettings settings;
    private final GatewayBudget budget;
    private final IscsiPduDecoder decoder;
    private final IscsiPduEncoder encoder;

    private ChannelHandlerContext ctx;
    private State state = State.LOGIN;
    private LoginNegotiator negotiator;
    private NegotiatedSession params;
    /** Command window and pings of this session: the portal's until the login completes, then its target's. */
    private SessionSettings session;
    private TargetEntry target;
    private ScsiTarget scsi;
    /** Set by the server before the channel is active. */
    IscsiStats stats = IscsiStats.NONE;
    private ItNexus nexus;
    private SessionRegistry.SessionKey sessionKey;
    private volatile int tsih;
    private long isid;
    private volatile long loginAtMillis;
    private int cid;

    private int statSN;
    private int expCmdSN;
    private final IntObjectHashMap<IscsiTask> tasks = new IntObjectHashMap<>();
    private final ArrayDeque<IscsiTask> freeTasks = new ArrayDeque<>();
    private final List<TmfWait> tmfWaits = new ArrayList<>(2);
    private int nextTtt = 1;
    /** Write-buffer bytes reserved by this connection's tasks (see {@link GatewayBudget}). */
    private long heldWriteBytes;
    /** Counted in the gateway's connections logging in. */
    private boolean loggingIn;

    private boolean reading;
    private boolean flushPending;
    private boolean flushScheduled;
    private final Runnable flushTask = this::flushNow;

    // Text request continuation (C bit) and long responses split over several Text Responses
    private ByteBuf textAccumulator;
    private ByteBuf textPendingResponse;
    private int textTtt = RESERVED_TAG;

    // NOP-In pings
    private long lastReadNanos;
    private boolean pingOutstanding;
    private int pingTtt;
    private long pingSentNanos;
    private ScheduledFuture<?> pingTimer;
    private ScheduledFuture<?> loginTimer;

    // deferred logout
    private LogoutRequest pendingLogout;

    public IscsiConnection(TargetRegistry targets, SessionRegistry sessions, ConnectionSettings settings,
                           GatewayBudget budget, IscsiPduDecoder decoder, IscsiPduEncoder encoder) {
        this.targets = targets;
        this.sessions = sessions;
        this.settings = settings;
        this.session = settings.session();
        this.budget = budget;
        this.decoder = decoder;
        this.encoder = encoder;
    }

    ItNexus nexus() {
        return nexus;
    }

    /** This session as status reporting shows it (any thread; fields are set before it is registered). */
    SessionRegistry.SessionView view(SessionRegistry.SessionKey key) {
        ChannelHandlerContext c = ctx;
        String local = c == null ? "" : String.valueOf(c.channel().localAddress());
        String remote = c == null ? "" : String.valueOf(c.channel().remoteAddress());
        return new SessionRegistry.SessionView(key.target(), key.initiator(), key.isid(), tsih, local, remote,
                loginAtMillis);
    }

    ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    void runOnEventLoop(Runnable r) {
        if (ctx.executor().inEventLoop()) {
            r.run();
        } else {
            ctx.executor().execute(r);
        }
    }

    /** Closes the connection from any thread (session reinstatement, target reset). */
    void close(String why) {
        ChannelHandlerContext c = ctx;
        if (c != null) {
            log.info("closing connection {}: {}", c.channel().remoteAddress(), why);
            c.channel().close();
        }
    }

    // ---------------------------------------------------------------- channel events

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        lastReadNanos = System.nanoTime();
        if (!budget.loginStarted()) {
            // Unauthenticated connections are bounded: a flood of them must not use up file descriptors,
            // memory and login timers. Debug only: under a flood a line per connection would flood the log.
            log.debug("{}: closing: {} connections are logging in already", ctx.channel().remoteAddress(),
                    settings.limits().maxLoginConnections());
            state = State.CLOSED;
            stats.loginFailed(LoginStatus.OUT_OF_RESOURCES.statusClass(), LoginStatus.OUT_OF_RESOURCES.statusDetail());
            ctx.close();
            return;
        }
        loggingIn = true;
        loginTimer = ctx.executor().schedule(() -> {
            if (state == State.LOGIN) {
                log.warn("{}: login not completed within {}, dropping the connection",
                        ctx.channel().remoteAddress(), settings.loginTimeout());
                ctx.close();
            }
        }, settings.loginTimeout().toMillis(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    private boolean droppedAfterStall;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        lastReadNanos = System.nanoTime();
        try {
            if (state == State.CLOSED || droppedAfterStall) {
                return;
            }
            if (StallGuard.stalled()) {
                // possibly sent before this process stalled and already retried by the host elsewhere: never execute
                droppedAfterStall = true;
                close("a PDU arrived while this gateway was stalled; the host may have retried it on another path");
                return;
            }
            if (msg instanceof InvalidPdu bad) {
                onInvalidPdu(bad);
            } else if (msg instanceof DataOut d) {
                onDataOut(d);
            } else if (msg instanceof ScsiCommand c) {
                onScsiCommand(c);
            } else if (msg instanceof LoginRequest l) {
                onLogin(l);
            } else if (msg instanceof NopOut n) {
                onNopOut(n);
            } else if (msg instanceof TextRequest t) {
                onText(t);
            } else if (msg instanceof TaskManagementRequest t) {
                onTaskManagement(t);
            } else if (msg instanceof LogoutRequest l) {
                onLogout(l);
            } else if (msg instanceof SnackRequest s) {
                // ErrorRecoveryLevel 0: SNACK is not supported
                reject(RejectReason.COMMAND_NOT_SUPPORTED, null, false);
            } else {
                log.warn("{}: unexpected message {}", ctx.channel().remoteAddress(), msg.getClass().getSimpleName());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
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
        State was = state;
        state = State.CLOSED;
        loginDone();
        if (loginTimer != null) {
            loginTimer.cancel(false);
        }
        if (pingTimer != null) {
            pingTimer.cancel(false);
        }
        releaseText();
        // Tasks still in the backend finish there and are recycled by taskCompleted; the rest now.
        for (IscsiTask t : new ArrayList<>(tasks.values())) {
            t.aborted = true;
            if (!t.executing) {
                freeTask(t);
            }
        }
        if (was == State.FULL_FEATURE || was == State.LOGGING_OUT) {
            if (sessionKey != null) {
                sessions.unregister(sessionKey, tsih, this);
            }
            if (scsi != null && nexus != null) {
                scsi.nexusLost(nexus, this);
            }
            log.info("session closed: initiator {} target {} from {}", WireText.escape(params.initiatorName()),
                    target != null ? target.name() : "(discovery)", ctx.channel().remoteAddress());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.warn("{}: connection error, closing: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    // ---------------------------------------------------------------- output helpers

    private void send(IscsiPdu pdu) {
        ctx.write(pdu, ctx.voidPromise());
        flushSoon();
    }

    /**
     * Flushes what was written, once per batch: while reading, at channelReadComplete; otherwise (device
     * completions arriving as event-loop tasks) from a task queued behind the completions already
     * waiting, so a burst of completions costs one writev instead of one each.
     */
    private void flushSoon() {
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

    /** The cluster-wide settings, or the portal's when no configuration feeds the registry. */
    private SessionSettings clusterSession() {
        SessionSettings c = targets.clusterSession();
        return c != null ? c : settings.session();
    }

    private int maxCmdSN() {
        int window = session.commandWindow() - tasks.size();
        return expCmdSN + Math.max(window, 0) - 1;
    }

    private void reject(int reason, ByteBuf header, boolean closeAfter) {
        stats.pduRejected(reason);
        ByteBuf hdr = header != null ? header.retainedDuplicate() : Unpooled.EMPTY_BUFFER;
        Reject r = new Reject(reason, statSN++, expCmdSN, maxCmdSN(), 0, hdr);
        if (closeAfter) {
            state = State.CLOSED;
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        } else {
            send(r);
        }
    }

    /** A protocol violation that ErrorRecoveryLevel 0 can only answer by dropping the connection. */
    private void protocolError(String why) {
        log.warn("{}: protocol error, dropping the connection: {}", ctx.channel().remoteAddress(), why);
        reject(RejectReason.PROTOCOL_ERROR, null, true);
    }

    private void onInvalidPdu(InvalidPdu bad) {
        log.warn("{}: rejecting PDU ({}): {}", ctx.channel().remoteAddress(),
                bad.fatal() ? "fatal" : "recoverable", bad.message());
        if (state == State.LOGIN) {
            // No full feature phase yet: nothing to keep alive.
            ctx.close();
            state = State.CLOSED;
            return;
        }
        reject(bad.rejectReason(), bad.header(), bad.fatal());
    }

    // ---------------------------------------------------------------- login

    private final LoginContext loginContext = new LoginContext() {
        @Override
        public LoginTarget target(String targetName) {
            TargetEntry t = targets.find(targetName);
            return t == null ? null : t.login();
        }

        @Override
        public LoginTarget target(String targetName, String initiatorName) {
            TargetEntry t = targets.find(targetName);
            return t == null ? null : t.loginFor(initiatorName);
        }

        @Override
        public boolean ready(String targetName) {
            return targets.isReady(targetName);
        }

        @Override
        public ChapSecret discoveryChap() {
            return targets.discoveryChap();
        }

        @Override
        public ChapSecret discoveryMutualChap() {
            return targets.discoveryMutualChap();
        }

        @Override
        public TargetParameters parameters() {
            return clusterSession().parameters(); // a target's own parameters come with its LoginTarget
        }

        @Override
        public java.security.SecureRandom random() {
            return Randoms.SECURE;
        }
    };

    private void onLogin(LoginRequest req) {
        if (state != State.LOGIN) {
            protocolError("Login Request in the full feature phase");
            return;
        }
        if (negotiator == null) {
            isid = req.isid();
            cid = req.cid();
            expCmdSN = req.cmdSN();
            statSN = req.expStatSN();
            if (req.tsih() != 0) {
                // Adding a connection to an existing session: MaxConnections is 1.
                loginFailure(req, sessions.exists(req.tsih()) ? LoginStatus.TOO_MANY_CONNECTIONS
                        : LoginStatus.SESSION_DOES_NOT_EXIST);
                return;
            }
            negotiator = new LoginNegotiator(loginContext);
        } else if (req.isid() != isid) {
            loginFailure(req, LoginStatus.INITIATOR_ERROR);
            return;
        }
        LoginOutput out = negotiator.step(new LoginInput(req.transit(), req.cont(), req.csg(), req.nsg(),
                req.versionMax(), req.versionMin(), req.isid(), req.tsih(), req.cid(), req.data()), ctx.alloc());
        int status = (out.statusClass() << 8) | out.statusDetail();
        if (status != 0 || out.closeConnection()) {
            stats.loginFailed(out.statusClass(), out.statusDetail());
            log.warn("{}: login refused with status 0x{}", ctx.channel().remoteAddress(),
                    String.format("%04x", status));
            LoginResponse resp = new LoginResponse(false, false, out.csg(), out.nsg(), 0, 0, isid, 0, req.itt(),
                    statSN, expCmdSN, maxCmdSN(), out.statusClass(), out.statusDetail(), out.data());
            state = State.CLOSED;
            ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        int respTsih = 0;
        if (out.complete()) {
            params = negotiator.result();
            respTsih = enterFullFeaturePhase(req);
            if (respTsih == 0) {
                out.data().release(); // refused by a session limit: the keys are not sent
                return;
            }
        }
        LoginResponse resp = new LoginResponse(out.transit(), out.cont(), out.csg(), out.nsg(), 0, 0, isid,
                respTsih, req.itt(), statSN, expCmdSN, maxCmdSN(), 0, 0, out.data());
        if (out.complete()) {
            statSN++;
            // The final login response goes out without digests; everything after it uses them.
            ctx.writeAndFlush(resp, ctx.voidPromise());
            encoder.setHeaderDigest(params.headerDigest());
            encoder.setDataDigest(params.dataDigest());
            decoder.setHeaderDigest(params.headerDigest());
            decoder.setDataDigest(params.dataDigest());
            decoder.setMaxDataSegmentLength(params.targetMaxRecvDataSegmentLength());
        } else {
            send(resp);
        }
    }

    private void loginFailure(LoginRequest req, LoginStatus status) {
        stats.loginFailed(status.statusClass(), status.statusDetail());
        log.warn("{}: login refused with status {}/{}", ctx.channel().remoteAddress(), status.statusClass(),
                status.statusDetail());
        LoginResponse resp = new LoginResponse(false, false, req.csg(), req.nsg(), 0, 0, req.isid(), 0, req.itt(),
                statSN, expCmdSN, maxCmdSN(), status.statusClass(), status.statusDetail(), Unpooled.EMPTY_BUFFER);
        state = State.CLOSED;
        ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
    }

    /** This connection is no longer in the login phase: it leaves the gateway's count of them. */
    private void loginDone() {
        if (loggingIn) {
            loggingIn = false;
            budget.loginEnded();
        }
    }

    /**
     * Creates the session; returns its TSIH, or 0 when a session limit refuses it (the login response with
     * the status is sent and the connection closes). Discovery sessions get a TSIH too.
     */
    private int enterFullFeaturePhase(LoginRequest req) {
        String targetName = params.discovery() ? "" : params.target().name();
        SessionRegistry.SessionKey key = new SessionRegistry.SessionKey(params.initiatorName(), isid, targetName);
        loginAtMillis = System.currentTimeMillis();
        SessionRegistry.Registration reg = sessions.register(key, this, settings.limits());
        if (reg.refused() != null) {
            log.warn("{}: login of {} to {} refused: session limit reached (per initiator {}, per target {}, "
                    + "gateway {})", ctx.channel().remoteAddress(), WireText.escape(params.initiatorName()),
                    params.discovery() ? "(discovery)" : WireText.escape(targetName),
                    settings.limits().maxSessionsPerInitiator(), settings.limits().maxSessionsPerTarget(),
                    settings.limits().maxSessions());
            loginFailure(req, reg.refused());
            return 0;
        }
        state = State.FULL_FEATURE;
        loginDone();
        if (loginTimer != null) {
            loginTimer.cancel(false);
        }
        sessionKey = key;
        tsih = reg.tsih();
        if (reg.replaced() != null && reg.replaced() != this) {
            // Session reinstatement (same initiator, ISID and target): the old session ends.
            reg.replaced().close("session reinstated by a new login");
        }
        // the settings in force now, kept for the life of the session
        session = clusterSession();
        if (!params.discovery()) {
            target = targets.find(targetName);
            if (target == null) {
                // Removed between login steps: the login still completes, commands will fail.
                log.warn("target {} disappeared during login", targetName);
            } else {
                scsi = target.scsi();
                if (target.session() != null) {
                    session = target.session();
                }
                nexus = new ItNexus(params.initiatorName(), isid, targetName, target.login().portalGroupTag(),
                        settings.relativeTargetPort());
                scsi.nexusCreated(nexus, this);
            }
        }
        if (!session.nopInInterval().isZero()) { // zero: the cluster turned pings off
            long periodMs = Math.max(100, Math.min(session.nopInInterval().toMillis(),
                    session.nopInTimeout().toMillis()) / 2);
            pingTimer = ctx.executor().scheduleAtFixedRate(this::checkLiveness, periodMs, periodMs,
                    TimeUnit.MILLISECONDS);
        }
        log.info("session up: initiator {} target {} from {} (tsih {}, header digest {}, data digest {})",
                WireText.escape(params.initiatorName()), params.discovery() ? "(discovery)" : WireText.escape(targetName),
                ctx.channel().remoteAddress(), tsih, params.headerDigest(), params.dataDigest());
        return tsih;
    }

    // ---------------------------------------------------------------- NOP

    private void checkLiveness() {
        if (state != State.FULL_FEATURE) {
            return;
        }
        long now = System.nanoTime();
        if (pingOutstanding) {
            if (now - pingSentNanos > session.nopInTimeout().toNanos()) {
                log.warn("{}: no answer to NOP-In ping within {}, dropping the connection",
                        ctx.channel().remoteAddress(), session.nopInTimeout());
                ctx.close();
            }
            return;
        }
        if (now - lastReadNanos >= session.nopInInterval().toNanos()) {
            pingOutstanding = true;
            pingSentNanos = now;
            pingTtt = nextTag();
            // A ping does not advance StatSN (RFC 7143 11.19.3).
            send(new NopIn(0, RESERVED_TAG, pingTtt, statSN, expCmdSN, maxCmdSN(), Unpooled.EMPTY_BUFFER));
        }
    }

    private int nextTag() {
        int t = nextTtt++;
        if (nextTtt == RESERVED_TAG) {
            nextTtt = 1;
        }
        return t;
    }

    private void onNopOut(NopOut n) {
        if (state != State.FULL_FEATURE) {
            protocolError("NOP-Out before the full feature phase");
            return;
        }
        if (n.ttt() != RESERVED_TAG) {
            // Answer to our ping.
            if (pingOutstanding && n.ttt() == pingTtt) {
                pingOutstanding = false;
            }
            return;
        }
        if (!acceptCmdSN(n.immediate(), n.cmdSN())) {
            return;
        }
        if (n.itt() == RESERVED_TAG) {
            return; // a NOP-Out that wants no answer
        }
        send(new NopIn(n.lun(), n.itt(), RESERVED_TAG, statSN++, expCmdSN, maxCmdSN(), n.data().retainedDuplicate()));
    }

    /**
     * The command window check (RFC 7143 4.2.2.1): non-immediate commands outside
     * [ExpCmdSN, MaxCmdSN] are silently dropped; in-window ones advance ExpCmdSN.
     */
    private boolean acceptCmdSN(boolean immediate, int cmdSN) {
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
    private static boolean serialLess(int a, int b) {
        return a != b && (a - b) < 0;
    }

    // ---------------------------------------------------------------- text

    private void onText(TextRequest t) {
        if (state != State.FULL_FEATURE) {
            protocolError("Text Request before the full feature phase");
            return;
        }
        if (!acceptCmdSN(t.immediate(), t.cmdSN())) {
            return;
        }
        if (t.ttt() != RESERVED_TAG && textPendingResponse != null && t.ttt() == textTtt) {
            sendTextPart(t);
            return;
        }
        releasePendingTextResponse();
        if (t.cont()) {
            if (textAccumulator == null) {
                textAccumulator = ctx.alloc().buffer();
            }
            if (textAccumulator.readableBytes() + t.data().readableBytes() > 65536) {
                releaseText();
                reject(RejectReason.PROTOCOL_ERROR, null, false);
                return;
            }
            textAccumulator.writeBytes(t.data(), t.data().readerIndex(), t.data().readableBytes());
            textTtt = nextTag();
            send(new TextResponse(false, false, t.lun(), t.itt(), textTtt, statSN++, expCmdSN, maxCmdSN(),
                    Unpooled.EMPTY_BUFFER));
            return;
        }
        ByteBuf body = t.data();
        if (textAccumulator != null) {
            textAccumulator.writeBytes(t.data(), t.data().readerIndex(), t.data().readableBytes());
            body = textAccumulator;
        }
        List<Map.Entry<String, String>> keys;
        try {
            keys = TextKeys.parse(body);
        } catch (TextFormatException e) {
            releaseText();
            reject(RejectReason.PROTOCOL_ERROR, null, false);
            return;
        }
        releaseText();
        List<Map.Entry<String, String>> answer = new ArrayList<>();
        for (Map.Entry<String, String> kv : keys) {
            answerTextKey(kv.getKey(), kv.getValue(), answer);
        }
        textPendingResponse = TextKeys.encode(answer, ctx.alloc());
        textTtt = nextTag();
        sendTextPart(t);
    }

    private void answerTextKey(String key, String value, List<Map.Entry<String, String>> answer) {
        switch (key) {
            case "SendTargets" -> sendTargets(value, answer);
            case "MaxRecvDataSegmentLength" -> {
                // Declarative and allowed in the full feature phase; we keep using the login value
                // for what we send, which stays within any new value only if it is not smaller.
                answer.add(kv(key, String.valueOf(params.targetMaxRecvDataSegmentLength())));
            }
            default -> answer.add(kv(key, "NotUnderstood"));
        }
    }

    private void sendTargets(String value, List<Map.Entry<String, String>> answer) {
        List<TargetEntry> list = new ArrayList<>();
        if ("All".equals(value)) {
            if (params.discovery()) {
                list.addAll(targets.allReady()); // a target whose LUNs are not attached yet is not announced
            } else if (target != null) {
                list.add(target);
            }
        } else if (value.isEmpty()) {
            if (target != null) {
                list.add(target);
            }
        } else {
            TargetEntry t = targets.find(value);
            if (t != null && targets.isReady(value)) {
                list.add(t);
            }
        }
        InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
        for (TargetEntry t : list) {
            if (!t.login().initiatorAllowed().test(params.initiatorName())) {
                continue; // a client outside the ACL does not see the target
            }
            answer.add(kv("TargetName", t.name()));
            String here = hostLiteral(local) + ":" + local.getPort();
            answer.add(kv("TargetAddress", here + "," + t.login().portalGroupTag()));
            // the cluster's other portals: every path of the target from one discovery address
            for (TargetRegistry.PortalAddress p : targets.discoveryPortals()) {
                if (!p.address().equals(here)) {
                    answer.add(kv("TargetAddress", p.address() + "," + p.tag()));
                }
            }
        }
    }

    private static String hostLiteral(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    private void sendTextPart(TextRequest t) {
        ByteBuf all = textPendingResponse;
        int max = params.initiatorMaxRecvDataSegmentLength();
        int n = Math.min(max, all.readableBytes());
        boolean last = n == all.readableBytes();
        ByteBuf part = all.readRetainedSlice(n);
        send(new TextResponse(last, !last, t.lun(), t.itt(), last ? RESERVED_TAG : textTtt, statSN++, expCmdSN,
                maxCmdSN(), part));
        if (last) {
            releasePendingTextResponse();
        }
    }

    private void releaseText() {
        if (textAccumulator != null) {
            textAccumulator.release();
            textAccumulator = null;
        }
    }

    private void releasePendingTextResponse() {
        if (textPendingResponse != null) {
            textPendingResponse.release();
            textPendingResponse = null;
        }
    }

    private static Map.Entry<String, String> kv(String k, String v) {
        return new AbstractMap.SimpleImmutableEntry<>(k, v);
    }

    // ---------------------------------------------------------------- SCSI commands

    private void onScsiCommand(ScsiCommand c) {
        if (state != State.FULL_FEATURE || params.discovery()) {
            protocolError("SCSI Command outside a normal session's full feature phase");
            return;
        }
        if (!acceptCmdSN(c.immediate(), c.cmdSN())) {
            return;
        }
        if (tasks.containsKey(c.itt())) {
            reject(RejectReason.TASK_IN_PROGRESS, null, false);
            return;
        }
        if (c.immediate() && tasks.size() > session.commandWindow()) {
            // Immediate commands bypass CmdSN, not the queue: RFC 7143 4.2.2.1 only requires one immediate
            // non-task-management request per connection to be taken beyond the window (hence the + 1).
            // Refused with TASK SET FULL, the SCSI answer for a full task set (SAM-5 5.3): the initiator
            // retries and lowers its queue depth.
            taskSetFull(c);
            return;
        }
        IscsiTask t = obtainTask();
        t.itt = c.itt();
        t.rawLun = c.lun();
        t.lun = decodeLun(c.lun());
        t.cmdSN = c.cmdSN();
        t.immediate = c.immediate();
        t.read = c.read();
        t.write = c.write();
        t.expectedLength = c.expectedDataTransferLength();
        t.cdb = c.cdb();
        tasks.put(t.itt, t);

        ByteBuf imm = c.data();
        int immLen = imm.readableBytes();
        if (immLen > 0 && (!c.write() || !params.immediateData() || immLen > params.firstBurstLength()
                || immLen > c.expectedDataTransferLength())) {
            tasks.remove(t.itt);
            recycle(t);
            protocolError("immediate data not allowed or too long (" + immLen + " bytes)");
            return;
        }
        if (c.write() && !takesDataOut(c)) {
            // W on a command that takes no data (a READ flagged as a write): nothing is solicited or kept,
            // immediate data goes with its PDU and unsolicited Data-Out is dropped; the command runs as what
            // its CDB says. libiscsi's conformance suite (iSCSIResiduals.Read10Invalid) expects GOOD here, as
            // LIO answers, so it is not refused; what it must not do is make the target buffer data for nothing.
            t.write = false;
            t.discardDataOut = true;
            execute(t);
            return;
        }
        if (!t.write || t.expectedLength == 0) {
            execute(t);
            return;
        }
        if (t.expectedLength < 0 || t.expectedLength > settings.maxWriteBytes()) {
            // Too large to buffer: refused at once, nothing solicited; unsolicited data that follows
            // finds no task and is dropped.
            finishWithoutExecuting(t, io.rbdgw.scsi.SenseData.invalidField(true, transferLengthByte(t.cdb), -1));
            return;
        }
        if (!reserveWrite(t)) {
            // Over the connection's or the gateway's write buffer: nothing is solicited, immediate data is
            // dropped with the PDU and unsolicited Data-Out finds no task. Retryable for the initiator.
            tasks.remove(t.itt);
            recycle(t);
            taskSetFull(c);
            return;
        }
        if (immLen == t.expectedLength) {
            // The whole write came as immediate data: hand its buffer to the device as it is.
            t.dataOut = imm.retainedSlice();
            t.received = immLen;
            execute(t);
            return;
        }
        // The data-out is kept as the PDUs delivered it, without a copy: a composite of their data,
        // which the device writes as it lies (BlockDevice.writev). Past MAX_DATA_OUT_PIECES the
        // composite consolidates itself into one buffer.
        CompositeByteBuf pieces = ctx.alloc().compositeDirectBuffer(MAX_DATA_OUT_PIECES);
        if (immLen > 0) {
            pieces.addFlattenedComponents(true, imm.retainedSlice());
        }
        t.dataOut = pieces;
        t.received = immLen;
        t.unsolicitedEnd = Math.min(params.firstBurstLength(), t.expectedLength);
        t.unsolicitedOpen = !params.initialR2T() && !c.finalFlag() && immLen < t.unsolicitedEnd;
        if (!t.unsolicitedOpen) {
            t.nextR2tOffset = t.received;
            sendR2ts(t);
        }
    }

    /**
     * Whether the command's CDB may take data-out (an unsupported one may: the SCSI engine answers it and the
     * write budget bounds what it is sent). A table lookup, no allocation.
     */
    private static boolean takesDataOut(ScsiCommand c) {
        CommandSpec spec = CommandTable.SBC.lookup(c.cdb());
        return spec == null || spec.direction() == CommandSpec.DATA_OUT;
    }

    /**
     * Reserves the task's whole expected length in this connection's and the gateway's write buffer: what
     * the data-out of the write will hold until the device completes. Arithmetic and one atomic add.
     */
    private boolean reserveWrite(IscsiTask t) {
        int len = t.expectedLength;
        if (heldWriteBytes + len > settings.limits().writeBufferPerConnection() || !budget.reserveWrite(len)) {
            return false;
        }
        heldWriteBytes += len;
        t.reservedWrite = len;
        return true;
    }

    private void releaseWrite(IscsiTask t) {
        int len = t.reservedWrite;
        if (len != 0) {
            t.reservedWrite = 0;
            heldWriteBytes -= len;
            budget.releaseWrite(len);
        }
    }

    /** TASK SET FULL for a command that got no task. */
    private void taskSetFull(ScsiCommand c) {
        send(new ScsiResponse(false, false, false, false, 0, ScsiStatus.TASK_SET_FULL, c.itt(), 0, statSN++,
                expCmdSN, maxCmdSN(), 0, 0, 0, Unpooled.EMPTY_BUFFER));
    }

    /** Offset of the transfer-length byte in a write CDB, for the sense field pointer. */
    private static int transferLengthByte(byte[] cdb) {
        int op = cdb[0] & 0xff;
        return switch (op >>> 5) {
            case 0 -> 4;
            case 1, 2 -> 7;
            case 4 -> 10;
            case 5 -> 6;
            default -> 0;
        };
    }

    /** Flat LUN from the 8-byte SAM LUN field: peripheral (00b) and flat (01b) addressing. */
    static long decodeLun(long raw) {
        int b0 = (int) (raw >>> 56) & 0xff;
        int b1 = (int) (raw >>> 48) & 0xff;
        long rest = raw & 0x0000ffffffffffffL;
        switch (b0 >>> 6) {
            case 0:
                return (b0 == 0 && rest == 0) ? b1 : -1;
            case 1:
                return rest == 0 ? ((long) (b0 & 0x3f) << 8) | b1 : -1;
            default:
                return -1;
        }
    }

    private void sendR2ts(IscsiTask t) {
        while (t.nextR2tOffset < t.expectedLength && t.outstandingR2ts < params.maxOutstandingR2T()) {
            IscsiTask.R2tSlot slot = t.freeR2tSlot();
            if (slot == null) {
                break;
            }
            int len = Math.min(params.maxBurstLength(), t.expectedLength - t.nextR2tOffset);
            slot.active = true;
            slot.ttt = nextTag();
            slot.offset = t.nextR2tOffset;
            slot.length = len;
            slot.received = 0;
            slot.nextDataSN = 0;
            t.outstandingR2ts++;
            t.nextR2tOffset += len;
            // R2T does not advance StatSN.
            send(new R2t(t.rawLun, t.itt, slot.ttt, statSN, expCmdSN, maxCmdSN(), t.r2tSN++, slot.offset, len));
        }
    }

    private void onDataOut(DataOut d) {
        if (state != State.FULL_FEATURE) {
            protocolError("Data-Out outside the full feature phase");
            return;
        }
        IscsiTask t = tasks.get(d.itt());
        if (t == null) {
            // Data for a task that is gone (aborted, or failed early): dropped, as RFC 7143 allows.
            return;
        }
        if (t.discardDataOut) {
            return; // data for a command that takes none (see onScsiCommand)
        }
        if (!t.write || t.executing) {
            protocolError("Data-Out for a task that is not receiving data (ITT 0x" + Integer.toHexString(d.itt()) + ")");
            return;
        }
        int len = d.data().readableBytes();
        int off = d.bufferOffset();
        if (d.ttt() == RESERVED_TAG) {
            if (!t.unsolicitedOpen) {
                protocolError("unsolicited Data-Out not allowed here");
                return;
            }
            if (d.dataSN() != t.unsolicitedDataSN || off != t.received || off + len > t.unsolicitedEnd) {
                failDataSequence(t, "unsolicited Data-Out out of order or beyond FirstBurstLength (DataSN "
                        + d.dataSN() + ", offset " + off + ", length " + len + ")");
                return;
            }
            t.unsolicitedDataSN++;
            addDataOut(t, off, d.data());
            t.received = off + len;
            if (d.finalFlag() || t.received == t.unsolicitedEnd) {
                t.unsolicitedOpen = false;
                t.nextR2tOffset = t.received;
                if (t.aborted) {
                    return;
                }
                if (t.received == t.expectedLength) {
                    execute(t);
                } else {
                    sendR2ts(t);
                }
            }
            return;
        }
        IscsiTask.R2tSlot slot = t.findR2t(d.ttt());
        if (slot == null) {
            failDataSequence(t, "Data-Out with an unknown Target Transfer Tag 0x" + Integer.toHexString(d.ttt()));
            return;
        }
        if (d.dataSN() != slot.nextDataSN || off != slot.offset + slot.received
                || slot.received + len > slot.length) {
            failDataSequence(t, "solicited Data-Out out of order or beyond its R2T (DataSN " + d.dataSN()
                    + ", offset " + off + ", length " + len + ")");
            return;
        }
        slot.nextDataSN++;
        addDataOut(t, off, d.data());
        slot.received += len;
        t.received += len;
        if (slot.received == slot.length) {
            if (!d.finalFlag()) {
                failDataSequence(t, "R2T sequence complete without the F bit");
                return;
            }
            slot.active = false;
            t.outstandingR2ts--;
            if (t.aborted) {
                return;
            }
            if (t.outstandingR2ts == 0 && t.nextR2tOffset == t.expectedLength) {
                t.dataOut.writerIndex(t.expectedLength);
                execute(t);
            } else {
                sendR2ts(t);
            }
        } else if (d.finalFlag()) {
            failDataSequence(t, "F bit before the end of the R2T sequence");
        }
    }

    /**
     * Places a Data-Out's data at {@code offset} of the task's data-out. In offset order (always, with
     * DataPDUInOrder and DataSequenceInOrder, unless several R2Ts are outstanding and the initiator
     * answers them interleaved) it is appended without a copy; otherwise what has arrived is copied
     * into one buffer of the full length once, and the rest is copied into place.
     */
    private void addDataOut(IscsiTask t, int offset, ByteBuf data) {
        ByteBuf out = t.dataOut;
        if (out instanceof CompositeByteBuf pieces) {
            if (offset == pieces.writerIndex()) {
                pieces.addFlattenedComponents(true, data.retainedSlice());
                return;
            }
            out = ctx.alloc().directBuffer(t.expectedLength, t.expectedLength);
            out.writeBytes(pieces, pieces.readerIndex(), pieces.readableBytes());
            pieces.release();
            t.dataOut = out;
        }
        out.setBytes(offset, data, data.readerIndex(), data.readableBytes());
        out.writerIndex(Math.max(out.writerIndex(), offset + data.readableBytes()));
    }

    /**
     * A Data-Out that breaks its sequence (DataSN, offset, burst length). At ErrorRecoveryLevel 0
     * there is no retransmission, but the stream itself is intact, so only the command fails: CHECK
     * CONDITION, ABORTED COMMAND / DATA PHASE ERROR; later Data-Out for it are dropped, since the
     * task is gone once its response is out.
     */
    private void failDataSequence(IscsiTask t, String why) {
        log.warn("{}: failing ITT 0x{}: {}", ctx.channel().remoteAddress(), Integer.toHexString(t.itt), why);
        for (IscsiTask.R2tSlot s : t.r2ts) {
            s.active = false;
        }
        t.outstandingR2ts = 0;
        t.unsolicitedOpen = false;
        t.nextR2tOffset = t.expectedLength;
        finishWithoutExecuting(t, io.rbdgw.scsi.SenseData.fixed(io.rbdgw.scsi.SenseData.ABORTED_COMMAND, 0x4B, 0x00));
    }

    private void execute(IscsiTask t) {
        t.executing = true;
        if (t.dataOut != null && t.dataOut.writerIndex() < t.received) {
            t.dataOut.writerIndex(t.received);
        }
        if (scsi == null) {
            t.complete(ScsiStatus.CHECK_CONDITION, null,
                    io.rbdgw.scsi.SenseData.fixed(io.rbdgw.scsi.SenseData.ILLEGAL_REQUEST, 0x25, 0), -1);
            return;
        }
        scsi.execute(t);
    }

    private void finishWithoutExecuting(IscsiTask t, byte[] sense) {
        t.executing = true;
        t.complete(ScsiStatus.CHECK_CONDITION, null, sense, -1);
    }

    /** The engine's answer, on the event loop. */
    void taskCompleted(IscsiTask t) {
        io.rbdgw.scsi.LunStats st = t.stats;
        if (st != null) {
            if (t.aborted) {
                st.aborted(t.cdb[0] & 0xff);
            } else {
                int moved = t.transferLength < 0 ? 0 : Math.min(t.transferLength, t.expectedLength);
                st.completed(t.cdb[0] & 0xff, t.status, t.sense, moved, System.nanoTime() - t.startNanos);
            }
        }
        if (t.aborted || state == State.CLOSED) {
            TmfWait w = t.abortWaiter;
            freeTask(t);
            if (w != null && --w.pending == 0) {
                finishTmf(w);
            }
            return;
        }
        // Data-in goes only to a command flagged R: without it none is sent, and the residual says so
        int edtl = t.dataIn != null && !t.read ? 0 : t.expectedLength;
        boolean good = t.status == ScsiStatus.GOOD && t.sense == null;
        int tl = t.transferLength;
        boolean overflow = false;
        boolean underflow = false;
        int residual = 0;
        if (tl >= 0 || good) {
            // Residuals are reported with any status when the command says what it wanted to move
            // (RFC 7143 11.4.5: a write cut short by the EDTL still reports its overflow).
            int actual = tl >= 0 ? tl : 0;
            if (actual > edtl) {
                overflow = true;
                residual = actual - edtl;
            } else if (actual < edtl) {
                underflow = true;
                residual = edtl - actual;
            }
        }
        ByteBuf in = t.dataIn;
        t.dataIn = null;
        int sent = 0;
        if (in != null) {
            int len = Math.min(in.readableBytes(), t.read ? edtl : 0);
            int mrdsl = params.initiatorMaxRecvDataSegmentLength();
            int dataSN = 0;
            int base = in.readerIndex();
            while (sent < len) {
                int n = Math.min(mrdsl, len - sent);
                boolean last = sent + n == len;
                boolean withStatus = last && good;
                ByteBuf slice = in.retainedSlice(base + sent, n);
                DataIn pdu = new DataIn(last, false, withStatus && overflow, withStatus && underflow, withStatus,
                        withStatus ? t.status : 0, t.rawLun, t.itt, RESERVED_TAG, withStatus ? statSN++ : 0,
                        expCmdSN, maxCmdSNAfter(t), dataSN++, sent, withStatus ? residual : 0, slice);
                sent += n;
                ctx.write(pdu, ctx.voidPromise());
            }
            in.release();
        }
        if (!good || sent == 0) {
            ByteBuf senseBuf = Unpooled.EMPTY_BUFFER;
            if (t.sense != null) {
                senseBuf = ctx.alloc().buffer(2 + t.sense.length);
                senseBuf.writeShort(t.sense.length);
                senseBuf.writeBytes(t.sense);
            }
            ctx.write(new ScsiResponse(false, false, overflow, underflow, 0, t.status, t.itt, 0, statSN++,
                    expCmdSN, maxCmdSNAfter(t), 0, 0, residual, senseBuf), ctx.voidPromise());
        }
        freeTask(t);
        flushSoon();
        maybeFinishLogout();
    }

    /** MaxCmdSN as it will be once {@code t} is freed: the response itself opens the window. */
    private int maxCmdSNAfter(IscsiTask t) {
        return maxCmdSN() + (tasks.containsKey(t.itt) ? 1 : 0);
    }

    private IscsiTask obtainTask() {
        IscsiTask t = freeTasks.pollFirst();
        if (t == null) {
            t = new IscsiTask(this, Math.max(1, params.maxOutstandingR2T()));
        }
        t.reset();
        return t;
    }

    private void freeTask(IscsiTask t) {
        if (tasks.get(t.itt) == t) {
            tasks.remove(t.itt);
        }
        recycle(t);
    }

    private void recycle(IscsiTask t) {
        releaseWrite(t);
        t.reset();
        if (freeTasks.size() < session.commandWindow()) {
            freeTasks.addFirst(t);
        }
    }

    // ---------------------------------------------------------------- task management

    private void onTaskManagement(TaskManagementRequest r) {
        if (state != State.FULL_FEATURE || params.discovery()) {
            protocolError("Task Management Request outside a normal session's full feature phase");
            return;
        }
        if (!acceptCmdSN(r.immediate(), r.cmdSN())) {
            return;
        }
        int function = r.function();
        long lun = decodeLun(r.lun());
        switch (function) {
            case TMF_ABORT_TASK -> {
                IscsiTask t = tasks.get(r.referencedTaskTag());
                if (t == null || t.aborted) {
                    // Already completed (response sent) or never received.
                    tmfResponse(r.itt(), t == null ? TMF_NO_TASK : TMF_COMPLETE);
                    return;
                }
                if (t.lun != lun) {
                    tmfResponse(r.itt(), TMF_NO_TASK);
                    return;
                }
                TmfWait w = new TmfWait(r.itt(), TMF_COMPLETE);
                abort(t, w);
                finishOrWait(w);
            }
            case TMF_ABORT_TASK_SET, TMF_CLEAR_TASK_SET, TMF_LUN_RESET -> {
                // a LUN masked from this nexus does not exist for it: same answer as a missing one
                if (scsi == null || scsi.visibleLun(nexus, lun) == null) {
                    tmfResponse(r.itt(), TMF_NO_LUN);
                    return;
                }
                TmfWait w = new TmfWait(r.itt(), TMF_COMPLETE);
                for (IscsiTask t : new ArrayList<>(tasks.values())) {
                    if (t.lun == lun && !t.aborted && serialLessOrEqual(t.cmdSN, r.cmdSN())) {
                        abort(t, w);
                    }
                }
                if (function == TMF_LUN_RESET) {
                    // the response waits until the other gateways' nexuses have the 29/03 too (bounded)
                    w.pending++;
                    scsi.lunReset(lun, nexus).whenComplete((x, e) -> ctx.executor().execute(() -> {
                        if (--w.pending == 0) {
                            finishTmf(w);
                        }
                    }));
                }
                finishOrWait(w);
            }
            case TMF_TARGET_WARM_RESET, TMF_TARGET_COLD_RESET -> {
                if (!settings.allowTargetReset()) {
                    // Refused unless the operator allows it (--allow-target-reset), with "Function authorization
                    // failed" as LIO answers: a target reset acts on LUNs other hosts use (and a cold reset drops
                    // their sessions), which no single initiator of a shared target may decide. Initiators
                    // escalate to LUN RESET and session reinstatement, which stay per nexus.
                    log.info("{}: refused TARGET {} RESET from {}", target != null ? target.name() : "(removed target)",
                            function == TMF_TARGET_COLD_RESET ? "COLD" : "WARM", WireText.escape(params.initiatorName()));
                    tmfResponse(r.itt(), TMF_AUTHORIZATION_FAILED);
                    return;
                }
                TmfWait w = new TmfWait(r.itt(), TMF_COMPLETE);
                for (IscsiTask t : new ArrayList<>(tasks.values())) {
                    if (!t.aborted) {
                        abort(t, w);
                    }
                }
                if (scsi != null) {
                    scsi.targetReset(nexus); // only the LUNs this nexus sees
                }
                if (function == TMF_TARGET_COLD_RESET) {
                    // The response goes out, then every session of the target is dropped.
                    ctx.writeAndFlush(new TaskManagementResponse(TMF_COMPLETE, r.itt(), statSN++, expCmdSN,
                            maxCmdSN())).addListener(f -> sessions.closeTarget(target.name()));
                    return;
                }
                finishOrWait(w);
            }
            case TMF_CLEAR_ACA -> tmfResponse(r.itt(), TMF_UNSUPPORTED);
            case TMF_TASK_REASSIGN -> tmfResponse(r.itt(), TMF_REASSIGN_UNSUPPORTED);
            default -> tmfResponse(r.itt(), TMF_UNSUPPORTED);
        }
    }

    private static boolean serialLessOrEqual(int a, int b) {
        return a == b || serialLess(a, b);
    }

    private void abort(IscsiTask t, TmfWait w) {
        t.aborted = true;
        if (t.executing) {
            t.abortWaiter = w;
            w.pending++;
        } else {
            freeTask(t); // still collecting data: nothing in the backend
        }
    }

    private void finishOrWait(TmfWait w) {
        if (w.pending == 0) {
            finishTmf(w);
        } else {
            tmfWaits.add(w);
        }
    }

    private void finishTmf(TmfWait w) {
        tmfWaits.remove(w);
        tmfResponse(w.itt, w.response);
    }

    private void tmfResponse(int itt, int response) {
        send(new TaskManagementResponse(response, itt, statSN++, expCmdSN, maxCmdSN()));
    }

    // ---------------------------------------------------------------- logout

    private void onLogout(LogoutRequest l) {
        if (state != State.FULL_FEATURE) {
            protocolError("Logout Request outside the full feature phase");
            return;
        }
        if (!acceptCmdSN(l.immediate(), l.cmdSN())) {
            return;
        }
        int reason = l.reasonCode() & 0x7f;
        if (reason == 2) {
            send(new LogoutResponse(2, l.itt(), statSN++, expCmdSN, maxCmdSN(), 0, 0)); // no connection recovery
            return;
        }
        if (reason == 1 && l.cid() != cid) {
            send(new LogoutResponse(1, l.itt(), statSN++, expCmdSN, maxCmdSN(), 0, 0)); // CID not found
            return;
        }
        state = State.LOGGING_OUT;
        pendingLogout = l;
        maybeFinishLogout();
    }

    private void maybeFinishLogout() {
        if (pendingLogout == null) {
            return;
        }
        for (IscsiTask t : tasks.values()) {
            if (t.executing) {
                return; // answer once the commands in the backend are done
            }
        }
        LogoutRequest l = pendingLogout;
        pendingLogout = null;
        ctx.writeAndFlush(new LogoutResponse(0, l.itt(), statSN++, expCmdSN, maxCmdSN(), 0, 0))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
