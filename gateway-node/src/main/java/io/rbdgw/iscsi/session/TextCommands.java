package io.rbdgw.iscsi.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.rbdgw.iscsi.login.TextFormatException;
import io.rbdgw.iscsi.login.TextKeys;
import io.rbdgw.iscsi.pdu.RejectReason;
import io.rbdgw.iscsi.pdu.TextRequest;
import io.rbdgw.iscsi.pdu.TextResponse;
import java.net.InetSocketAddress;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Text requests in the full feature phase: SendTargets (the targets this initiator may see, with every
 * portal of the cluster), requests continued over several PDUs (C bit, at most 64 KiB) and answers
 * longer than the initiator's MaxRecvDataSegmentLength, sent in parts it asks for.
 */
final class TextCommands implements IscsiConnection.Part {

    private static final int RESERVED_TAG = IscsiConnection.RESERVED_TAG;
    private static final int MAX_REQUEST_BYTES = 65536;

    private final IscsiConnection conn;
    private final TargetRegistry targets;

    private ByteBuf accumulator;
    private ByteBuf pendingResponse;
    private int textTtt = RESERVED_TAG;

    TextCommands(IscsiConnection conn, TargetRegistry targets) {
        this.conn = conn;
        this.targets = targets;
    }

    @Override
    public void connectionClosed(Session session) {
        releaseRequest();
        releasePendingResponse();
    }

    void onText(TextRequest t) {
        if (!conn.acceptCmdSN(t.immediate(), t.cmdSN())) {
            return;
        }
        if (t.ttt() != RESERVED_TAG && pendingResponse != null && t.ttt() == textTtt) {
            sendPart(t);
            return;
        }
        releasePendingResponse();
        if (t.cont()) {
            if (accumulator == null) {
                accumulator = conn.alloc().buffer();
            }
            if (accumulator.readableBytes() + t.data().readableBytes() > MAX_REQUEST_BYTES) {
                releaseRequest();
                conn.reject(RejectReason.PROTOCOL_ERROR, null, false);
                return;
            }
            accumulator.writeBytes(t.data(), t.data().readerIndex(), t.data().readableBytes());
            textTtt = conn.nextTag();
            conn.send(new TextResponse(
                    false,
                    false,
                    t.lun(),
                    t.itt(),
                    textTtt,
                    conn.nextStatSN(),
                    conn.expCmdSN(),
                    conn.maxCmdSN(),
                    Unpooled.EMPTY_BUFFER));
            return;
        }
        ByteBuf body = t.data();
        if (accumulator != null) {
            accumulator.writeBytes(t.data(), t.data().readerIndex(), t.data().readableBytes());
            body = accumulator;
        }
        List<Map.Entry<String, String>> keys;
        try {
            keys = TextKeys.parse(body);
        } catch (TextFormatException e) {
            releaseRequest();
            conn.reject(RejectReason.PROTOCOL_ERROR, null, false);
            return;
        }
        releaseRequest();
        List<Map.Entry<String, String>> answer = new ArrayList<>();
        for (Map.Entry<String, String> kv : keys) {
            answerKey(kv.getKey(), kv.getValue(), answer);
        }
        pendingResponse = TextKeys.encode(answer, conn.alloc());
        textTtt = conn.nextTag();
        sendPart(t);
    }

    private void answerKey(String key, String value, List<Map.Entry<String, String>> answer) {
        switch (key) {
            case "SendTargets" -> sendTargets(value, answer);
            case "MaxRecvDataSegmentLength" -> {
                // Declarative and allowed in the full feature phase; we keep using the login value
                // for what we send, which stays within any new value only if it is not smaller.
                answer.add(kv(key, String.valueOf(conn.session().params().targetMaxRecvDataSegmentLength())));
            }
            default -> answer.add(kv(key, "NotUnderstood"));
        }
    }

    private void sendTargets(String value, List<Map.Entry<String, String>> answer) {
        Session s = conn.session();
        TargetEntry target = s.target();
        List<TargetEntry> list = new ArrayList<>();
        if ("All".equals(value)) {
            if (s.params().discovery()) {
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
        InetSocketAddress local = conn.localAddress();
        for (TargetEntry t : list) {
            if (!t.login().initiatorAllowed().test(s.params().initiatorName())) {
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

    private void sendPart(TextRequest t) {
        ByteBuf all = pendingResponse;
        int max = conn.session().params().initiatorMaxRecvDataSegmentLength();
        int n = Math.min(max, all.readableBytes());
        boolean last = n == all.readableBytes();
        ByteBuf part = all.readRetainedSlice(n);
        conn.send(new TextResponse(
                last,
                !last,
                t.lun(),
                t.itt(),
                last ? RESERVED_TAG : textTtt,
                conn.nextStatSN(),
                conn.expCmdSN(),
                conn.maxCmdSN(),
                part));
        if (last) {
            releasePendingResponse();
        }
    }

    private void releaseRequest() {
        if (accumulator != null) {
            accumulator.release();
            accumulator = null;
        }
    }

    private void releasePendingResponse() {
        if (pendingResponse != null) {
            pendingResponse.release();
            pendingResponse = null;
        }
    }

    private static Map.Entry<String, String> kv(String k, String v) {
        return new AbstractMap.SimpleImmutableEntry<>(k, v);
    }
}
