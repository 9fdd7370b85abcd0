package io.rbdgw.iscsi.session;

import io.netty.buffer.Unpooled;
import io.rbdgw.iscsi.login.ChapSecret;
import io.rbdgw.iscsi.login.LoginContext;
import io.rbdgw.iscsi.login.LoginInput;
import io.rbdgw.iscsi.login.LoginNegotiator;
import io.rbdgw.iscsi.login.LoginOutput;
import io.rbdgw.iscsi.login.LoginStatus;
import io.rbdgw.iscsi.login.LoginTarget;
import io.rbdgw.iscsi.login.NegotiatedSession;
import io.rbdgw.iscsi.login.TargetParameters;
import io.rbdgw.iscsi.pdu.IscsiPduDecoder;
import io.rbdgw.iscsi.pdu.IscsiPduEncoder;
import io.rbdgw.iscsi.pdu.LoginRequest;
import io.rbdgw.iscsi.pdu.LoginResponse;
import io.rbdgw.iscsi.pdu.WireText;
import io.rbdgw.scsi.ItNexus;
import io.rbdgw.scsi.ScsiTarget;
import java.security.SecureRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login phase of a connection: the gateway's bound on connections logging in, the login timeout, the
 * negotiation ({@link LoginNegotiator}), and the session it creates (registration with its limits and
 * reinstatement, the I_T nexus); and the session's end when the connection closes.
 */
final class LoginPhase implements IscsiConnection.Part {

    private static final Logger log = LoggerFactory.getLogger(LoginPhase.class);

    private final IscsiConnection conn;
    private final TargetRegistry targets;
    private final SessionRegistry sessions;
    private final ConnectionSettings settings;
    private final GatewayBudget budget;
    private final IscsiPduDecoder decoder;
    private final IscsiPduEncoder encoder;

    private LoginNegotiator negotiator;
    private long isid;
    private int cid;
    /** Counted in the gateway's connections logging in. */
    private boolean loggingIn;

    private ScheduledFuture<?> loginTimer;

    LoginPhase(
            IscsiConnection conn,
            TargetRegistry targets,
            SessionRegistry sessions,
            ConnectionSettings settings,
            GatewayBudget budget,
            IscsiPduDecoder decoder,
            IscsiPduEncoder encoder) {
        this.conn = conn;
        this.targets = targets;
        this.sessions = sessions;
        this.settings = settings;
        this.budget = budget;
        this.decoder = decoder;
        this.encoder = encoder;
    }

    @Override
    public void connectionActive() {
        if (!budget.loginStarted()) {
            // Unauthenticated connections are bounded: a flood of them must not use up file descriptors,
            // memory and login timers. Debug only: under a flood a line per connection would flood the log.
            log.debug(
                    "{}: closing: {} connections are logging in already",
                    conn.remoteAddress(),
                    settings.limits().maxLoginConnections());
            conn.stats()
                    .loginFailed(
                            LoginStatus.OUT_OF_RESOURCES.statusClass(), LoginStatus.OUT_OF_RESOURCES.statusDetail());
            conn.closeNow();
            return;
        }
        loggingIn = true;
        loginTimer = conn.executor()
                .schedule(
                        () -> {
                            if (conn.state() == IscsiConnection.State.LOGIN) {
                                log.warn(
                                        "{}: login not completed within {}, dropping the connection",
                                        conn.remoteAddress(),
                                        settings.loginTimeout());
                                conn.drop();
                            }
                        },
                        settings.loginTimeout().toMillis(),
                        TimeUnit.MILLISECONDS);
    }

    @Override
    public void connectionClosed(Session s) {
        loginDone();
        if (loginTimer != null) {
            loginTimer.cancel(false);
        }
        if (s != null) {
            sessions.unregister(s.key(), s.tsih(), conn);
            if (s.scsi() != null && s.nexus() != null) {
                s.scsi().nexusLost(s.nexus(), conn);
            }
            log.info(
                    "session closed: initiator {} target {} from {}",
                    WireText.escape(s.params().initiatorName()),
                    s.targetLabel(),
                    conn.remoteAddress());
        }
    }

    /** The cluster-wide settings, or the portal's when no configuration feeds the registry. */
    private SessionSettings clusterSession() {
        SessionSettings c = targets.clusterSession();
        return c != null ? c : settings.session();
    }

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
        public SecureRandom random() {
            return Randoms.SECURE;
        }
    };

    void onLogin(LoginRequest req) {
        if (negotiator == null) {
            isid = req.isid();
            cid = req.cid();
            conn.startSequences(req.cmdSN(), req.expStatSN());
            if (req.tsih() != 0) {
                // Adding a connection to an existing session: MaxConnections is 1.
                loginFailure(
                        req,
                        sessions.exists(req.tsih())
                                ? LoginStatus.TOO_MANY_CONNECTIONS
                                : LoginStatus.SESSION_DOES_NOT_EXIST);
                return;
            }
            negotiator = new LoginNegotiator(loginContext);
        } else if (req.isid() != isid) {
            loginFailure(req, LoginStatus.INITIATOR_ERROR);
            return;
        }
        LoginOutput out = negotiator.step(
                new LoginInput(
                        req.transit(),
                        req.cont(),
                        req.csg(),
                        req.nsg(),
                        req.versionMax(),
                        req.versionMin(),
                        req.isid(),
                        req.tsih(),
                        req.cid(),
                        req.data()),
                conn.alloc());
        int status = (out.statusClass() << 8) | out.statusDetail();
        if (status != 0 || out.closeConnection()) {
            conn.stats().loginFailed(out.statusClass(), out.statusDetail());
            log.warn("{}: login refused with status 0x{}", conn.remoteAddress(), String.format("%04x", status));
            conn.sendAndClose(new LoginResponse(
                    false,
                    false,
                    out.csg(),
                    out.nsg(),
                    0,
                    0,
                    isid,
                    0,
                    req.itt(),
                    conn.statSN(),
                    conn.expCmdSN(),
                    conn.maxCmdSN(),
                    out.statusClass(),
                    out.statusDetail(),
                    out.data()));
            return;
        }
        int respTsih = 0;
        NegotiatedSession params = null;
        if (out.complete()) {
            params = negotiator.result();
            respTsih = enterFullFeaturePhase(req, params);
            if (respTsih == 0) {
                out.data().release(); // refused by a session limit: the keys are not sent
                return;
            }
        }
        if (out.complete()) {
            LoginResponse resp = new LoginResponse(
                    out.transit(),
                    out.cont(),
                    out.csg(),
                    out.nsg(),
                    0,
                    0,
                    isid,
                    respTsih,
                    req.itt(),
                    conn.nextStatSN(),
                    conn.expCmdSN(),
                    conn.maxCmdSN(),
                    0,
                    0,
                    out.data());
            // The final login response goes out without digests; everything after it uses them.
            conn.sendNowVoid(resp);
            encoder.setHeaderDigest(params.headerDigest());
            encoder.setDataDigest(params.dataDigest());
            decoder.setHeaderDigest(params.headerDigest());
            decoder.setDataDigest(params.dataDigest());
            decoder.setMaxDataSegmentLength(params.targetMaxRecvDataSegmentLength());
        } else {
            conn.send(new LoginResponse(
                    out.transit(),
                    out.cont(),
                    out.csg(),
                    out.nsg(),
                    0,
                    0,
                    isid,
                    respTsih,
                    req.itt(),
                    conn.statSN(),
                    conn.expCmdSN(),
                    conn.maxCmdSN(),
                    0,
                    0,
                    out.data()));
        }
    }

    private void loginFailure(LoginRequest req, LoginStatus status) {
        conn.stats().loginFailed(status.statusClass(), status.statusDetail());
        log.warn(
                "{}: login refused with status {}/{}",
                conn.remoteAddress(),
                status.statusClass(),
                status.statusDetail());
        conn.sendAndClose(new LoginResponse(
                false,
                false,
                req.csg(),
                req.nsg(),
                0,
                0,
                req.isid(),
                0,
                req.itt(),
                conn.statSN(),
                conn.expCmdSN(),
                conn.maxCmdSN(),
                status.statusClass(),
                status.statusDetail(),
                Unpooled.EMPTY_BUFFER));
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
    private int enterFullFeaturePhase(LoginRequest req, NegotiatedSession params) {
        String targetName = params.discovery() ? "" : params.target().name();
        SessionRegistry.SessionKey key = new SessionRegistry.SessionKey(params.initiatorName(), isid, targetName);
        conn.loginStartedAt(System.currentTimeMillis());
        SessionRegistry.Registration reg = sessions.register(key, conn, settings.limits());
        if (reg.refused() != null) {
            log.warn(
                    "{}: login of {} to {} refused: session limit reached (per initiator {}, per target {}, "
                            + "gateway {})",
                    conn.remoteAddress(),
                    WireText.escape(params.initiatorName()),
                    params.discovery() ? "(discovery)" : WireText.escape(targetName),
                    settings.limits().maxSessionsPerInitiator(),
                    settings.limits().maxSessionsPerTarget(),
                    settings.limits().maxSessions());
            loginFailure(req, reg.refused());
            return 0;
        }
        loginDone();
        if (loginTimer != null) {
            loginTimer.cancel(false);
        }
        int tsih = reg.tsih();
        if (reg.replaced() != null && reg.replaced() != conn) {
            // Session reinstatement (same initiator, ISID and target): the old session ends.
            reg.replaced().close("session reinstated by a new login");
        }
        // the settings in force now, kept for the life of the session
        SessionSettings sessionSettings = clusterSession();
        TargetEntry target = null;
        ScsiTarget scsi = null;
        ItNexus nexus = null;
        if (!params.discovery()) {
            target = targets.find(targetName);
            if (target == null) {
                // Removed between login steps: the login still completes, commands will fail.
                log.warn("target {} disappeared during login", targetName);
            } else {
                scsi = target.scsi();
                if (target.session() != null) {
                    sessionSettings = target.session();
                }
                int tag = target.login().portalGroupTag();
                // the portal group's tag is its relative target port identifier, as VPD 0x83 and REPORT TARGET PORT
                // GROUPS report it (ClusterTargetPortGroups); reservations name ports by it (READ FULL STATUS,
                // REGISTER AND MOVE). Tag 0 is no valid identifier: the portal's setting then.
                nexus = new ItNexus(
                        params.initiatorName(), isid, targetName, tag, tag != 0 ? tag : settings.relativeTargetPort());
            }
        }
        Session s = new Session(params, sessionSettings, key, tsih, cid, target, scsi, nexus);
        conn.enterFullFeature(s);
        if (scsi != null) {
            scsi.nexusCreated(nexus, conn);
        }
        log.info(
                "session up: initiator {} target {} from {} (tsih {}, header digest {}, data digest {})",
                WireText.escape(params.initiatorName()),
                params.discovery() ? "(discovery)" : WireText.escape(targetName),
                conn.remoteAddress(),
                tsih,
                params.headerDigest(),
                params.dataDigest());
        return tsih;
    }
}
