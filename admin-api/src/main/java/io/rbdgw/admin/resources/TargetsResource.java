package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.AuthRequest;
import io.rbdgw.admin.api.AuthView;
import io.rbdgw.admin.api.LunRequest;
import io.rbdgw.admin.api.LunView;
import io.rbdgw.admin.api.TargetRequest;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Lun;
import io.rbdgw.config.model.Names;
import io.rbdgw.config.model.Setting;
import io.rbdgw.config.model.Target;
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
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/** Targets, their target-level CHAP, and their LUNs. */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api/targets")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class TargetsResource {
    private final ConfigService config;

    public TargetsResource(ConfigService config) {
        this.config = config;
    }

    @GET
    public Response list() {
        ClusterConfig c = config.read();
        return Http.ok(
                c.epoch(), c.targets().stream().map(t -> Views.target(c, t)).toList());
    }

    @POST
    public Response create(@HeaderParam("If-Match") String ifMatch, TargetRequest req) {
        Http.required(req, "request body");
        String iqn = Names.iscsiName("target", Http.required(req.iqn(), "iqn"));
        Target t = new Target(
                iqn, req.alias(), req.acl() == null || req.acl(), Authentication.NONE, withoutNulls(req.parameters()));
        long epoch = config.change(Http.ifMatch(ifMatch), c -> {
            if (c.target(iqn).isPresent()) {
                throw ApiException.conflict("target " + iqn + " already exists");
            }
            return List.of(new ConfigChange.PutTarget(t));
        });
        return Http.created(epoch, URI.create("/api/targets/" + iqn), Views.target(config.read(), t));
    }

    @GET
    @Path("{iqn}")
    public Response get(@PathParam("iqn") String iqn) {
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), Views.target(c, Views.target(c, iqn)));
    }

    /** Changes alias, ACL mode and parameter overrides; absent fields keep their values. */
    @PUT
    @Path("{iqn}")
    public Response update(
            @PathParam("iqn") String iqn,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force,
            TargetRequest req) {
        Http.required(req, "request body");
        if (req.iqn() != null && !req.iqn().equals(iqn)) {
            throw ApiException.badRequest("a target cannot be renamed (" + iqn + " -> " + req.iqn() + ")");
        }
        long epoch = config.change(Http.ifMatch(ifMatch), force, c -> {
            Target old = Views.target(c, iqn);
            TreeMap<String, String> params = new TreeMap<>(old.parameters());
            if (req.parameters() != null) {
                req.parameters().forEach((k, v) -> {
                    if (v == null) {
                        params.remove(Setting.of(k).key());
                    } else {
                        Setting s = Setting.of(k);
                        params.put(s.key(), s.settable(v));
                    }
                });
            }
            Target t = new Target(
                    iqn,
                    req.alias() != null ? emptyToNull(req.alias()) : old.alias(),
                    req.acl() != null ? req.acl() : old.aclEnabled(),
                    old.auth(),
                    params);
            return List.of(new ConfigChange.PutTarget(t));
        });
        ClusterConfig c = config.read();
        return Http.changed(epoch, Views.target(c, Views.target(c, iqn)));
    }

    /** Deletes the target with its LUNs, clients and host groups; the disks stay. */
    @DELETE
    @Path("{iqn}")
    public Response delete(
            @PathParam("iqn") String iqn,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force) {
        long epoch = config.change(Http.ifMatch(ifMatch), force, c -> {
            Views.target(c, iqn);
            return List.of(new ConfigChange.DeleteTarget(iqn));
        });
        return Http.changed(epoch, null);
    }

    // ---- target-level CHAP (used when the ACL is off) ------------------------------------------------------------

    @GET
    @Path("{iqn}/auth")
    public Response getAuth(@PathParam("iqn") String iqn) {
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), AuthView.of(Views.target(c, iqn).auth()));
    }

    @PUT
    @Path("{iqn}/auth")
    public Response setAuth(@PathParam("iqn") String iqn, @HeaderParam("If-Match") String ifMatch, AuthRequest req) {
        Authentication auth = Http.required(req, "request body").toModel();
        long epoch = config.change(
                Http.ifMatch(ifMatch),
                c -> List.of(new ConfigChange.PutTarget(Views.target(c, iqn).withAuth(auth))));
        return Http.changed(epoch, AuthView.of(auth));
    }

    @DELETE
    @Path("{iqn}/auth")
    public Response clearAuth(@PathParam("iqn") String iqn, @HeaderParam("If-Match") String ifMatch) {
        long epoch = config.change(
                Http.ifMatch(ifMatch),
                c -> List.of(new ConfigChange.PutTarget(Views.target(c, iqn).withAuth(Authentication.NONE))));
        return Http.changed(epoch, AuthView.of(Authentication.NONE));
    }

    // ---- LUNs --------------------------------------------------------------------------------------------------

    @GET
    @Path("{iqn}/luns")
    public Response luns(@PathParam("iqn") String iqn) {
        ClusterConfig c = config.read();
        Views.target(c, iqn);
        return Http.ok(c.epoch(), c.luns(iqn).stream().map(Views::lun).toList());
    }

    @GET
    @Path("{iqn}/luns/{lun}")
    public Response lun(@PathParam("iqn") String iqn, @PathParam("lun") int number) {
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), Views.lun(Views.lun(c, iqn, number)));
    }

    /** Maps a disk to a LUN number (the lowest free one if none is given). */
    @POST
    @Path("{iqn}/luns")
    public Response addLun(@PathParam("iqn") String iqn, @HeaderParam("If-Match") String ifMatch, LunRequest req) {
        Http.required(req, "request body");
        String disk = Http.required(req.disk(), "disk");
        AtomicReference<Lun> made = new AtomicReference<>();
        long epoch = config.change(Http.ifMatch(ifMatch), c -> {
            Views.target(c, iqn);
            Views.disk(c, disk);
            Set<Integer> used = c.luns(iqn).stream().map(Lun::number).collect(Collectors.toSet());
            c.luns(iqn).stream()
                    .filter(l -> l.diskId().equals(disk))
                    .findFirst()
                    .ifPresent(l -> {
                        throw ApiException.conflict(
                                "disk " + disk + " is already LUN " + l.number() + " of target " + iqn);
                    });
            int number;
            if (req.lun() != null) {
                number = req.lun();
                if (used.contains(number)) {
                    throw ApiException.conflict("target " + iqn + " already has LUN " + number);
                }
            } else {
                number = 0;
                while (used.contains(number)) {
                    number++;
                }
            }
            Lun l = new Lun(iqn, number, disk);
            made.set(l);
            return List.of(new ConfigChange.PutLun(l));
        });
        LunView v = Views.lun(made.get());
        return Http.created(epoch, URI.create("/api/targets/" + iqn + "/luns/" + v.lun()), v);
    }

    /** Unmaps a LUN; refused while a client maps it or a host group lists its disk. */
    @DELETE
    @Path("{iqn}/luns/{lun}")
    public Response removeLun(
            @PathParam("iqn") String iqn,
            @PathParam("lun") int number,
            @HeaderParam("If-Match") String ifMatch,
            @QueryParam("force") @DefaultValue("false") boolean force) {
        long epoch = config.change(Http.ifMatch(ifMatch), force, c -> {
            Lun l = Views.lun(c, iqn, number);
            c.clients(iqn).stream()
                    .filter(x -> x.luns().contains(number))
                    .findFirst()
                    .ifPresent(x -> {
                        throw ApiException.conflict(
                                "LUN " + number + " is mapped to client " + x.initiator() + ": unmap it first");
                    });
            c.hostGroups(iqn).stream()
                    .filter(g -> g.disks().contains(l.diskId()))
                    .findFirst()
                    .ifPresent(g -> {
                        throw ApiException.conflict(
                                "host group " + g.name() + " lists disk " + l.diskId() + ": remove it there first");
                    });
            return List.of(new ConfigChange.DeleteLun(iqn, number));
        });
        return Http.changed(epoch, null);
    }

    private static TreeMap<String, String> withoutNulls(Map<String, String> in) {
        TreeMap<String, String> out = new TreeMap<>();
        if (in != null) {
            in.forEach((k, v) -> {
                if (v != null) {
                    Setting s = Setting.of(k);
                    out.put(s.key(), s.settable(v)); // refuses what the gateway does not implement
                }
            });
        }
        return out;
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }
}
