package io.rbdgw.admin.resources;

import io.dropwizard.jersey.errors.ErrorMessage;
import io.rbdgw.admin.core.ApiException;
import io.rbdgw.config.store.ConfigStoreException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.util.NoSuchElementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns refusals into JSON {code, message} answers: the model's validation messages are meant for the caller. */
public final class ErrorMappers {
    private static final Logger log = LoggerFactory.getLogger(ErrorMappers.class);

    private ErrorMappers() {
    }

    static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ErrorMessage(status, message)).build();
    }

    /** All mappers, for registering with Jersey. */
    public static Object[] all() {
        return new Object[] {new Api(), new Invalid(), new Missing(), new Store()};
    }

    public static final class Api implements ExceptionMapper<ApiException> {
        @Override
        public Response toResponse(ApiException e) {
            if (e.status() >= 500) {
                log.warn("admin request failed: {}", e.getMessage());
            }
            return error(e.status(), e.getMessage());
        }
    }

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

    public static final class Store implements ExceptionMapper<ConfigStoreException> {
        @Override
        public Response toResponse(ConfigStoreException e) {
            log.warn("configuration store failure: {}", e.getMessage());
            return error(503, "the configuration store is unavailable: " + e.getMessage());
        }
    }
}
