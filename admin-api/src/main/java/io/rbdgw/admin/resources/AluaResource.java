package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.AluaDiskView;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.ClusterState;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.config.alua.FailoverEvent;
import io.rbdgw.config.alua.FailoverHistory;
import io.rbdgw.config.alua.LunOwnership;
import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.membership.MemberState;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.Disk;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Target;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * ALUA as the coordinator decided it: each disk's owner and the state every gateway's target port group reports
 * for it, and the history of ownership moves (failovers, drains, failbacks). Read from ZooKeeper; the gateways
 * derive their states from the same documents.
 */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api/alua")
@Produces(MediaType.APPLICATION_JSON)
public final class AluaResource {
    private final ConfigService config;
    private final ClusterState cluster;

    public AluaResource(ConfigService config, ClusterState cluster) {
        this.config = config;
        this.cluster = cluster;
    }

    /** Per disk: owner, ownership epoch, LUNs and the ALUA state of each declared gateway's port group. */
    @GET
    public Response disks(@QueryParam("disk") String diskFilter, @QueryParam("gateway") String gatewayFilter) {
        ClusterConfig c = config.read();
        Map<String, MemberState> states = cluster.gateways();
        ClusterState.Alua alua = cluster.alua();
        TreeSet<String> disks = new TreeSet<>(alua.owners().keySet());
        c.disks().stream().map(Disk::id).forEach(disks::add);
        if (diskFilter != null && !disks.contains(diskFilter)) {
            throw ApiException.notFound("no disk " + diskFilter);
        }
        if (gatewayFilter != null && c.gateway(gatewayFilter).isEmpty() && !states.containsKey(gatewayFilter)) {
            throw ApiException.notFound("no gateway " + gatewayFilter);
        }
        List<AluaDiskView> out = new ArrayList<>();
        String version = GatewayStatus.AluaSummary.version(alua.owners().values());
        for (String d : disks) {
            if (diskFilter != null && !diskFilter.equals(d)) {
                continue;
            }
            LunOwnership o = alua.owners().get(d);
            if (gatewayFilter != null && (o == null || !o.owner().equals(gatewayFilter))) {
                continue;
            }
            out.add(view(c, d, o, states, alua, version));
        }
        return Http.ok(c.epoch(), out);
    }

    /**
     * The recorded ownership moves, newest first.
     *
     * @param limit at most this many (default all that are kept: {@value FailoverHistory#LIMIT})
     */
    @GET
    @Path("failovers")
    public Response failovers(
            @QueryParam("limit") Integer limit,
            @QueryParam("disk") String disk,
            @QueryParam("gateway") String gateway,
            @QueryParam("reason") String reason) {
        if (limit != null && limit < 1) {
            throw ApiException.badRequest("limit must be at least 1, was " + limit);
        }
        FailoverEvent.Reason r = null;
        if (reason != null) {
            try {
                r = FailoverEvent.Reason.valueOf(
                        reason.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(
                        "unknown reason '" + reason + "': one of " + Arrays.toString(FailoverEvent.Reason.values()));
            }
        }
        List<FailoverEvent> events = new ArrayList<>(cluster.failovers().events());
        Collections.reverse(events);
        FailoverEvent.Reason want = r;
        List<FailoverEvent> out = events.stream()
                .filter(e -> disk == null || e.disk().equals(disk))
                .filter(e -> gateway == null || gateway.equals(e.from()) || gateway.equals(e.to()))
                .filter(e -> want == null || e.reason() == want)
                .limit(limit == null ? Long.MAX_VALUE : limit)
                .toList();
        return Http.ok(config.epoch(), out);
    }

    /**
     * @param version the {@link GatewayStatus.AluaSummary#version} of every ownership document now: a gateway whose
     *     status reports it has applied every disk's current owner
     */
    static AluaDiskView view(
            ClusterConfig c,
            String disk,
            LunOwnership o,
            Map<String, MemberState> states,
            ClusterState.Alua alua,
            String version) {
        List<String> luns = new ArrayList<>();
        for (Target t : c.targets()) {
            for (Lun l : c.luns(t.iqn())) {
                if (l.diskId().equals(disk)) {
                    luns.add(t.iqn() + "/" + l.number());
                }
            }
        }
        List<AluaDiskView.Port> ports = new ArrayList<>();
        for (Gateway g : c.gateways()) {
            MemberState s = states.get(g.name());
            boolean alive = s != null && s.alive();
            // what the live gateways report for this port group (see the gateway's Reconciler.ports)
            String state = !alive
                    ? "UNAVAILABLE"
                    : o != null && o.owner().equals(g.name()) ? "ACTIVE_OPTIMIZED" : "ACTIVE_NON_OPTIMIZED";
            var applied = s == null
                    ? Optional.<GatewayStatus.AluaApplied>empty()
                    : s.status().flatMap(st -> applied(st, disk, o, version));
            ports.add(new AluaDiskView.Port(
                    g.name(),
                    g.targetPortGroup(),
                    state,
                    alive,
                    alua.draining().contains(g.name()),
                    applied.map(a -> a.epoch()).orElse(null),
                    applied.map(a -> a.appliedAtMillis()).orElse(null)));
        }
        MemberState owner = o == null ? null : states.get(o.owner());
        return new AluaDiskView(
                disk,
                o == null ? null : o.owner(),
                o == null ? null : o.epoch(),
                owner != null && owner.alive(),
                luns,
                ports);
    }

    /**
     * What {@code st} says its gateway applied of {@code disk}: the disk's current ownership once its summary's
     * version is that of the current documents (else nothing yet); a gateway of an older version lists every disk.
     */
    private static Optional<GatewayStatus.AluaApplied> applied(
            GatewayStatus st, String disk, LunOwnership o, String version) {
        GatewayStatus.AluaSummary summary = st.aluaSummary();
        if (summary == null) {
            return st.alua().stream().filter(a -> a.disk().equals(disk)).findFirst();
        }
        if (o == null || !summary.version().equals(version)) {
            return Optional.empty();
        }
        return Optional.of(new GatewayStatus.AluaApplied(disk, o.owner(), o.epoch(), summary.appliedAtMillis()));
    }
}
