package io.rbdgw.admin.resources;

import io.rbdgw.admin.api.Changed;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.ClusterState;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.OptionalLong;

/** ETag/If-Match handling: the ETag of every answer is the configuration epoch it reflects. */
final class Http {
    private Http() {}

    static EntityTag tag(long epoch) {
        return new EntityTag(Long.toString(epoch));
    }

    static Response ok(long epoch, Object entity) {
        return Response.ok(entity).tag(tag(epoch)).build();
    }

    /** Session lists carry how many sessions there are in all, and whether some are not listed. */
    static Response withSessionTotals(Response r, ClusterState.Sessions s) {
        return Response.fromResponse(r)
                .header("X-Sessions-Total", s.total())
                .header("X-Sessions-Truncated", s.truncated())
                .build();
    }

    static <T> Response changed(long epoch, T value) {
        return Response.ok(new Changed<>(epoch, value)).tag(tag(epoch)).build();
    }

    static <T> Response created(long epoch, URI location, T value) {
        return Response.created(location)
                .entity(new Changed<>(epoch, value))
                .tag(tag(epoch))
                .build();
    }

    /**
     * The epoch an If-Match header names; empty for none or "*". A weak tag or one that is not an epoch can never
     * match: 412 with a message.
     */
    static OptionalLong ifMatch(String header) {
        if (header == null || header.isBlank() || header.trim().equals("*")) {
            return OptionalLong.empty();
        }
        String t = header.trim();
        if (t.startsWith("W/")) {
            // If-Match uses the strong comparison (RFC 9110 13.1.1): a weak tag never matches, so say so
            throw ApiException.preconditionFailed(
                    "If-Match needs a strong ETag: send the ETag of a GET as it is, without W/");
        }
        if (t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")) {
            t = t.substring(1, t.length() - 1);
        }
        try {
            return OptionalLong.of(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw ApiException.preconditionFailed(
                    "If-Match " + Messages.truncate(header) + " is not a configuration epoch (the ETag of a GET)");
        }
    }

    static <T> T required(T value, String what) {
        if (value == null || value instanceof String && ((String) value).isBlank()) {
            throw ApiException.badRequest(what + " is missing");
        }
        return value;
    }
}
