package io.rbdgw.admin.resources;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.rbdgw.admin.api.AuditEntry;
import io.rbdgw.admin.auth.AuthFeature;
import io.rbdgw.admin.core.AuditLog;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.core.EntityTag;
import java.io.IOException;
import java.time.Instant;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records every accepted change (a 2xx answer to POST, PUT, PATCH or DELETE) in the {@link AuditLog} and as one
 * INFO line, right after the change committed. Request bodies are kept with every field whose name contains
 * "secret" or "password" replaced by "***" (at any depth), and shortened. A failure to record is logged, not
 * turned into a failure of the change that already happened.
 */
public final class AuditTrail implements ContainerResponseFilter {
    private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);
    private static final Set<String> CHANGES = Set.of("POST", "PUT", "PATCH", "DELETE");
    static final int MAX_BODY = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuditLog audit;

    public AuditTrail(AuditLog audit) {
        this.audit = audit;
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
        if (!CHANGES.contains(request.getMethod()) || response.getStatus() < 200 || response.getStatus() >= 300) {
            return;
        }
        Object user = request.getProperty(AuthFeature.USER_PROPERTY);
        Object address = request.getProperty(AuthFeature.REMOTE_ADDRESS_PROPERTY);
        Object body = request.getProperty(RequestBodyLimit.BODY_PROPERTY);
        // with the query: a forced change (?force=true) or a dry run (?dryRun=true) must be told apart in the trail
        String query = request.getUriInfo().getRequestUri().getRawQuery();
        String path = Messages.truncate(
                request.getUriInfo().getRequestUri().getRawPath() + (query == null ? "" : "?" + query));
        AuditEntry entry = new AuditEntry(
                0,
                Instant.now().toString(),
                user == null ? "anonymous" : user.toString(),
                address == null ? "unknown" : address.toString(),
                request.getMethod(),
                path,
                body instanceof RequestBodyLimit.Captured c ? summary(c.bytes()) : null,
                response.getStatus(),
                epoch(response.getEntityTag()));
        log.info(
                "audit: {} {} by {} from {} -> {} (epoch {}) {}",
                entry.method(),
                entry.path(),
                entry.user(),
                entry.address(),
                entry.status(),
                entry.epoch(),
                entry.body() == null ? "" : entry.body());
        try {
            audit.append(entry);
        } catch (Exception e) {
            log.warn(
                    "could not record {} {} by {} in the audit trail {}: {}",
                    entry.method(),
                    entry.path(),
                    entry.user(),
                    audit.path(),
                    e.toString());
        }
    }

    private static Long epoch(EntityTag tag) {
        if (tag == null || tag.isWeak()) {
            return null;
        }
        try {
            return Long.parseLong(tag.getValue());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The body as compact JSON with secrets redacted, at most {@link #MAX_BODY} characters; never the raw text. */
    static String summary(byte[] body) {
        if (body.length == 0) {
            return null;
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(body);
        } catch (IOException e) {
            return "(" + body.length + " bytes, not JSON)"; // not echoed: it could hold anything
        }
        if (tree == null) {
            return null;
        }
        String s = redact(tree).toString();
        return s.length() > MAX_BODY ? s.substring(0, MAX_BODY) + "…" : s;
    }

    static JsonNode redact(JsonNode node) {
        if (node.isObject()) {
            ObjectNode o = (ObjectNode) node;
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String name = f.getKey().toLowerCase(Locale.ROOT);
                if (name.contains("secret") || name.contains("password")) {
                    f.setValue(TextNode.valueOf("***"));
                } else {
                    redact(f.getValue());
                }
            }
        } else if (node.isArray()) {
            node.forEach(AuditTrail::redact);
        }
        return node;
    }
}
