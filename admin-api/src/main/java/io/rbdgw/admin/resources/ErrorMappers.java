package io.rbdgw.admin.resources;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.dropwizard.jersey.errors.ErrorMessage;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.admin.core.LiveSessionGuard;
import io.rbdgw.config.store.ConfigStoreException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.util.Collection;
import java.util.List;
import java.util.NoSuchElementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns refusals into JSON {code, message} answers: the model's validation messages are meant for the caller. */
public final class ErrorMappers {
    private static final Logger log = LoggerFactory.getLogger(ErrorMappers.class);

    private ErrorMappers() {}

    /** Every error answer of the API; the message is cut down (it may echo a caller's input of any size). */
    static Response error(int status, String message) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorMessage(status, Messages.truncate(message)))
                .build();
    }

    /** All mappers, for registering with Jersey. */
    public static Object[] all() {
        return new Object[] {new Api(), new Invalid(), new Missing(), new Store(), new Json()};
    }

    public static final class Api implements ExceptionMapper<ApiException> {
        @Override
        public Response toResponse(ApiException e) {
            if (e.status() >= 500) {
                log.warn("admin request failed: {}", Messages.truncate(e.getMessage()));
            }
            if (e instanceof LiveSessionGuard.LunsInUseException inUse) {
                // the sessions are the point of the answer: the caller decides from them whether to force
                return Response.status(409)
                        .type(MediaType.APPLICATION_JSON_TYPE)
                        .entity(new SessionsInUse(409, Messages.truncate(e.getMessage()), inUse.sessions()))
                        .build();
            }
            return error(e.status(), e.getMessage());
        }
    }

    /** The 409 answer to a change that would take LUNs from logged-in hosts. */
    public record SessionsInUse(int code, String message, List<LiveSessionGuard.Loss> sessions) {}

    /** The model records' validation (invalid IQN, CHAP credentials, size, inconsistent configuration). */
    public static final class Invalid implements ExceptionMapper<IllegalArgumentException> {
        @Override
        public Response toResponse(IllegalArgumentException e) {
            return error(400, e.getMessage() == null ? "invalid request" : e.getMessage());
        }
    }

    /** A change deleting something that is not there (it vanished between the check and the commit). */
    public static final class Missing implements ExceptionMapper<NoSuchElementException> {
        @Override
        public Response toResponse(NoSuchElementException e) {
            return error(404, e.getMessage());
        }
    }

    /**
     * A body that does not fit the request type: names the field (Dropwizard's own mapper answers a bare "Unable to
     * process JSON"), without echoing the input.
     */
    public static final class Json implements ExceptionMapper<JsonMappingException> {
        @Override
        public Response toResponse(JsonMappingException e) {
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                if (c instanceof WebApplicationException w) {
                    return w.getResponse(); // e.g. the body limit's 413, wrapped by Jackson on the way out
                }
            }
            String field = path(e);
            if (e instanceof UnrecognizedPropertyException u) {
                String where = field.contains(".") ? " in " + field.substring(0, field.lastIndexOf('.')) : "";
                return error(400, "unknown field \"" + u.getPropertyName() + "\"" + where);
            }
            if (e instanceof MismatchedInputException m && m.getTargetType() != null && !field.isEmpty()) {
                return error(400, "invalid value for field \"" + field + "\": expected " + typeName(m.getTargetType()));
            }
            return error(
                    400,
                    field.isEmpty()
                            ? "the request body is not valid for this request"
                            : "invalid value for field \"" + field + "\"");
        }

        private static String path(JsonMappingException e) {
            StringBuilder b = new StringBuilder();
            for (JsonMappingException.Reference r : e.getPath()) {
                if (r.getFieldName() != null) {
                    b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    b.append('[').append(r.getIndex()).append(']');
                }
            }
            return b.toString();
        }

        private static String typeName(Class<?> type) {
            if (type == String.class) {
                return "a string";
            }
            if (type.isPrimitive() || Number.class.isAssignableFrom(type)) {
                return type == boolean.class || type == Boolean.class ? "true or false" : "a number";
            }
            if (Collection.class.isAssignableFrom(type) || type.isArray()) {
                return "a list";
            }
            return "an object";
        }
    }

    public static final class Store implements ExceptionMapper<ConfigStoreException> {
        @Override
        public Response toResponse(ConfigStoreException e) {
            log.warn("configuration store failure: {}", e.getMessage());
            return error(503, "the configuration store is unavailable: " + e.getMessage());
        }
    }
}
