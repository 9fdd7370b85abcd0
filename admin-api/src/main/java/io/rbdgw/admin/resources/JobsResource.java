package io.rbdgw.admin.resources;

import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.Jobs;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** Long operations started with {@code Prefer: respond-async}: their state, progress and outcome. */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api/jobs")
@Produces(MediaType.APPLICATION_JSON)
public final class JobsResource {
    private final Jobs jobs;

    public JobsResource(Jobs jobs) {
        this.jobs = jobs;
    }

    /** The kept jobs of every admin API instance, newest first. */
    @GET
    public Response list() {
        return Response.ok(jobs.list()).build();
    }

    @GET
    @Path("{id}")
    public Response get(@PathParam("id") String id) {
        return Response.ok(jobs.get(id)).build();
    }
}
