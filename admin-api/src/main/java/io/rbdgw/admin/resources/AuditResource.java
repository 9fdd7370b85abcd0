package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.AuditEntry;
import io.rbdgw.admin.auth.AdminAuthenticator;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.AuditLog;
import io.rbdgw.admin.core.ConfigService;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/** The audit trail of accepted changes, newest first. */
@RolesAllowed(AdminAuthenticator.ADMIN_ROLE)
@Path("/api/audit")
@Produces(MediaType.APPLICATION_JSON)
public final class AuditResource {
    private final AuditLog audit;
    private final ConfigService config;

    public AuditResource(AuditLog audit, ConfigService config) {
        this.audit = audit;
        this.config = config;
    }

    /** The newest {@code limit} entries (default 100, at most 1000). */
    @GET
    public Response list(@QueryParam("limit") Integer limit) {
        int n = limit == null ? 100 : limit;
        if (n < 1 || n > AuditLog.DEFAULT_CAPACITY) {
            throw ApiException.badRequest("limit must be between 1 and " + AuditLog.DEFAULT_CAPACITY);
        }
        List<AuditEntry> entries;
        try {
            entries = audit.recent(n);
        } catch (Exception e) {
            throw ApiException.unavailable("cannot read the audit trail: " + e.getMessage());
        }
        return Http.ok(config.epoch(), entries);
    }
}
