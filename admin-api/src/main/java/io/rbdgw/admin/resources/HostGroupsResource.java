package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.HostGroupRequest;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.HostGroup;
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
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/** Host groups of a target: initiators that all see the same disks. */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api/targets/{target}/hostgroups")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class HostGroupsResource {
    private final ConfigService config;

    public HostGroupsResource(ConfigService config) {
        this.config = config;
    }

    @GET
    public Response list(@PathParam("target") String target) {
        ClusterConfig c = config.read();
        Views.target(c, target);
        return Http.ok(
                c.epoch(), c.hostGroups(target).stream().map(Views::hostGroup).toList());
    }

    @POST
    public Response create(
            @PathParam("target") String target, @HeaderParam("If-Match") String ifMatch, HostGroupRequest req) {
        Http.required(req, "request body");
        String name = Names.name("host group name", Http.required(req.name(), "name"));
        HostGroup g = new HostGroup(target, name, set(req.members()), set(req.disks()));
        long epoch = config.change(Http.ifMatch(ifMatch), c -> {
            Views.target(c, target);
            if (c.hostGroup(target, name).isPresent()) {
                throw ApiException.conflict("host group " + name + " already exists on target " + target);
            }
            check(c, g);
            return List.of(new ConfigChange.PutHostGroup(g));
        });
        return Http.created(epoch, URI.create("/api/targets/" + target + "/hostgroups/" + name), Views.hostGroup(g));
    }

    @GET
    @Path("{name}")
    public Response get(@PathParam("target") String target, @PathParam("name") String name) {
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), Views.hostGroup(Views.hostGroup(c, target, name)));
    }

    /** Replaces members and/or disks (absent lists keep their values). */
    @PUT
    @Path("{name}")
    public Response update(
            @PathParam("target") String target,
            @PathParam("name") String name,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force,
            HostGroupRequest req) {
        Http.required(req, "request body");
        return modify(
                target,
                name,
                ifMatch,
                force,
                old -> new HostGroup(
                        target,
                        name,
                        req.members() != null ? set(req.members()) : new TreeSet<>(old.members()),
                        req.disks() != null ? set(req.disks()) : new TreeSet<>(old.disks())));
    }

    @DELETE
    @Path("{name}")
    public Response delete(
            @PathParam("target") String target,
            @PathParam("name") String name,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force) {
        long epoch = config.change(Http.ifMatch(ifMatch), force, c -> {
            Views.hostGroup(c, target, name);
            return List.of(new ConfigChange.DeleteHostGroup(target, name));
        });
        return Http.changed(epoch, null);
    }

    @PUT
    @Path("{name}/members/{initiator}")
    public Response addMember(
            @PathParam("target") String target,
            @PathParam("name") String name,
            @PathParam("initiator") String initiator,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force) {
        return modify(target, name, ifMatch, force, old -> {
            TreeSet<String> m = new TreeSet<>(old.members());
            m.add(initiator);
            return new HostGroup(target, name, m, new TreeSet<>(old.disks()));
        });
    }

    @DELETE
    @Path("{name}/members/{initiator}")
    public Response removeMember(
            @PathParam("target") String target,
            @PathParam("name") String name,
            @PathParam("initiator") String initiator,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force) {
        return modify(target, name, ifMatch, force, old -> {
            if (!old.members().contains(initiator)) {
                throw ApiException.notFound("host group " + name + " has no member " + initiator);
            }
            TreeSet<String> m = new TreeSet<>(old.members());
            m.remove(initiator);
            return new HostGroup(target, name, m, new TreeSet<>(old.disks()));
        });
    }

    @PUT
    @Path("{name}/disks/{pool}/{image}")
    public Response addDisk(
            @PathParam("target") String target,
            @PathParam("name") String name,
            @PathParam("pool") String pool,
            @PathParam("image") String image,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force) {
        return modify(target, name, ifMatch, force, old -> {
            TreeSet<String> d = new TreeSet<>(old.disks());
            d.add(pool + "/" + image);
            return new HostGroup(target, name, new TreeSet<>(old.members()), d);
        });
    }

    @DELETE
    @Path("{name}/disks/{pool}/{image}")
    public Response removeDisk(
            @PathParam("target") String target,
            @PathParam("name") String name,
            @PathParam("pool") String pool,
            @PathParam("image") String image,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force) {
        String id = pool + "/" + image;
        return modify(target, name, ifMatch, force, old -> {
            if (!old.disks().contains(id)) {
                throw ApiException.notFound("host group " + name + " does not list disk " + id);
            }
            TreeSet<String> d = new TreeSet<>(old.disks());
            d.remove(id);
            return new HostGroup(target, name, new TreeSet<>(old.members()), d);
        });
    }

    private Response modify(String target, String name, String ifMatch, boolean force, UnaryOperator<HostGroup> edit) {
        HostGroup[] out = new HostGroup[1];
        long epoch = config.change(Http.ifMatch(ifMatch), force, c -> {
            HostGroup next = edit.apply(Views.hostGroup(c, target, name));
            check(c, next);
            out[0] = next;
            return List.of(new ConfigChange.PutHostGroup(next));
        });
        return Http.changed(epoch, Views.hostGroup(out[0]));
    }

    /** Unknown members and disks are 404s, with the fix in the message. */
    private static void check(ClusterConfig c, HostGroup g) {
        Set<String> before =
                c.hostGroup(g.target(), g.name()).map(HostGroup::members).orElse(Collections.emptySortedSet());
        for (String m : g.members()) {
            var client = c.client(g.target(), m);
            if (client.isEmpty()) {
                throw ApiException.notFound(
                        "initiator " + m + " is not a client of target " + g.target() + ": create the client first");
            }
            if (client.get().allLuns() && !before.contains(m)) {
                // the group's disks would change nothing for it: say so rather than let it silently see everything
                throw ApiException.conflict(
                        "client " + m + " sees all LUNs (allLuns: true), so the group's disks would not"
                                + " limit what it sees: set \"allLuns\": false on the client first");
            }
            c.hostGroupOf(g.target(), m).filter(o -> !o.name().equals(g.name())).ifPresent(o -> {
                throw ApiException.conflict("initiator " + m + " is already in host group " + o.name());
            });
        }
        for (String d : g.disks()) {
            if (c.luns(g.target()).stream().noneMatch(l -> l.diskId().equals(d))) {
                throw ApiException.notFound(
                        "disk " + d + " is not a LUN of target " + g.target() + ": add the LUN first");
            }
        }
    }

    private static TreeSet<String> set(List<String> in) {
        return in == null ? new TreeSet<>() : new TreeSet<>(in);
    }
}
