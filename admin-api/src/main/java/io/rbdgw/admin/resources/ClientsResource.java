package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.AuthRequest;
import io.rbdgw.admin.api.AuthView;
import io.rbdgw.admin.api.ClientRequest;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Names;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/** Client ACL entries of a target: CHAP and mutual CHAP, and LUN masking. */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api/targets/{target}/clients")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class ClientsResource {
    private final ConfigService config;

    public ClientsResource(ConfigService config) {
        this.config = config;
    }

    @GET
    public Response list(@PathParam("target") String target) {
        ClusterConfig c = config.read();
        Views.target(c, target);
        return Http.ok(
                c.epoch(),
                c.clients(target).stream().map(x -> Views.client(c, x)).toList());
    }

    @POST
    public Response create(
            @PathParam("target") String target, @HeaderParam("If-Match") String ifMatch, ClientRequest req) {
        Http.required(req, "request body");
        String initiator = Names.iscsiName("initiator", Http.required(req.initiator(), "initiator"));
        // seeing every LUN is an explicit choice: a client without LUNs sees its host group's (none until it joins one)
        boolean all = req.allLuns() != null && req.allLuns();
        Client client = new Client(
                target,
                initiator,
                req.auth() == null ? Authentication.NONE : req.auth().toModel(),
                all,
                req.luns() == null ? null : new TreeSet<>(req.luns()));
        long epoch = config.change(Http.ifMatch(ifMatch), c -> {
            Views.target(c, target);
            if (c.client(target, initiator).isPresent()) {
                throw ApiException.conflict("client " + initiator + " already exists on target " + target);
            }
            checkLuns(c, client);
            return List.of(new ConfigChange.PutClient(client));
        });
        ClusterConfig c = config.read();
        return Http.created(
                epoch,
                URI.create("/api/targets/" + target + "/clients/" + initiator),
                Views.client(c, Views.client(c, target, initiator)));
    }

    @GET
    @Path("{initiator}")
    public Response get(@PathParam("target") String target, @PathParam("initiator") String initiator) {
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), Views.client(c, Views.client(c, target, initiator)));
    }

    /** Changes LUN masking and, if given, CHAP; absent fields keep their values. */
    @PUT
    @Path("{initiator}")
    public Response update(
            @PathParam("target") String target,
            @PathParam("initiator") String initiator,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force,
            ClientRequest req) {
        Http.required(req, "request body");
        if (req.initiator() != null && !req.initiator().equals(initiator)) {
            throw ApiException.badRequest("a client cannot be renamed (" + initiator + " -> " + req.initiator() + ")");
        }
        Authentication auth = req.auth() == null ? null : req.auth().toModel();
        return modify(target, initiator, ifMatch, force, old -> {
            boolean all = req.allLuns() != null ? req.allLuns() : req.luns() != null ? false : old.allLuns();
            TreeSet<Integer> luns = all ? null : new TreeSet<>(req.luns() != null ? req.luns() : old.luns());
            return new Client(target, initiator, auth != null ? auth : old.auth(), all, luns);
        });
    }

    /** Deletes the client; refused while it is a host group member. */
    @DELETE
    @Path("{initiator}")
    public Response delete(
            @PathParam("target") String target,
            @PathParam("initiator") String initiator,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force) {
        long epoch = config.change(Http.ifMatch(ifMatch), force, c -> {
            Views.client(c, target, initiator);
            c.hostGroupOf(target, initiator).ifPresent(g -> {
                throw ApiException.conflict(
                        "client " + initiator + " is a member of host group " + g.name() + ": remove it there first");
            });
            return List.of(new ConfigChange.DeleteClient(target, initiator));
        });
        return Http.changed(epoch, null);
    }

    @PUT
    @Path("{initiator}/auth")
    public Response setAuth(
            @PathParam("target") String target,
            @PathParam("initiator") String initiator,
            @HeaderParam("If-Match") String ifMatch,
            AuthRequest req) {
        Authentication auth = Http.required(req, "request body").toModel();
        return modify(target, initiator, ifMatch, false, old -> old.withAuth(auth));
    }

    @DELETE
    @Path("{initiator}/auth")
    public Response clearAuth(
            @PathParam("target") String target,
            @PathParam("initiator") String initiator,
            @HeaderParam("If-Match") String ifMatch) {
        return modify(target, initiator, ifMatch, false, old -> old.withAuth(Authentication.NONE));
    }

    @GET
    @Path("{initiator}/auth")
    public Response getAuth(@PathParam("target") String target, @PathParam("initiator") String initiator) {
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), AuthView.of(Views.client(c, target, initiator).auth()));
    }

    /** Maps LUN {@code lun} to the client (the client then sees only its listed LUNs and its host group's). */
    @PUT
    @Path("{initiator}/luns/{lun}")
    public Response mapLun(
            @PathParam("target") String target,
            @PathParam("initiator") String initiator,
            @PathParam("lun") int lun,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force) {
        return modify(target, initiator, ifMatch, force, old -> {
            TreeSet<Integer> luns = new TreeSet<>(old.luns());
            luns.add(lun);
            return new Client(target, initiator, old.auth(), false, luns);
        });
    }

    @DELETE
    @Path("{initiator}/luns/{lun}")
    public Response unmapLun(
            @PathParam("target") String target,
            @PathParam("initiator") String initiator,
            @PathParam("lun") int lun,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force) {
        return modify(target, initiator, ifMatch, force, old -> {
            if (old.allLuns()) {
                throw ApiException.conflict(
                        "client " + initiator + " sees all LUNs: set \"allLuns\": false with a LUN list instead");
            }
            if (!old.luns().contains(lun)) {
                throw ApiException.notFound("client " + initiator + " does not map LUN " + lun);
            }
            TreeSet<Integer> luns = new TreeSet<>(old.luns());
            luns.remove(lun);
            return new Client(target, initiator, old.auth(), false, luns);
        });
    }

    private Response modify(
            String target, String initiator, String ifMatch, boolean force, UnaryOperator<Client> edit) {
        long epoch = config.change(Http.ifMatch(ifMatch), force, c -> {
            Client next = edit.apply(Views.client(c, target, initiator));
            checkLuns(c, next);
            return List.of(new ConfigChange.PutClient(next));
        });
        ClusterConfig c = config.read();
        return Http.changed(epoch, Views.client(c, Views.client(c, target, initiator)));
    }

    private static void checkLuns(ClusterConfig c, Client client) {
        for (int n : client.luns()) {
            if (c.lun(client.target(), n).isEmpty()) {
                throw ApiException.notFound("target " + client.target() + " has no LUN " + n);
            }
        }
    }
}
