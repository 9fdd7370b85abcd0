package io.rbdgw.admin.core;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.rbdgw.admin.api.SessionInfo;
import io.rbdgw.config.alua.AluaView;
import io.rbdgw.config.alua.FailoverHistory;
import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.membership.MemberState;
import io.rbdgw.config.membership.MembershipView;
import io.rbdgw.config.store.ConfigStore;
import io.rbdgw.config.store.ConfigStoreException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import org.apache.zookeeper.KeeperException;

/**
 * What the gateways report about themselves: membership, applied epochs and health (cluster-config's
 * {@link MembershipView}), and their iSCSI sessions, read from the optional {@code "sessions"} array of each
 * gateway's {@code status/<name>} document (see {@link SessionInfo} for the contract).
 */
public final class ClusterState {
    private final ConfigStore store;
    private final MembershipView membership;
    private final AluaView alua;
    private final ObjectMapper mapper = JsonMapper.builder()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .build();

    public ClusterState(ConfigStore store) {
        this.store = store;
        this.membership = new MembershipView(store.client(), store.layout());
        this.alua = new AluaView(store.client(), store.layout());
    }

    /** Disk owners and draining gateways, as the coordinator sees them. */
    public record Alua(Map<String, LunOwnership> owners, SortedSet<String> draining) {
        public List<String> ownedBy(String gateway) {
            return owners.values().stream()
                    .filter(o -> o.owner().equals(gateway))
                    .map(LunOwnership::disk)
                    .sorted()
                    .toList();
        }
    }

    public Alua alua() {
        return new Alua(alua.owners(), alua.draining());
    }

    public FailoverHistory failovers() {
        return alua.history();
    }

    /** Starts draining; false if it was draining already. */
    public boolean drain(String gateway) {
        return alua.drain(gateway);
    }

    /** Ends draining; false if it was not draining. */
    public boolean undrain(String gateway) {
        return alua.undrain(gateway);
    }

    public Map<String, MemberState> gateways() {
        return membership.states();
    }

    /**
     * Sessions as gateways published them: a gateway lists at most 256 and counts them all, so {@code total} may
     * be more than {@code listed} holds.
     */
    public record Sessions(List<SessionInfo> listed, long total) {
        /** Whether some sessions exist that are not listed. */
        public boolean truncated() {
            return total > listed.size();
        }
    }

    /** The sessions gateway {@code name} published; empty if it publishes none. */
    public List<SessionInfo> sessions(String name) {
        return sessionsOf(name).listed();
    }

    /** Every gateway's sessions, with their total. */
    public Sessions allSessions() {
        List<SessionInfo> out = new ArrayList<>();
        long total = 0;
        for (String name : gateways().keySet()) {
            Sessions s = sessionsOf(name);
            out.addAll(s.listed());
            total += s.total();
        }
        return new Sessions(out, total);
    }

    /** The sessions gateway {@code name} published and how many it has in all. */
    public Sessions sessionsOf(String name) {
        String path = store.layout().status(name);
        byte[] data;
        try {
            data = store.client().getData().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return new Sessions(List.of(), 0);
        } catch (Exception e) {
            throw new ConfigStoreException("cannot read " + path + ": " + e, e);
        }
        List<SessionInfo> out = new ArrayList<>();
        long total;
        try {
            JsonNode status = mapper.readTree(data);
            JsonNode sessions = status.path("sessions");
            if (sessions.isArray()) {
                for (JsonNode s : sessions) {
                    out.add(mapper.treeToValue(s, SessionInfo.class).withGateway(name));
                }
            }
            total = Math.max(out.size(), status.path("sessionCount").asLong(0)); // absent: older gateways
        } catch (IOException e) {
            throw new ConfigStoreException("gateway " + name + " published an unreadable status: " + e.getMessage(), e);
        }
        return new Sessions(out, total);
    }

    /** Every gateway's sessions. */
    public List<SessionInfo> sessions() {
        List<SessionInfo> out = new ArrayList<>();
        for (String name : gateways().keySet()) {
            out.addAll(sessions(name));
        }
        return out;
    }
}
