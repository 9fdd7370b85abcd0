package io.rbdgw.config.membership;

import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.model.Names;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * What a gateway last reported in {@code status/<name>}: the configuration epoch it has applied, its health,
 * its iSCSI sessions and the disk ownership it applied. Persistent, so it survives the gateway (whether the
 * gateway is alive is told by its member node).
 *
 * <p>The document's size must not grow with the sessions nor with the disks (a znode holds at most 1 MiB, and
 * it is rewritten on every applied change): at most {@link #MAX_LISTED_SESSIONS} sessions are listed,
 * {@code sessionCount} tells how many there are; the ownership applied is a {@link AluaSummary} (a version, the
 * counts). Gateways before the summary listed every disk's ownership in {@code alua} (some 350 KB at 4,096
 * disks); that list is still read, and written empty.
 *
 * @param sessions     the sessions listed, at most {@link #MAX_LISTED_SESSIONS}
 * @param alua         per disk, the ownership applied: only from gateways that write no {@code aluaSummary}
 * @param sessionCount all sessions of the gateway (at least {@code sessions.size()}; 0 from gateways that
 *                     did not write it means "as listed")
 * @param aluaSummary  the ownership applied (null: none yet, or a gateway of an older version)
 */
public record GatewayStatus(
        String name,
        long appliedEpoch,
        Health health,
        String detail,
        long updatedAtMillis,
        List<Session> sessions,
        List<AluaApplied> alua,
        int sessionCount,
        AluaSummary aluaSummary) {
    public enum Health {
        OK,
        DEGRADED,
        FAILED
    }

    /** Sessions listed at most: with names of at most 223 bytes, some 150 KiB of the 1 MiB a znode holds. */
    public static final int MAX_LISTED_SESSIONS = 256;

    /** A status listing {@code sessions} (the first {@link #MAX_LISTED_SESSIONS} of them) and counting them all. */
    public GatewayStatus(
            String name,
            long appliedEpoch,
            Health health,
            String detail,
            long updatedAtMillis,
            List<Session> sessions,
            List<AluaApplied> alua) {
        this(name, appliedEpoch, health, detail, updatedAtMillis, sessions, alua, 0, null);
    }

    /** A status listing sessions and summarizing the ownership applied (what gateways write). */
    public GatewayStatus(
            String name,
            long appliedEpoch,
            Health health,
            String detail,
            long updatedAtMillis,
            List<Session> sessions,
            AluaSummary aluaSummary) {
        this(name, appliedEpoch, health, detail, updatedAtMillis, sessions, List.of(), 0, aluaSummary);
    }

    /**
     * The disk ownership a gateway applied last (its ALUA states follow it from then on), in a few fields whatever
     * the number of disks.
     *
     * @param version         {@link #version} of the ownership documents applied: when it equals the version of the
     *                        current {@code alua/} documents, the gateway has applied every disk's current owner
     * @param disks           disks with an owner in what it applied
     * @param owned           of them, owned by this gateway (Active/Optimized here)
     * @param appliedAtMillis when it applied it (wall clock)
     */
    public record AluaSummary(String version, int disks, int owned, long appliedAtMillis) {
        /** The summary of applying {@code owners} on gateway {@code gateway} at {@code atMillis}. */
        public static AluaSummary of(Collection<LunOwnership> owners, String gateway, long atMillis) {
            int owned = 0;
            for (LunOwnership o : owners) {
                if (o.owner().equals(gateway)) {
                    owned++;
                }
            }
            return new AluaSummary(version(owners), owners.size(), owned, atMillis);
        }

        /**
         * A digest of every disk's owner and ownership epoch (not the owner's address), independent of order: two
         * sets of ownership documents that assign the same owners at the same epochs have the same version.
         */
        public static String version(Collection<LunOwnership> owners) {
            List<LunOwnership> sorted = new ArrayList<>(owners);
            sorted.sort(Comparator.comparing(LunOwnership::disk));
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JVM has no SHA-256", e);
            }
            for (LunOwnership o : sorted) {
                sha.update((o.disk() + "\n" + o.owner() + "\n" + o.epoch() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 12);
        }
    }

    /** Whether more sessions exist than are listed. */
    public boolean sessionsTruncated() {
        return sessionCount > sessions.size();
    }

    /**
     * A disk's ownership as a gateway of an older version listed it (every disk; see {@link AluaSummary}).
     *
     * @param appliedAtMillis when the gateway applied this owner and epoch (wall clock)
     */
    public record AluaApplied(String disk, String owner, long epoch, long appliedAtMillis) {}

    /** A status with sessions and no ALUA report. */
    public GatewayStatus(
            String name,
            long appliedEpoch,
            Health health,
            String detail,
            long updatedAtMillis,
            List<Session> sessions) {
        this(name, appliedEpoch, health, detail, updatedAtMillis, sessions, List.of());
    }

    /**
     * One iSCSI session on the gateway.
     *
     * @param isid        the initiator's session id, 12 hex digits
     * @param connections "local-portal <- remote-address" per connection
     */
    public record Session(
            String target, String initiator, String isid, int tsih, List<String> connections, long loginAtMillis) {
        public Session {
            connections = connections == null ? List.of() : List.copyOf(connections);
        }
    }

    /** A status without sessions (what older gateways wrote). */
    public GatewayStatus(String name, long appliedEpoch, Health health, String detail, long updatedAtMillis) {
        this(name, appliedEpoch, health, detail, updatedAtMillis, List.of());
    }

    public GatewayStatus {
        Names.name("gateway name", name);
        if (appliedEpoch < 0) {
            throw new IllegalArgumentException("applied epoch must not be negative, was " + appliedEpoch);
        }
        if (health == null) {
            health = Health.OK;
        }
        sessions = sessions == null ? List.of() : sessions;
        sessionCount = Math.max(sessionCount, sessions.size());
        sessions = List.copyOf(
                sessions.size() > MAX_LISTED_SESSIONS ? sessions.subList(0, MAX_LISTED_SESSIONS) : sessions);
        alua = alua == null ? List.of() : List.copyOf(alua);
    }
}
