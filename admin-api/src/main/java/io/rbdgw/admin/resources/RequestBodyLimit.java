package io.rbdgw.admin.resources;

import io.dropwizard.jersey.errors.ErrorMessage;
import jakarta.annotation.Priority;
import jakarta.ws.rs.ClientErrorException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Caps request bodies at {@link #MAX_BYTES}: a declared longer one is refused with 413 before anything reads it, and
 * one without a length (chunked) fails with 413 as soon as its reader passes the cap. Nothing is read here, so
 * unauthenticated requests cost no buffering; what the resource reads is kept (up to the cap) for the audit trail.
 */
@PreMatching
@Priority(100)
public final class RequestBodyLimit implements ContainerRequestFilter {
    /** 1 MiB: the largest real request (a host group of many members) is a few KiB. */
    public static final int MAX_BYTES = 1 << 20;
    /** Request property: the {@link Captured} stream of the body. */
    public static final String BODY_PROPERTY = "rbdgw.body";

    @Override
    public void filter(ContainerRequestContext request) {
        String length = request.getHeaderString(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            long n;
            try {
                n = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n > MAX_BYTES) {
                request.abortWith(tooLarge());
                return;
            }
        }
        if (request.hasEntity()) {
            Captured body = new Captured(request.getEntityStream());
            request.setEntityStream(body);
            request.setProperty(BODY_PROPERTY, body);
        }
    }

    static Response tooLarge() {
        return Response.status(413)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorMessage(413, "the request body is larger than " + (MAX_BYTES >> 10) + " KiB"))
                .build();
    }

    /** The body as its reader consumes it, refusing to go past the cap and keeping a copy. */
    public static final class Captured extends FilterInputStream {
        private final ByteArrayOutputStream copy = new ByteArrayOutputStream();
        private long count;

        Captured(InputStream in) {
            super(in);
        }

        /** What was read so far. */
        public byte[] bytes() {
            return copy.toByteArray();
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(new byte[] {(byte) b}, 0, 1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] sink = new byte[(int) Math.min(n, 8192)];
            int r = read(sink, 0, sink.length);
            return Math.max(0, r);
        }

        private void count(byte[] b, int off, int n) {
            count += n;
            if (count > MAX_BYTES) {
                throw new ClientErrorException(tooLarge());
            }
            copy.write(b, off, n);
        }
    }
}
