package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.AuthRequest;
import io.rbdgw.admin.api.AuthView;
import io.rbdgw.admin.api.ConfigView;
import io.rbdgw.admin.api.EpochView;
import io.rbdgw.admin.api.SessionInfo;
import io.rbdgw.admin.api.SettingRequest;
import io.rbdgw.admin.api.SettingView;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.ClusterState;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.config.membership.MemberState;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Setting;
import io.rbdgw.config.model.Settings;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Cluster-wide things: the endpoint index, the epoch and who applied it, the whole config, discovery CHAP, settings, sessions. */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class ClusterResource {
    private final ConfigService config;
    private final ClusterState cluster;
    private final List<String> endpoints;

    public ClusterResource(ConfigService config, ClusterState cluster, List<String> endpoints) {
        this.config = config;
        this.cluster = cluster;
        this.endpoints = List.copyOf(endpoints);
    }

    /** Every endpoint as "METHOD /path" (the full description is /openapi.json). */
    @GET
    public Response index() {
        return Http.ok(config.epoch(), Map.of("endpoints", endpoints, "openapi", "/openapi.json"));
    }

    /** The current epoch and, per gateway, the epoch it has applied. */
    @GET
    @Path("config/epoch")
    public Response epoch() {
        long epoch = config.epoch();
        List<EpochView.GatewayEpoch> gateways = new ArrayList<>();
        for (MemberState s : cluster.gateways().values()) {
            gateways.add(new EpochView.GatewayEpoch(
                    s.name(),
                    s.alive(),
                    s.status().map(x -> x.appliedEpoch()).orElse(null),
                    s.status().map(x -> x.health().name()).orElse(null),
                    s.applied(epoch)));
        }
        return Http.ok(epoch, new EpochView(epoch, gateways));
    }

    /** The whole configuration, secrets left out. */
    @GET
    @Path("config")
    public Response whole() {
        ClusterConfig c = config.read();
        Map<String, MemberState> states = cluster.gateways();
        ClusterState.Alua alua = cluster.alua();
        return Http.ok(
                c.epoch(),
                new ConfigView(
                        c.epoch(),
                        c.targets().stream().map(t -> Views.target(c, t)).toList(),
                        c.disks().stream().map(d -> Views.disk(c, d)).toList(),
                        c.gateways().stream()
                                .map(g -> GatewaysResource.view(
                                        Optional.of(g), Optional.ofNullable(states.get(g.name())), g.name(), alua))
                                .toList(),
                        c.clients().stream().map(x -> Views.client(c, x)).toList(),
                        c.hostGroups().stream().map(Views::hostGroup).toList(),
                        AuthView.of(c.discoveryAuth()),
                        c.settings().values()));
    }

    // ---- discovery CHAP ------------------------------------------------------------------------------------

    @GET
    @Path("discovery-auth")
    public Response discoveryAuth() {
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), AuthView.of(c.discoveryAuth()));
    }

    @PUT
    @Path("discovery-auth")
    public Response setDiscoveryAuth(@HeaderParam("If-Match") String ifMatch, AuthRequest req) {
        Authentication auth = Http.required(req, "request body").toModel();
        long epoch = config.change(Http.ifMatch(ifMatch), c -> List.of(new ConfigChange.PutDiscoveryAuth(auth)));
        return Http.changed(epoch, AuthView.of(auth));
    }

    @DELETE
    @Path("discovery-auth")
    public Response clearDiscoveryAuth(@HeaderParam("If-Match") String ifMatch) {
        long epoch = config.change(
                Http.ifMatch(ifMatch), c -> List.of(new ConfigChange.PutDiscoveryAuth(Authentication.NONE)));
        return Http.changed(epoch, AuthView.of(Authentication.NONE));
    }

    // ---- settings ------------------------------------------------------------------------------------------

    /** Every known setting with its value in force, its default and whether it is overridden. */
    @GET
    @Path("settings")
    public Response settings() {
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), views(c.settings()));
    }

    @GET
    @Path("settings/{key}")
    public Response setting(@PathParam("key") String key) {
        Setting s = setting404(key);
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), view(c.settings(), s));
    }

    @PUT
    @Path("settings/{key}")
    public Response setSetting(
            @PathParam("key") String key, @HeaderParam("If-Match") String ifMatch, SettingRequest req) {
        Setting s = setting404(key);
        String value =
                s.settable(Http.required(Http.required(req, "request body").value(), "value"));
        long epoch = config.change(
                Http.ifMatch(ifMatch),
                c -> List.of(new ConfigChange.PutSettings(c.settings().with(s, value))));
        return Http.changed(epoch, view(config.read().settings(), s));
    }

    /** Back to the default. */
    @DELETE
    @Path("settings/{key}")
    public Response resetSetting(@PathParam("key") String key, @HeaderParam("If-Match") String ifMatch) {
        Setting s = setting404(key);
        long epoch = config.change(Http.ifMatch(ifMatch), c -> {
            TreeMap<String, String> values = new TreeMap<>(c.settings().values());
            values.remove(s.key());
            return List.of(new ConfigChange.PutSettings(new Settings(values)));
        });
        return Http.changed(epoch, view(config.read().settings(), s));
    }

    // ---- sessions ----------------------------------------------------------------------------------------

    /**
     * Sessions on every gateway, optionally only those of one target and/or initiator. A gateway lists at most
     * 256 of its sessions: {@code X-Sessions-Total} counts them all (before filtering) and
     * {@code X-Sessions-Truncated: true} says some are not listed.
     */
    @GET
    @Path("sessions")
    public Response sessions(@QueryParam("target") String target, @QueryParam("initiator") String initiator) {
        long epoch = config.epoch();
        ClusterState.Sessions all = cluster.allSessions();
        List<SessionInfo> listed = all.listed().stream()
                .filter(s -> target == null || target.equals(s.target()))
                .filter(s -> initiator == null || initiator.equals(s.initiator()))
                .toList();
        return Http.withSessionTotals(Http.ok(epoch, listed), all);
    }

    private static Setting setting404(String key) {
        try {
            return Setting.of(key);
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound(e.getMessage());
        }
    }

    private static List<SettingView> views(Settings settings) {
        List<SettingView> out = new ArrayList<>();
        for (Setting s : Setting.values()) {
            out.add(view(settings, s));
        }
        return out;
    }

    private static SettingView view(Settings settings, Setting s) {
        return new SettingView(
                s.key(), settings.get(s), s.defaultValue(), settings.values().containsKey(s.key()));
    }
}
