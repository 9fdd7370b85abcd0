package io.rbdgw.iscsi.session;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's live sessions: allocates TSIHs and finds the session an initiator reinstates (same
 * initiator name, ISID and target, RFC 7143 6.3.5).
 */
public final class SessionRegistry {

    /** Identity of an initiator-side session: initiator name + ISID + target. */
    record SessionKey(String initiator, long isid, String target) {
    }

    private final Map<Integer, IscsiConnection> byTsih = new ConcurrentHashMap<>();
    private final Map<SessionKey, IscsiConnection> byKey = new ConcurrentHashMap<>();
    private final AtomicInteger nextTsih = new AtomicInteger(1);
    private volatile Runnable onChange = () -> { };

    /** One live session, for status reporting. */
    public record SessionView(String target, String initiator, long isid, int tsih, String local, String remote,
                              long loginAtMillis) {
    }

    /** Called (on an event loop: keep it short) after a session started or ended. */
    public void onChange(Runnable listener) {
        this.onChange = listener;
    }

    /** The live normal sessions (discovery sessions are not listed). */
    public java.util.List<SessionView> sessions() {
        java.util.List<SessionView> out = new java.util.ArrayList<>();
        byKey.forEach((k, c) -> {
            if (!k.target().isEmpty()) {
                out.add(c.view(k));
            }
        });
        return out;
    }

    /** Registers a new session and returns its TSIH; an older session with the same key is returned for closing. */
    int register(SessionKey key, IscsiConnection connection, IscsiConnection[] replaced) {
        int tsih;
        do {
            tsih = nextTsih.getAndIncrement() & 0xffff;
        } while (tsih == 0 || byTsih.putIfAbsent(tsih, connection) != null);
        IscsiConnection old = byKey.put(key, connection);
        replaced[0] = old;
        onChange.run();
        return tsih;
    }

    void unregister(SessionKey key, int tsih, IscsiConnection connection) {
        byTsih.remove(tsih, connection);
        if (byKey.remove(key, connection)) {
            onChange.run();
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
    public java.util.List<String[]> describe() {
        java.util.List<String[]> out = new java.util.ArrayList<>();
        byKey.keySet().forEach(k -> out.add(new String[] {k.initiator(), k.target()}));
        return out;
    }
}
