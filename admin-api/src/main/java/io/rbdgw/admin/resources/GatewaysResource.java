package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.DrainView;
import io.rbdgw.admin.api.GatewayRequest;
import io.rbdgw.admin.api.GatewayView;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.ClusterState;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.config.membership.GatewayStatus;
import io.rbdgw.config.membership.MemberInfo;
import io.rbdgw.config.membership.MemberState;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Gateway;
import io.rbdgw.config.model.Names;
import io.rbdgw.config.model.Portal;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** Gateways: declared (portals, target port group) and live (membership, applied epoch, health, sessions). */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api/gateways")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class GatewaysResource {
    private final ConfigService config;
    private final ClusterState cluster;

    public GatewaysResource(ConfigService config, ClusterState cluster) {
        this.config = config;
        this.cluster = cluster;
    }

    /** Declared gateways and running ones that are not declared (yet). */
    @GET
    public Response list() {
        ClusterConfig c = config.read();
        Map<String, MemberState> states = cluster.gateways();
        TreeSet<String> names = new TreeSet<>(states.keySet());
        c.gateways().forEach(g -> names.add(g.name()));
        ClusterState.Alua alua = cluster.alua();
        return Http.ok(
                c.epoch(),
                names.stream()
                        .map(n -> view(c.gateway(n), Optional.ofNullable(states.get(n)), n, alua))
                        .toList());
    }

    @POST
    public Response create(@HeaderParam("If-Match") String ifMatch, GatewayRequest req) {
        Http.required(req, "request body");
        String name = Names.name("gateway name", Http.required(req.name(), "name"));
        List<Portal> portals = portals(req.portals());
        Gateway[] made = new Gateway[1];
        long epoch = config.change(Http.ifMatch(ifMatch), c -> {
            if (c.gateway(name).isPresent()) {
                throw ApiException.conflict("gateway " + name + " already exists");
            }
            int tpg = req.targetPortGroup() != null ? req.targetPortGroup() : freeTpg(c);
            c.gateways().stream()
                    .filter(g -> g.targetPortGroup() == tpg)
                    .findFirst()
                    .ifPresent(g -> {
                        throw ApiException.conflict("target port group " + tpg + " is gateway " + g.name() + "'s");
                    });
            made[0] = new Gateway(name, portals, tpg);
            return List.of(new ConfigChange.PutGateway(made[0]));
        });
        return Http.created(
                epoch,
                URI.create("/api/gateways/" + name),
                view(
                        Optional.of(made[0]),
                        Optional.ofNullable(cluster.gateways().get(name)),
                        name,
                        cluster.alua()));
    }

    @GET
    @Path("{name}")
    public Response get(@PathParam("name") String name) {
        ClusterConfig c = config.read();
        Optional<MemberState> state = Optional.ofNullable(cluster.gateways().get(name));
        if (c.gateway(name).isEmpty() && state.isEmpty()) {
            throw ApiException.notFound("no gateway " + name);
        }
        return Http.ok(c.epoch(), view(c.gateway(name), state, name, cluster.alua()));
    }

    /** Changes portals and/or target port group. */
    @PUT
    @Path("{name}")
    public Response update(
            @PathParam("name") String name, @HeaderParam("If-Match") String ifMatch, GatewayRequest req) {
        Http.required(req, "request body");
        if (req.name() != null && !req.name().equals(name)) {
            throw ApiException.badRequest("a gateway cannot be renamed (" + name + " -> " + req.name() + ")");
        }
        List<Portal> portals = req.portals() == null ? null : portals(req.portals());
        Gateway[] made = new Gateway[1];
        long epoch = config.change(Http.ifMatch(ifMatch), c -> {
            Gateway old = c.gateway(name).orElseThrow(() -> ApiException.notFound("no gateway " + name));
            int tpg = req.targetPortGroup() != null ? req.targetPortGroup() : old.targetPortGroup();
            c.gateways().stream()
                    .filter(g -> g.targetPortGroup() == tpg && !g.name().equals(name))
                    .findFirst()
                    .ifPresent(g -> {
                        throw ApiException.conflict("target port group " + tpg + " is gateway " + g.name() + "'s");
                    });
            made[0] = new Gateway(name, portals != null ? portals : old.portals(), tpg);
            return List.of(new ConfigChange.PutGateway(made[0]));
        });
        return Http.changed(
                epoch,
                view(
                        Optional.of(made[0]),
                        Optional.ofNullable(cluster.gateways().get(name)),
                        name,
                        cluster.alua()));
    }

    @DELETE
    @Path("{name}")
    public Response delete(@PathParam("name") String name, @HeaderParam("If-Match") String ifMatch) {
        long epoch = config.change(Http.ifMatch(ifMatch), c -> {
            c.gateway(name).orElseThrow(() -> ApiException.notFound("no gateway " + name));
            return List.of(new ConfigChange.DeleteGateway(name));
        });
        return Http.changed(epoch, null);
    }

    @GET
    @Path("{name}/sessions")
    public Response sessions(@PathParam("name") String name) {
        ClusterConfig c = config.read();
        if (c.gateway(name).isEmpty() && !cluster.gateways().containsKey(name)) {
            throw ApiException.notFound("no gateway " + name);
        }
        ClusterState.Sessions s = cluster.sessionsOf(name);
        return Http.withSessionTotals(Http.ok(c.epoch(), s.listed()), s);
    }

    /** Whether {@code name} is draining and what it still owns. */
    @GET
    @Path("{name}/drain")
    public Response drainStatus(@PathParam("name") String name) {
        ClusterConfig c = config.read();
        Map<String, MemberState> states = known(c, name);
        return Http.ok(c.epoch(), drainView(name, states, cluster.alua()));
    }

    /**
     * Starts draining: the coordinator moves the gateway's disks to the others and gives it none, so it can be
     * stopped without a failover once {@code complete}. Refused when no other live gateway could take its disks.
     */
    @POST
    @Path("{name}/drain")
    public Response drain(@PathParam("name") String name) {
        ClusterConfig c = config.read();
        Map<String, MemberState> states = known(c, name);
        ClusterState.Alua alua = cluster.alua();
        if (!alua.draining().contains(name)) {
            boolean someoneElse = states.values().stream()
                    .anyMatch(s -> s.alive()
                            && !s.name().equals(name)
                            && !alua.draining().contains(s.name()));
            if (!someoneElse) {
                throw ApiException.conflict("cannot drain gateway " + name + ": no other live gateway that is not "
                        + "draining could take over its disks");
            }
            cluster.drain(name);
        }
        return Http.ok(c.epoch(), drainView(name, states, cluster.alua()));
    }

    /** Ends draining: the gateway gets its share of disks back (after the settling delay). */
    @DELETE
    @Path("{name}/drain")
    public Response undrain(@PathParam("name") String name) {
        ClusterConfig c = config.read();
        Map<String, MemberState> states = known(c, name);
        if (!cluster.undrain(name)) {
            throw ApiException.conflict("gateway " + name + " is not draining");
        }
        return Http.ok(c.epoch(), drainView(name, states, cluster.alua()));
    }

    /** The gateway states, or 404 if {@code name} is neither declared nor running. */
    private Map<String, MemberState> known(ClusterConfig c, String name) {
        Names.name("gateway name", name);
        Map<String, MemberState> states = cluster.gateways();
        if (c.gateway(name).isEmpty() && !states.containsKey(name)) {
            throw ApiException.notFound("no gateway " + name);
        }
        return states;
    }

    private static DrainView drainView(String name, Map<String, MemberState> states, ClusterState.Alua alua) {
        boolean draining = alua.draining().contains(name);
        List<String> owned = alua.ownedBy(name);
        MemberState s = states.get(name);
        return new DrainView(name, draining, s != null && s.alive(), owned, draining && owned.isEmpty());
    }

    static GatewayView view(
            Optional<Gateway> declared, Optional<MemberState> state, String name, ClusterState.Alua alua) {
        Optional<MemberInfo> member = state.flatMap(MemberState::member);
        Optional<GatewayStatus> status = state.flatMap(MemberState::status);
        List<String> portals = declared.map(
                        g -> g.portals().stream().map(Portal::toString).toList())
                .orElse(member.map(
                                m -> m.portals().stream().map(Portal::toString).toList())
                        .orElse(List.of()));
        return new GatewayView(
                name,
                portals,
                declared.map(Gateway::targetPortGroup).orElse(null),
                declared.isPresent(),
                member.isPresent(),
                status.map(GatewayStatus::appliedEpoch).orElse(null),
                status.map(s -> s.health().name()).orElse(null),
                status.map(GatewayStatus::detail).orElse(null),
                member.map(MemberInfo::version).orElse(null),
                member.map(MemberInfo::radosAddress).orElse(null),
                alua.draining().contains(name),
                alua.ownedBy(name),
                alua.draining().contains(name) && alua.ownedBy(name).isEmpty());
    }

    private static List<Portal> portals(List<String> texts) {
        if (texts == null || texts.isEmpty()) {
            throw ApiException.badRequest("portals are missing: give at least one \"host[:port]\"");
        }
        return texts.stream().map(Portal::parse).toList();
    }

    private static int freeTpg(ClusterConfig c) {
        int tpg = 1;
        while (true) {
            int t = tpg;
            if (c.gateways().stream().noneMatch(g -> g.targetPortGroup() == t)) {
                return tpg;
            }
            tpg++;
        }
    }
}
