package io.rbdgw.iscsi.login;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.rbdgw.iscsi.pdu.WireText;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The login phase of one connection, target side (RFC 7143 sections 6 and 11.12-11.13), as a state
 * machine: one {@link #step} per Login Request PDU, each returning the Login Response to send.
 * It never throws on peer input; protocol violations end in an error status with closeConnection.
 * Not thread-safe: drive it from the connection's event loop.
 */
public final class LoginNegotiator {
    public static final int STAGE_SECURITY = 0;
    public static final int STAGE_OPERATIONAL = 1;
    public static final int STAGE_FULL_FEATURE = 3;
    /** Largest data segment in a login response: the login-phase MaxRecvDataSegmentLength (RFC 7143 section 13.12). */
    public static final int MAX_RESPONSE_SEGMENT = 8192;
    /** Largest text accepted across the PDUs of one continued request. */
    public static final int MAX_REQUEST_TEXT = 65536;

    private enum Auth {
        NOT_STARTED,
        CHAP_WAIT_ALGORITHM,
        CHAP_WAIT_RESPONSE,
        DONE
    }

    private final LoginContext ctx;
    private final Set<String> keysSeen = new HashSet<>();
    /** The portal's parameters until the first request names a target with its own (see {@link #leadingKeys}). */
    private TargetParameters params;

    private OperationalKeys op;

    private boolean headerSeen;
    private boolean textSeen;
    private boolean finished;
    private int stage;
    private long isid;
    private int tsih;
    private int cid;
    private int versionMax;
    private int versionMin;

    private ByteArrayOutputStream requestText;
    private byte[] pendingResponse;
    private int pendingOffset;
    private boolean pendingTransit;
    private int pendingNsg;

    private boolean discovery;
    private String initiatorName;
    private String initiatorAlias;
    private LoginTarget target;
    private ChapSecret requiredChap;
    private ChapSecret targetChap;
    private boolean firstResponseSent;
    private boolean maxRecvDeclared;

    private Auth auth = Auth.NOT_STARTED;
    private int chapId;
    private byte[] chapChallenge;

    private NegotiatedSession result;

    public LoginNegotiator(LoginContext ctx) {
        this.ctx = ctx;
        use(ctx.parameters());
    }

    private void use(TargetParameters p) {
        this.params = p;
        this.op = new OperationalKeys(p);
    }

    /** The negotiated session; valid once a step returned complete=true. */
    public NegotiatedSession result() {
        if (result == null) {
            throw new IllegalStateException("login not complete");
        }
        return result;
    }

    /** Processes one Login Request. Does not release {@code in.data()}; the returned data belongs to the caller. */
    public LoginOutput step(LoginInput in, ByteBufAllocator alloc) {
        try {
            return doStep(in, alloc);
        } catch (RuntimeException e) {
            // a bug, not a peer error: answer rather than let it escape into the channel pipeline
            return fail(in, LoginStatus.TARGET_ERROR);
        }
    }

    private LoginOutput doStep(LoginInput in, ByteBufAllocator alloc) {
        if (finished) {
            return fail(in, LoginStatus.INITIATOR_ERROR);
        }
        LoginStatus headerError = checkHeader(in);
        if (headerError != null) {
            return fail(in, headerError);
        }
        if (pendingResponse != null) {
            // the initiator acknowledges a partial response with an empty request (RFC 7143 section 6.6)
            if (in.cont() || in.data().isReadable()) {
                return fail(in, LoginStatus.INITIATOR_ERROR);
            }
            return nextChunk(in, alloc);
        }
        if (requestText == null) {
            requestText = new ByteArrayOutputStream(Math.max(64, in.data().readableBytes()));
        }
        if (requestText.size() + in.data().readableBytes() > MAX_REQUEST_TEXT) {
            return fail(in, LoginStatus.INITIATOR_ERROR);
        }
        byte[] part = new byte[in.data().readableBytes()];
        in.data().getBytes(in.data().readerIndex(), part);
        requestText.write(part, 0, part.length);
        if (in.cont()) {
            // more text follows: acknowledge with an empty response, C=0, no transit
            return new LoginOutput(false, false, in.csg(), 0, 0, 0, Unpooled.EMPTY_BUFFER, false, false);
        }
        byte[] text = requestText.toByteArray();
        requestText = null;
        List<Map.Entry<String, String>> keys;
        try {
            keys = TextKeys.parse(text, 0, text.length);
        } catch (TextFormatException e) {
            return fail(in, LoginStatus.INITIATOR_ERROR);
        }
        List<Map.Entry<String, String>> answers = new ArrayList<>();
        LoginStatus error = textSeen ? checkLeadingKeysAbsent(keys) : leadingKeys(in, keys);
        textSeen = true;
        if (error == null) {
            error = negotiate(in, keys, answers);
        }
        if (error != null) {
            return fail(in, error);
        }
        boolean transit = false;
        if (in.transit()) {
            if (in.csg() == STAGE_SECURITY && auth != Auth.DONE) {
                if (auth == Auth.NOT_STARTED) {
                    if (requiredChap != null) {
                        return fail(in, LoginStatus.AUTHENTICATION_FAILURE);
                    }
                    auth = Auth.DONE; // no AuthMethod offered and none required
                    transit = true;
                }
                // otherwise CHAP is under way: stay in the security stage
            } else {
                transit = true;
            }
        }
        if (!firstResponseSent) {
            firstResponseSent = true;
            List<Map.Entry<String, String>> first = new ArrayList<>();
            if (!discovery) {
                first.add(Map.entry("TargetPortalGroupTag", Integer.toString(target.portalGroupTag())));
                if (target.alias() != null && !target.alias().isEmpty()) {
                    first.add(Map.entry("TargetAlias", target.alias()));
                }
            }
            answers.addAll(0, first);
        }
        if (!maxRecvDeclared && (in.csg() == STAGE_OPERATIONAL || (transit && in.nsg() == STAGE_FULL_FEATURE))) {
            String mrdsl = OperationalKeys.Key.MAX_RECV_DATA_SEGMENT_LENGTH.wireName;
            if (answers.stream().anyMatch(a -> a.getKey().equals(mrdsl))) {
                // the initiator's declaration was rejected in this response: declare ours in the next one,
                // which means not entering full feature phase yet
                transit = transit && in.nsg() != STAGE_FULL_FEATURE;
            } else {
                maxRecvDeclared = true;
                answers.add(Map.entry(mrdsl, Integer.toString(params.maxRecvDataSegmentLength())));
            }
        }
        pendingResponse = TextKeys.encodeToBytes(answers);
        pendingOffset = 0;
        pendingTransit = transit;
        pendingNsg = transit ? in.nsg() : 0;
        return nextChunk(in, alloc);
    }

    /** Sends the next piece of the response; the decided transition goes with the last piece only. */
    private LoginOutput nextChunk(LoginInput in, ByteBufAllocator alloc) {
        int remaining = pendingResponse.length - pendingOffset;
        int len = Math.min(remaining, MAX_RESPONSE_SEGMENT);
        ByteBuf data = Unpooled.EMPTY_BUFFER;
        if (len > 0) {
            data = alloc.buffer(len, len);
            data.writeBytes(pendingResponse, pendingOffset, len);
        }
        pendingOffset += len;
        if (pendingOffset < pendingResponse.length) {
            return new LoginOutput(false, true, in.csg(), 0, 0, 0, data, false, false);
        }
        pendingResponse = null;
        boolean complete = false;
        if (pendingTransit) {
            stage = pendingNsg;
            if (pendingNsg == STAGE_FULL_FEATURE) {
                complete = true;
                finished = true;
                result = buildResult();
            }
        }
        return new LoginOutput(pendingTransit, false, in.csg(), pendingNsg, 0, 0, data, complete, false);
    }

    private LoginStatus checkHeader(LoginInput in) {
        if (!headerSeen) {
            headerSeen = true;
            isid = in.isid();
            tsih = in.tsih();
            cid = in.cid();
            versionMax = in.versionMax();
            versionMin = in.versionMin();
            if (in.versionMin() > 0 || in.versionMax() < in.versionMin()) {
                return LoginStatus.UNSUPPORTED_VERSION; // this target speaks version 0x00 only
            }
            if (in.csg() != STAGE_SECURITY && in.csg() != STAGE_OPERATIONAL) {
                return LoginStatus.INITIATOR_ERROR;
            }
            stage = in.csg();
            if (in.tsih() != 0) {
                // a connection for an existing session: one connection per session here
                return ctx.sessionExists(in.isid(), in.tsih())
                        ? LoginStatus.TOO_MANY_CONNECTIONS
                        : LoginStatus.SESSION_DOES_NOT_EXIST;
            }
        } else if (in.isid() != isid
                || in.tsih() != tsih
                || in.cid() != cid
                || in.versionMax() != versionMax
                || in.versionMin() != versionMin) {
            return LoginStatus.INITIATOR_ERROR;
        }
        if (in.csg() != stage) {
            return LoginStatus.INITIATOR_ERROR;
        }
        if (in.transit()) {
            if (in.cont()) {
                return LoginStatus.INITIATOR_ERROR; // T and C together are forbidden (RFC 7143 section 11.12.2)
            }
            if (in.nsg() <= in.csg() || (in.nsg() != STAGE_OPERATIONAL && in.nsg() != STAGE_FULL_FEATURE)) {
                return LoginStatus.INITIATOR_ERROR;
            }
        }
        return null;
    }

    /** The first request's declarations: who is logging in to what. */
    private LoginStatus leadingKeys(LoginInput in, List<Map.Entry<String, String>> keys) {
        String sessionType = null;
        String targetName = null;
        for (Map.Entry<String, String> e : keys) {
            switch (e.getKey()) {
                case "InitiatorName":
                    initiatorName = e.getValue();
                    break;
                case "TargetName":
                    targetName = e.getValue();
                    break;
                case "SessionType":
                    sessionType = e.getValue();
                    break;
                default:
                    break;
            }
        }
        if (initiatorName == null || initiatorName.isEmpty()) {
            return LoginStatus.MISSING_PARAMETER;
        }
        if (!IscsiNames.valid(initiatorName)) {
            // present but malformed: 02/00 (RFC 7143 section 11.13.5: 0207 is for a missing key). The name
            // would otherwise reach logs, the nexus and the sessions view with whatever bytes it carries.
            initiatorName = null;
            return LoginStatus.INITIATOR_ERROR;
        }
        if (sessionType == null || sessionType.equals("Normal")) {
            discovery = false;
        } else if (sessionType.equals("Discovery")) {
            discovery = true;
        } else {
            return LoginStatus.SESSION_TYPE_NOT_SUPPORTED;
        }
        if (discovery) {
            requiredChap = ctx.discoveryChap();
            targetChap = ctx.discoveryMutualChap();
        } else {
            if (targetName == null || targetName.isEmpty()) {
                return LoginStatus.MISSING_PARAMETER;
            }
            target = ctx.target(targetName, initiatorName);
            if (target == null) {
                return LoginStatus.NOT_FOUND;
            }
            if (!ctx.ready(targetName)) {
                return LoginStatus.SERVICE_UNAVAILABLE; // configured, LUNs not attached yet: retry (RFC 7143 11.13.5)
            }
            if (!target.initiatorAllowed().test(initiatorName)) {
                return LoginStatus.AUTHORIZATION_FAILURE;
            }
            requiredChap = target.initiatorChap();
            targetChap = target.mutualChap();
            if (target.parameters() != null) {
                use(target.parameters()); // nothing was negotiated yet: keys come after the leading ones
            }
        }
        if (requiredChap != null && in.csg() != STAGE_SECURITY) {
            return LoginStatus.AUTHENTICATION_FAILURE; // authentication required but security stage skipped
        }
        return null;
    }

    private static LoginStatus checkLeadingKeysAbsent(List<Map.Entry<String, String>> keys) {
        for (Map.Entry<String, String> e : keys) {
            String k = e.getKey();
            if (k.equals("InitiatorName") || k.equals("TargetName") || k.equals("SessionType")) {
                return LoginStatus.INITIATOR_ERROR; // only in the first request
            }
        }
        return null;
    }

    private LoginStatus negotiate(
            LoginInput in, List<Map.Entry<String, String>> keys, List<Map.Entry<String, String>> answers) {
        Map.Entry<String, String> firstBurst = null;
        int firstBurstIndex = -1;
        String chapA = null;
        String chapN = null;
        String chapR = null;
        String chapI = null;
        String chapC = null;
        for (Map.Entry<String, String> e : keys) {
            String key = e.getKey();
            String value = e.getValue();
            if (!keysSeen.add(key) && !key.equals(OperationalKeys.Key.MAX_RECV_DATA_SEGMENT_LENGTH.wireName)) {
                return LoginStatus.INITIATOR_ERROR; // negotiated twice (RFC 7143 section 6.2)
            }
            switch (key) {
                case "InitiatorName":
                case "TargetName":
                case "SessionType":
                    continue; // handled with the first request
                case "InitiatorAlias":
                    initiatorAlias = WireText.escape(value); // free text, shown to operators: made printable
                    continue;
                case "AuthMethod":
                case "CHAP_A":
                case "CHAP_N":
                case "CHAP_R":
                case "CHAP_I":
                case "CHAP_C":
                    if (in.csg() != STAGE_SECURITY) {
                        return LoginStatus.INITIATOR_ERROR; // security keys belong to the security stage
                    }
                    switch (key) {
                        case "AuthMethod": {
                            LoginStatus s = authMethod(value, answers);
                            if (s != null) {
                                return s;
                            }
                            break;
                        }
                        case "CHAP_A":
                            chapA = value;
                            break;
                        case "CHAP_N":
                            chapN = value;
                            break;
                        case "CHAP_R":
                            chapR = value;
                            break;
                        case "CHAP_I":
                            chapI = value;
                            break;
                        default:
                            chapC = value;
                            break;
                    }
                    continue;
                case "IFMarker":
                case "OFMarker":
                    // obsolete (RFC 7143 section 13.25): never use markers, never fail over them
                    answers.add(Map.entry(key, OperationalKeys.parseBoolean(value) == null ? "Reject" : "No"));
                    continue;
                case "IFMarkInt":
                case "OFMarkInt":
                case "SendTargets":
                    // obsolete, or a full-feature-phase key: refused, the login goes on
                    answers.add(Map.entry(key, OperationalKeys.REJECT));
                    continue;
                case "TargetAlias":
                case "TargetPortalGroupTag":
                case "TargetAddress":
                    return LoginStatus.INITIATOR_ERROR; // declarations only a target may make

                default:
                    break;
            }
            OperationalKeys.Key k = OperationalKeys.Key.byName(key);
            if (k == null) {
                answers.add(Map.entry(key, "NotUnderstood")); // includes X- and X# private keys
                continue;
            }
            if (k == OperationalKeys.Key.FIRST_BURST_LENGTH) {
                // answered after MaxBurstLength, InitialR2T and ImmediateData of this request
                firstBurst = e;
                firstBurstIndex = answers.size();
                continue;
            }
            String answer = op.offer(k, value, discovery);
            if (answer != null) {
                answers.add(Map.entry(key, answer));
            }
        }
        if (firstBurst != null) {
            String answer = op.offer(OperationalKeys.Key.FIRST_BURST_LENGTH, firstBurst.getValue(), discovery);
            answers.add(firstBurstIndex, Map.entry(firstBurst.getKey(), answer));
        }
        if (chapA != null || chapN != null || chapR != null || chapI != null || chapC != null) {
            return chap(chapA, chapN, chapR, chapI, chapC, answers);
        }
        return null;
    }

    /** List negotiation of AuthMethod: the first method in the initiator's order that the target accepts. */
    private LoginStatus authMethod(String value, List<Map.Entry<String, String>> answers) {
        if (auth != Auth.NOT_STARTED) {
            return LoginStatus.INITIATOR_ERROR;
        }
        for (String method : value.split(",", -1)) {
            boolean acceptable = requiredChap != null ? method.equals("CHAP") : method.equals("None");
            if (acceptable) {
                auth = method.equals("CHAP") ? Auth.CHAP_WAIT_ALGORITHM : Auth.DONE;
                answers.add(Map.entry("AuthMethod", method));
                return null;
            }
        }
        // nothing acceptable: with CHAP required that is an initiator offering only None
        return LoginStatus.AUTHENTICATION_FAILURE;
    }

    private LoginStatus chap(
            String chapA,
            String chapN,
            String chapR,
            String chapI,
            String chapC,
            List<Map.Entry<String, String>> answers) {
        if (chapA != null) {
            if (auth != Auth.CHAP_WAIT_ALGORITHM || chapN != null || chapR != null || chapI != null || chapC != null) {
                return LoginStatus.AUTHENTICATION_FAILURE;
            }
            boolean md5 = false;
            for (String a : chapA.split(",", -1)) {
                md5 |= Chap.parseNumber(a) == Chap.ALGORITHM_MD5;
            }
            if (!md5) {
                return LoginStatus.AUTHENTICATION_FAILURE;
            }
            chapId = ctx.random().nextInt(256);
            chapChallenge = new byte[Chap.CHALLENGE_BYTES];
            ctx.random().nextBytes(chapChallenge);
            auth = Auth.CHAP_WAIT_RESPONSE;
            answers.add(Map.entry("CHAP_A", Integer.toString(Chap.ALGORITHM_MD5)));
            answers.add(Map.entry("CHAP_I", Integer.toString(chapId)));
            answers.add(Map.entry("CHAP_C", Chap.toHex(chapChallenge)));
            return null;
        }
        if (auth != Auth.CHAP_WAIT_RESPONSE || chapN == null || chapR == null) {
            return LoginStatus.AUTHENTICATION_FAILURE;
        }
        byte[] response = Chap.decodeBinary(chapR);
        byte[] expected = Chap.response(chapId, requiredChap.secret(), chapChallenge);
        // compare both, always, so that a wrong name and a wrong response take the same time
        boolean responseOk = Chap.matches(expected, response);
        boolean nameOk = chapN.equals(requiredChap.user());
        if (!(responseOk & nameOk)) {
            return LoginStatus.AUTHENTICATION_FAILURE;
        }
        if (chapI != null || chapC != null) {
            // mutual CHAP: the initiator authenticates the target
            if (chapI == null || chapC == null || targetChap == null) {
                return LoginStatus.AUTHENTICATION_FAILURE;
            }
            long id = Chap.parseNumber(chapI);
            byte[] challenge = Chap.decodeBinary(chapC);
            if (id < 0
                    || id > 255
                    || challenge == null
                    || challenge.length > Chap.MAX_CHALLENGE_BYTES
                    || Arrays.equals(challenge, chapChallenge)) {
                return LoginStatus.AUTHENTICATION_FAILURE; // includes a reflected challenge (RFC 7143 section 12.1.3)
            }
            answers.add(Map.entry("CHAP_N", targetChap.user()));
            answers.add(Map.entry("CHAP_R", Chap.toHex(Chap.response((int) id, targetChap.secret(), challenge))));
        }
        auth = Auth.DONE;
        chapChallenge = null;
        return null;
    }

    private NegotiatedSession buildResult() {
        return new NegotiatedSession(
                discovery,
                initiatorName,
                initiatorAlias,
                target,
                op.headerDigest,
                op.dataDigest,
                Math.min(op.initiatorMaxRecvDataSegmentLength, params.maxXmitDataSegmentLength()),
                params.maxRecvDataSegmentLength(),
                op.maxBurstLength,
                op.effectiveFirstBurstLength(),
                op.initialR2T,
                op.immediateData,
                op.maxOutstandingR2T,
                op.errorRecoveryLevel,
                op.defaultTime2Wait,
                op.defaultTime2Retain,
                op.maxConnections,
                op.dataPduInOrder,
                op.dataSequenceInOrder);
    }

    private LoginOutput fail(LoginInput in, LoginStatus status) {
        finished = true;
        requestText = null;
        pendingResponse = null;
        chapChallenge = null;
        int csg = in.csg() == STAGE_SECURITY || in.csg() == STAGE_OPERATIONAL ? in.csg() : stage;
        return new LoginOutput(
                false, false, csg, 0, status.statusClass(), status.statusDetail(), Unpooled.EMPTY_BUFFER, false, true);
    }
}
