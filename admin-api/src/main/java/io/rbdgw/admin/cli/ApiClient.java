package io.rbdgw.admin.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

/** A small JSON client of the admin API (java.net.http), turning error answers into {@link ApiError}s with the server's message. */
public final class ApiClient {
    /** An answer with a 4xx/5xx status, or no answer at all (status 0). */
    public static final class ApiError extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;

        ApiError(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final HttpClient http;
    private final ObjectMapper mapper = new ObjectMapper();
    private final ObjectMapper lenient =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private final URI base;
    private final String authorization;

    public ApiClient(URI base, String user, String password) {
        this(base, user, password, null);
    }

    /** @param tls the trust for https URLs (e.g. {@link io.rbdgw.admin.tls.Pem#trusting}); null for the JDK's default CAs */
    public ApiClient(URI base, String user, String password, SSLContext tls) {
        HttpClient.Builder h = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
        if (tls != null) {
            h.sslContext(tls);
        }
        this.http = h.build();
        String b = base.toString();
        this.base = URI.create(b.endsWith("/") ? b : b + "/");
        this.authorization = password == null
                ? null
                : "Basic "
                        + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private volatile HttpHeaders lastHeaders;
    private volatile int lastStatus;

    public ObjectMapper mapper() {
        return mapper;
    }

    /** Encodes one path segment (IQNs contain ':' which is fine, but be safe with anything else). */
    public static String seg(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%3A", ":");
    }

    /** A header of the last response, or null. */
    public String lastHeader(String name) {
        HttpHeaders h = lastHeaders;
        return h == null ? null : h.firstValue(name).orElse(null);
    }

    public JsonNode get(String path) throws ApiError {
        return send("GET", path, null);
    }

    /** A GET read into one of the API's representation records (fields a newer server added are ignored). */
    public <T> T get(String path, Class<T> type) throws ApiError {
        return as(get(path), type);
    }

    /** An answer read into one of the API's representation records (fields a newer server added are ignored). */
    public <T> T as(JsonNode answer, Class<T> type) throws ApiError {
        try {
            return lenient.treeToValue(answer, type);
        } catch (IOException e) {
            throw new ApiError(
                    0,
                    "the admin API answered something this CLI cannot read as " + type.getSimpleName() + ": "
                            + e.getMessage());
        }
    }

    public JsonNode post(String path, Object body) throws ApiError {
        return send("POST", path, body);
    }

    public JsonNode put(String path, Object body) throws ApiError {
        return send("PUT", path, body);
    }

    public JsonNode delete(String path) throws ApiError {
        return send("DELETE", path, null);
    }

    public JsonNode send(String method, String path, Object body) throws ApiError {
        return send(method, path, body, Map.of());
    }

    /** The HTTP status of the last answer (0 before any). */
    public int lastStatus() {
        return lastStatus;
    }

    public JsonNode send(String method, String path, Object body, Map<String, String> headers) throws ApiError {
        URI uri = base.resolve(path.startsWith("/") ? path.substring(1) : path);
        HttpRequest.Builder req =
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("Accept", "application/json");
        if (authorization != null) {
            req.header("Authorization", authorization);
        }
        headers.forEach(req::header);
        try {
            if (body != null) {
                req.header("Content-Type", "application/json");
                req.method(method, HttpRequest.BodyPublishers.ofByteArray(mapper.writeValueAsBytes(body)));
            } else if (method.equals("PUT") || method.equals("POST")) {
                req.header("Content-Type", "application/json");
                req.method(method, HttpRequest.BodyPublishers.ofString("{}"));
            } else {
                req.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            lastHeaders = r.headers();
            lastStatus = r.statusCode();
            JsonNode json = r.body() == null || r.body().isBlank() ? MissingNode.getInstance() : parse(r.body());
            if (r.statusCode() >= 400) {
                String msg = json.path("message").asText(null);
                if (msg == null || msg.isBlank()) {
                    msg = r.statusCode() == 401 ? "authentication failed: check --user and the password" : r.body();
                }
                // a change refused because logged-in hosts would lose LUNs: name each session
                for (JsonNode x : json.path("sessions")) {
                    msg += "\n  gateway " + x.path("gateway").asText() + ": "
                            + (x.path("initiator").isTextual()
                                    ? x.path("initiator").asText()
                                    : "(unlisted sessions)")
                            + " on " + x.path("target").asText() + " would lose LUNs " + x.path("luns");
                }
                if (json.path("sessions").size() > 0) {
                    msg += "\n  to go ahead anyway (the hosts get REPORTED LUNS DATA HAS CHANGED): repeat with --force";
                }
                throw new ApiError(r.statusCode(), msg);
            }
            return json;
        } catch (SSLHandshakeException e) {
            throw new ApiError(
                    0,
                    "cannot verify the TLS certificate of the admin API at " + base + " (" + e.getMessage()
                            + "): give the CA or the server's certificate with --cacert FILE or RBDGW_CACERT");
        } catch (IOException e) {
            throw new ApiError(0, "cannot reach the admin API at " + base + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(0, "interrupted");
        }
    }

    private JsonNode parse(String body) {
        try {
            return mapper.readTree(body);
        } catch (IOException e) {
            return mapper.getNodeFactory().textNode(body);
        }
    }
}
