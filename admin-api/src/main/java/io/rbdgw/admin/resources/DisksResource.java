package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.Changed;
import io.rbdgw.admin.api.DiskRequest;
import io.rbdgw.admin.api.JobView;
import io.rbdgw.admin.api.SizeRequest;
import io.rbdgw.admin.api.Sizes;
import io.rbdgw.admin.api.SnapshotRequest;
import io.rbdgw.admin.api.SnapshotView;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.ConfigService;
import io.rbdgw.admin.core.DiskImages;
import io.rbdgw.admin.core.Jobs;
import io.rbdgw.config.model.Backstore;
import io.rbdgw.config.model.ClusterConfig;
import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Disk;
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
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.net.URI;
import java.security.Principal;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Disks: the configuration entry and the image or file behind it. Image operations happen outside the configuration
 * transaction, so they are ordered to leave nothing dangling: create the image, then commit (deleting the image again
 * if the commit fails); commit the removal, then delete the image.
 */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api/disks")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public final class DisksResource {
    private final ConfigService config;
    private final DiskImages images;
    private final Jobs jobs;

    /** @param jobs where {@code Prefer: respond-async} requests run */
    public DisksResource(ConfigService config, DiskImages images, Jobs jobs) {
        this.config = config;
        this.images = images;
        this.jobs = jobs;
    }

    /**
     * Runs {@code work} now, or with {@code Prefer: respond-async} (RFC 7240) as a job: 202 Accepted with the job and
     * its Location. What can be checked without touching images is checked before, so bad input is still a 4xx.
     */
    private Response maybeAsync(String prefer, SecurityContext who, String kind, String id, Jobs.Work work) {
        if (prefer != null
                && Arrays.stream(prefer.split(",")).anyMatch(p -> p.trim().equalsIgnoreCase("respond-async"))) {
            Principal user = who == null ? null : who.getUserPrincipal();
            JobView job = jobs.submit(kind, id, user == null ? null : user.getName(), work);
            return Response.accepted(job)
                    .location(URI.create("/api/jobs/" + job.id()))
                    .header("Preference-Applied", "respond-async")
                    .build();
        }
        return response(work.run(Jobs.Progress.NONE));
    }

    private static Response response(Jobs.Outcome o) {
        Response.ResponseBuilder r = Response.status(o.status()).entity(o.entity());
        if (o.location() != null) {
            r.location(o.location());
        }
        if (o.epoch() != null) {
            r.tag(Http.tag(o.epoch()));
        }
        return r.build();
    }

    @GET
    public Response list() {
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), c.disks().stream().map(d -> Views.disk(c, d)).toList());
    }

    /** Creates an image (or file) and its disk, or imports an existing one with {@code "create": false}. */
    @POST
    public Response create(
            @HeaderParam("If-Match") String ifMatch,
            @HeaderParam("Prefer") String prefer,
            @Context SecurityContext who,
            DiskRequest req) {
        Http.required(req, "request body");
        String pool = Names.name("pool", Http.required(req.pool(), "pool"));
        String image = Names.name("image", Http.required(req.image(), "image"));
        String id = pool + "/" + image;
        Backstore backstore = backstore(req.backstore());
        boolean create = req.create() == null || req.create();
        Long size = req.size() == null ? null : Sizes.parse(req.size());
        if (create && size == null) {
            throw ApiException.badRequest("size is missing");
        }
        OptionalLong expected = Http.ifMatch(ifMatch);
        ClusterConfig before = config.read();
        checkNotStale(expected, before);
        if (before.disk(id).isPresent()) {
            throw ApiException.conflict("disk " + id + " already exists");
        }
        return maybeAsync(prefer, who, "disk.create", id, progress -> {
            Disk disk = create
                    ? images.create(pool, image, size, backstore, req.wwnSeed())
                    : images.importExisting(pool, image, size, backstore, req.wwnSeed());
            long epoch;
            try {
                epoch = config.change(expected, c -> {
                    if (c.disk(id).isPresent()) {
                        throw ApiException.conflict("disk " + id + " already exists");
                    }
                    return List.of(new ConfigChange.PutDisk(disk));
                });
            } catch (RuntimeException e) {
                if (create) {
                    images.delete(disk); // do not leave an image nobody knows of
                }
                throw e;
            }
            return Jobs.Outcome.created(
                    epoch, URI.create("/api/disks/" + id), new Changed<>(epoch, Views.disk(config.read(), disk)));
        });
    }

    @GET
    @Path("{pool}/{image}")
    public Response get(@PathParam("pool") String pool, @PathParam("image") String image) {
        ClusterConfig c = config.read();
        return Http.ok(c.epoch(), Views.disk(c, Views.disk(c, pool + "/" + image)));
    }

    /** Grows the image and the disk (shrinking would destroy data the hosts consider theirs). */
    @PUT
    @Path("{pool}/{image}/size")
    public Response resize(
            @PathParam("pool") String pool,
            @PathParam("image") String image,
            @HeaderParam("If-Match") String ifMatch,
            @HeaderParam("Prefer") String prefer,
            @Context SecurityContext who,
            SizeRequest req) {
        long size = Sizes.parse(Http.required(req, "request body").size());
        String id = pool + "/" + image;
        OptionalLong expected = Http.ifMatch(ifMatch);
        ClusterConfig before = config.read();
        checkNotStale(expected, before);
        Disk disk = Views.disk(before, id);
        if (size < disk.size()) {
            throw ApiException.badRequest(
                    "disk " + id + " has " + disk.size() + " bytes; shrinking to " + size + " is not supported");
        }
        return maybeAsync(prefer, who, "disk.resize", id, progress -> {
            if (size > disk.size()) {
                images.resize(disk, size);
            }
            long epoch = config.change(
                    expected,
                    c -> List.of(new ConfigChange.PutDisk(Views.disk(c, id).withSize(size))));
            ClusterConfig c = config.read();
            return Jobs.Outcome.ok(epoch, new Changed<>(epoch, Views.disk(c, Views.disk(c, id))));
        });
    }

    /** Removes the disk; deletes its image or file too unless {@code preserveImage=true}. Refused while a LUN exports it. */
    @DELETE
    @Path("{pool}/{image}")
    public Response delete(
            @PathParam("pool") String pool,
            @PathParam("image") String image,
            @QueryParam("preserveImage") @DefaultValue("false") boolean preserveImage,
            @HeaderParam("If-Match") String ifMatch,
            @HeaderParam("Prefer") String prefer,
            @Context SecurityContext who) {
        String id = pool + "/" + image;
        OptionalLong expected = Http.ifMatch(ifMatch);
        ClusterConfig before = config.read();
        checkNotStale(expected, before);
        Views.disk(before, id); // 404 now rather than in a job
        return maybeAsync(prefer, who, "disk.delete", id, progress -> {
            Disk[] removed = new Disk[1];
            long epoch = config.change(expected, c -> {
                removed[0] = Views.disk(c, id);
                if (!preserveImage) {
                    images.checkFile(removed[0]); // a file outside the data directory: 400, and the disk stays
                }
                c.luns().stream().filter(l -> l.diskId().equals(id)).findFirst().ifPresent(l -> {
                    throw ApiException.conflict("disk " + id + " is LUN " + l.number() + " of target " + l.target()
                            + ": remove the LUN first");
                });
                return List.of(new ConfigChange.DeleteDisk(id));
            });
            if (!preserveImage) {
                try {
                    images.delete(removed[0], progress::percent);
                } catch (ApiException e) {
                    throw new ApiException(
                            e.status(),
                            "disk " + id + " was removed from the configuration (epoch " + epoch
                                    + ") but its image was not deleted: " + e.getMessage());
                }
            }
            return Jobs.Outcome.ok(epoch, new Changed<>(epoch, null));
        });
    }

    // ---- snapshots (RBD disks) ------------------------------------------------------------------------------

    @GET
    @Path("{pool}/{image}/snapshots")
    public Response snapshots(@PathParam("pool") String pool, @PathParam("image") String image) {
        ClusterConfig c = config.read();
        Disk d = Views.disk(c, pool + "/" + image);
        return Http.ok(
                c.epoch(),
                images.snapshots(d).stream()
                        .map(s -> new SnapshotView(s.name(), s.size()))
                        .toList());
    }

    @POST
    @Path("{pool}/{image}/snapshots")
    public Response createSnapshot(
            @PathParam("pool") String pool, @PathParam("image") String image, SnapshotRequest req) {
        String name = Names.name(
                "snapshot name",
                Http.required(Http.required(req, "request body").name(), "name"));
        ClusterConfig c = config.read();
        Disk d = Views.disk(c, pool + "/" + image);
        images.createSnapshot(d, name);
        return Response.created(URI.create("/api/disks/" + d.id() + "/snapshots/" + name))
                .entity(new SnapshotView(name, d.size()))
                .tag(Http.tag(c.epoch()))
                .build();
    }

    /**
     * Rolls the image back; refused while the disk is exported (hosts would see their data change under them) unless
     * forced. A rollback rewrites the whole image: with {@code Prefer: respond-async} it runs as a job with progress.
     */
    @POST
    @Path("{pool}/{image}/snapshots/{name}/rollback")
    public Response rollback(
            @PathParam("pool") String pool,
            @PathParam("image") String image,
            @PathParam("name") String name,
            @QueryParam("force") @DefaultValue("false") boolean force,
            @HeaderParam("Prefer") String prefer,
            @Context SecurityContext who) {
        ClusterConfig c = config.read();
        Disk d = Views.disk(c, pool + "/" + image);
        if (!force) {
            c.luns().stream().filter(l -> l.diskId().equals(d.id())).findFirst().ifPresent(l -> {
                throw ApiException.conflict("disk " + d.id() + " is LUN " + l.number() + " of target " + l.target()
                        + ": remove the LUN first, or pass force=true");
            });
        }
        return maybeAsync(prefer, who, "disk.rollback", d.id() + "@" + name, progress -> {
            images.rollbackSnapshot(d, name, progress::percent);
            return Jobs.Outcome.ok(c.epoch(), new SnapshotView(name, d.size()));
        });
    }

    @DELETE
    @Path("{pool}/{image}/snapshots/{name}")
    public Response deleteSnapshot(
            @PathParam("pool") String pool, @PathParam("image") String image, @PathParam("name") String name) {
        ClusterConfig c = config.read();
        Disk d = Views.disk(c, pool + "/" + image);
        images.deleteSnapshot(d, name);
        return Http.ok(c.epoch(), new Changed<>(c.epoch(), null));
    }

    private static Backstore backstore(String text) {
        if (text == null || text.isBlank()) {
            return Backstore.RBD;
        }
        try {
            return Backstore.valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("backstore '" + text + "' is invalid: use rbd or file");
        }
    }

    private static void checkNotStale(OptionalLong expected, ClusterConfig c) {
        if (expected.isPresent() && expected.getAsLong() != c.epoch()) {
            throw ApiException.preconditionFailed("the configuration is at epoch " + c.epoch() + ", not "
                    + expected.getAsLong() + " (If-Match): re-read and retry");
        }
    }
}
