package io.rbdgw.admin.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rbdgw.admin.AdminApi;
import io.rbdgw.admin.AdminServer;
import io.rbdgw.admin.auth.AuthFeature;
import io.rbdgw.admin.resources.OpenApiDocument;
import io.rbdgw.config.store.ConfigStore;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Authentication cannot be routed around: every path of /openapi.json with every method and many spellings of the
 * URL, without credentials, over a real socket to the real server.
 */
class AuthBypassTest {
    static final String PASSWORD = TestApi.PASSWORD;
    static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
    static final Set<Integer> REFUSALS = Set.of(400, 401, 404, 405);
    static final String T = "iqn.2003-01.org.example:bypass";
    static ConfigStore store;
    static AdminServer server;
    static RawHttp http;

    @BeforeAll
    static void start() throws Exception {
        TestApi api = TestApi.start("bypass");
        store = api.store;
        server = api.server;
        http = api.http;
        // something to read and to change, so a bypass would show as 2xx rather than 404
        assertThat(http.send(
                                "POST",
                                "/api/targets",
                                "{\"iqn\":\"" + T + "\"}",
                                Map.of("Authorization", RawHttp.basic("admin", PASSWORD)))
                        .status())
                .isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A concrete path for a template: parameters get values that exist where that matters. */
    static String concrete(String template) {
        return template.replace("{target}", T)
                .replace("{initiator}", "iqn.1994-05.com.redhat:h1")
                .replace("{pool}", "local")
                .replace("{image}", "d1")
                .replace("{name}", "n1")
                .replace("{lun}", "0")
                .replace("{key}", "cmdsnDepth");
    }

    /** The path spelled many ways that a naive prefix or string match could get wrong. */
    static Set<String> spellings(String path) {
        Set<String> out = new LinkedHashSet<>();
        out.add(path);
        String[] seg = path.substring(1).split("/");
        for (int i = 0; i < seg.length; i++) {
            out.add(with(seg, i, seg[i] + ";x=1"));
            out.add(with(seg, i, seg[i] + ";"));
            out.add(with(seg, i, "." + "/" + seg[i]));
            out.add(with(seg, i, "x/../" + seg[i]));
            out.add(with(seg, i, "/" + seg[i]));
            out.add(with(seg, i, String.format("%%%02X", (int) seg[i].charAt(0)) + seg[i].substring(1)));
            out.add(with(seg, i, seg[i].toUpperCase(Locale.ROOT)));
        }
        out.add("/" + String.join("%2F", seg));
        out.add("/" + String.join("%2f", seg));
        out.add(path + "/");
        out.add(path + "?x=1");
        out.add("/" + path);
        out.add(path.toUpperCase(Locale.ROOT));
        return out;
    }

    private static String with(String[] seg, int i, String replacement) {
        String[] copy = seg.clone();
        copy[i] = replacement;
        return "/" + String.join("/", copy);
    }

    @Test
    void noPathMethodOrSpellingIsServedWithoutCredentials() throws Exception {
        JsonNode doc = new ObjectMapper()
                .readTree(http.send("GET", "/openapi.json", null, Map.of()).body());
        List<String> violations = new ArrayList<>();
        int requests = 0;
        for (Iterator<String> it = doc.get("paths").fieldNames(); it.hasNext(); ) {
            String template = it.next();
            boolean publicPath = template.equals("/openapi.json");
            for (String spelling : spellings(concrete(template))) {
                for (String method : METHODS) {
                    String body = method.equals("POST") || method.equals("PUT") || method.equals("PATCH") ? "{}" : null;
                    RawHttp.Answer a = http.send(method, spelling, body, Map.of());
                    requests++;
                    boolean publicGet = publicPath && (method.equals("GET") || method.equals("HEAD"));
                    if (publicGet
                            ? a.status() >= 300 && a.status() != 404 && a.status() != 400
                            : !REFUSALS.contains(a.status())) {
                        violations.add(method + " " + spelling + " -> " + a.status());
                    }
                }
            }
        }
        assertThat(requests).isGreaterThan(2000);
        assertThat(violations).isEmpty();
        // and the change a bypass could have made did not happen
        assertThat(store.read().targets()).hasSize(1);
    }

    @Test
    void theRealMatrixParameterBypassIsClosed() throws Exception {
        assertThat(http.send("GET", "/api;/config", null, Map.of()).status()).isEqualTo(401);
        assertThat(http.send("POST", "/api;/targets", "{\"iqn\":\"iqn.2003-01.org.example:evil\"}", Map.of())
                        .status())
                .isEqualTo(401);
        assertThat(store.read().target("iqn.2003-01.org.example:evil")).isEmpty();
    }

    @Test
    void pathsOutsideTheDocumentAreNotServedEither() throws Exception {
        for (String p : List.of(
                "/application.wadl",
                "/api/application.wadl",
                "/application.wadl?detail=true",
                "/api/",
                "/api//",
                "/%2e%2e/api/config",
                "/api/%2e%2e/api/config",
                "/api/config/..",
                "/x/..;/api/config",
                "/api/audit;")) {
            for (String method : METHODS) {
                int status = http.send(method, p, method.equals("POST") || method.equals("PUT") ? "{}" : null, Map.of())
                        .status();
                assertThat(status).as(method + " " + p).isIn(400, 401, 404, 405);
            }
        }
    }

    @Test
    void generatedOptionsNeedCredentialsAndAreDeniedWithThem() throws Exception {
        assertThat(http.send("OPTIONS", "/api/targets", null, Map.of()).status())
                .isEqualTo(401);
        assertThat(http.send("OPTIONS", "/api/targets", null, Map.of("Authorization", RawHttp.basic("admin", PASSWORD)))
                        .status())
                .isEqualTo(403);
    }

    /** Deny by default rests on the annotations: every resource method of the API must carry one. */
    @Test
    void everyResourceMethodHasAnAccessRule() throws Exception {
        for (OpenApiDocument.Operation op : OpenApiDocument.operations(AdminApi.RESOURCES)) {
            AuthFeature.Access access = AuthFeature.access(op.method().getDeclaringClass(), op.method());
            if (op.path().equals("/openapi.json")) {
                assertThat(access).as(op.path()).isInstanceOf(AuthFeature.Access.Public.class);
            } else {
                assertThat(access)
                        .as(op.httpMethod() + " " + op.path())
                        .isEqualTo(new AuthFeature.Access.Roles(Set.of("admin")));
            }
        }
        class Unannotated {
            @jakarta.ws.rs.GET
            public String get() {
                return "";
            }
        }
        assertThat(AuthFeature.access(Unannotated.class, Unannotated.class.getDeclaredMethod("get")))
                .isInstanceOf(AuthFeature.Access.Denied.class);
    }
}
