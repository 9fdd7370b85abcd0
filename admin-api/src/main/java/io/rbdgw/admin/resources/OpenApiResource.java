package io.rbdgw.admin.resources;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;

/** Serves the OpenAPI description at /openapi.json, without authentication. */
@PermitAll // deliberately public: it describes the API, holds no configuration
@Path("/openapi.json")
@Produces(MediaType.APPLICATION_JSON)
public final class OpenApiResource {
    private final Map<String, Object> document;

    public OpenApiResource(Map<String, Object> document) {
        this.document = document;
    }

    @GET
    public Map<String, Object> get() {
        return document;
    }
}
