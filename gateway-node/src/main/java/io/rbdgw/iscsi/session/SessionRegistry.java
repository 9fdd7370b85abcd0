package io.rbdgw.iscsi.session;

import io.rbdgw.iscsi.login.LoginStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's live sessions: allocates TSIHs and finds the session an initiator reinstates (same
 * initiator name, ISID and target, RFC 7143 6.3.5).
 */
public final class SessionRegistry {

    /** Identity of an initiator-side session: initiator name + ISID + target. */
    record SessionKey(String initiator, long isid, String target) {}

    private final Map<Integer, IscsiConnection> byTsih = new ConcurrentHashMap<>();
    private final Map<SessionKey, IscsiConnection> byKey = new ConcurrentHashMap<>();
    private final AtomicInteger nextTsih = new AtomicInteger(1);
    // live sessions per initiator name and per target (normal sessions), guarded by this
    private final Map<String, Integer> perInitiator = new HashMap<>();
    private final Map<String, Integer> perTarget = new HashMap<>();
    private volatile Runnable onChange = () -> {};

    /** One live session, for status reporting. */
    public record SessionView(
            String target, String initiator, long isid, int tsih, String local, String remote, long loginAtMillis) {}

    /** Called (on an event loop: keep it short) after a session started or ended. */
    public void onChange(Runnable listener) {
        this.onChange = listener;
    }

    /** The live normal sessions (discovery sessions are not listed). */
    public List<SessionView> sessions() {
        List<SessionView> out = new ArrayList<>();
        byKey.forEach((k, c) -> {
            if (!k.target().isEmpty()) {
                out.add(c.view(k));
            }
        });
        return out;
    }

    /**
     * The outcome of {@link #register}: the new session's TSIH and the older session with the same key (to be
     * closed), or the login status that refuses it.
     */
    record Registration(int tsih, IscsiConnection replaced, LoginStatus refused) {}

    /**
     * Registers a new session unless it is beyond {@code limits}; a reinstatement (same key as a live session)
     * replaces that session and is never refused. Login statuses per RFC 7143 section 11.13.5 (RFC 3720
     * 10.13.5): too many sessions of this initiator is the initiator's doing, 0206 "Too many connections"
     * (class 2, initiator error: do not retry as is); a full target or gateway is 0302 "Out of resources"
     * (class 3, target error: the initiator may retry later).
     */
    synchronized Registration register(SessionKey key, IscsiConnection connection, PortalLimits limits) {
        boolean reinstatement = byKey.containsKey(key);
        if (!reinstatement) {
            boolean normal = !key.target().isEmpty();
            if (perInitiator.getOrDefault(key.initiator(), 0) >= limits.maxSessionsPerInitiator()) {
                return new Registration(0, null, LoginStatus.TOO_MANY_CONNECTIONS);
            }
            if (normal && perTarget.getOrDefault(key.target(), 0) >= limits.maxSessionsPerTarget()) {
                return new Registration(0, null, LoginStatus.OUT_OF_RESOURCES);
            }
            if (byKey.size() >= limits.maxSessions()) {
                return new Registration(0, null, LoginStatus.OUT_OF_RESOURCES);
            }
        }
        int tsih;
        do {
            tsih = nextTsih.getAndIncrement() & 0xffff;
        } while (tsih == 0 || byTsih.putIfAbsent(tsih, connection) != null);
        IscsiConnection old = byKey.put(key, connection);
        if (old == null) {
            count(key, 1);
        }
        onChange.run();
        return new Registration(tsih, old, null);
    }

    synchronized void unregister(SessionKey key, int tsih, IscsiConnection connection) {
        byTsih.remove(tsih, connection);
        if (byKey.remove(key, connection)) {
            count(key, -1);
            onChange.run();
        }
    }

    private void count(SessionKey key, int delta) {
        perInitiator.merge(key.initiator(), delta, (a, b) -> a + b == 0 ? null : a + b);
        if (!key.target().isEmpty()) {
            perTarget.merge(key.target(), delta, (a, b) -> a + b == 0 ? null : a + b);
        }
    }

    boolean exists(int tsih) {
        return byTsih.containsKey(tsih);
    }

    IscsiConnection find(SessionKey key) {
        return byKey.get(key);
    }

    /** Number of live normal sessions. */
    public int size() {
        return byTsih.size();
    }

    /** Closes every session of a target (TARGET COLD RESET, target removed). */
    public void closeTarget(String target) {
        byKey.forEach((k, c) -> {
            if (k.target().equals(target)) {
                c.close("target reset");
            }
        });
    }

    /** Live sessions as (initiator, target) pairs, for status reporting. */
    public List<String[]> describe() {
        List<String[]> out = new ArrayList<>();
        byKey.keySet().forEach(k -> out.add(new String[] {k.initiator(), k.target()}));
        return out;
    }
}
