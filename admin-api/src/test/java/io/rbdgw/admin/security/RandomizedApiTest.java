package io.rbdgw.admin.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rbdgw.admin.AdminServer;
import io.rbdgw.admin.TestZk;
import io.rbdgw.admin.auth.PasswordHash;
import io.rbdgw.config.store.ConfigStore;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Seeded random requests built from /openapi.json: routes with plausible and hostile parameters, every method, odd
 * URL spellings, JSON bodies from the request schemas (valid-looking, mistyped, with unknown fields, broken). Without
 * credentials nothing may succeed; with or without, nothing may fail on the server's side (5xx). Bounded in time
 * ({@code -Drbdgw.fuzz.seconds}, default 4); the seed is printed and can be replayed with {@code -Drbdgw.fuzz.seed}.
 */
class RandomizedApiTest {
    static final String PASSWORD = "correct horse battery";
    static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
    static final String T = "iqn.2003-01.org.example:fuzz";
    static final String I = "iqn.1994-05.com.redhat:fuzz1";
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static ConfigStore store;
    static AdminServer server;
    static RawHttp http;
    static JsonNode doc;

    record Op(String method, String template, JsonNode bodySchema) {}

    @BeforeAll
    static void start() throws Exception {
        store = TestZk.newStore();
        server = AdminServer.start(AdminServer.Options.of(store, PasswordHash.hash(PASSWORD.toCharArray(), 1000))
                .withListen("127.0.0.1", 0)
                .withDataDir(Files.createTempDirectory("fuzz")));
        http = new RawHttp(server.uri());
        doc = new ObjectMapper()
                .readTree(http.send("GET", "/openapi.json", null, Map.of()).body());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void randomRequestsNeverSucceedWithoutCredentialsNorFailOnTheServer() throws Exception {
        long seed = Long.getLong("rbdgw.fuzz.seed", System.nanoTime());
        long seconds = Long.getLong("rbdgw.fuzz.seconds", 4);
        System.out.println("RandomizedApiTest seed " + seed + " (replay with -Drbdgw.fuzz.seed=" + seed + ")");
        Random rnd = new Random(seed);
        List<Op> ops = operations();
        Map<String, String> auth = Map.of("Authorization", RawHttp.basic("admin", PASSWORD));
        // a few things to act on, so that requests reach deeper than 404
        http.send("POST", "/api/targets", "{\"iqn\":\"" + T + "\"}", auth);
        http.send(
                "POST",
                "/api/disks",
                "{\"pool\":\"local\",\"image\":\"d1\",\"size\":\"1M\",\"backstore\":\"file\"}",
                auth);
        http.send("POST", "/api/targets/" + T + "/luns", "{\"disk\":\"local/d1\"}", auth);
        http.send("POST", "/api/targets/" + T + "/clients", "{\"initiator\":\"" + I + "\"}", auth);

        List<String> violations = new ArrayList<>();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        int n = 0;
        int authorized2xx = 0;
        while (System.nanoTime() < end && violations.size() < 20) {
            Op op = ops.get(rnd.nextInt(ops.size()));
            String method = rnd.nextInt(5) == 0 ? METHODS.get(rnd.nextInt(METHODS.size())) : op.method();
            String path = fill(op.template(), rnd);
            if (rnd.nextInt(4) == 0) {
                List<String> sp = new ArrayList<>(AuthBypassTest.spellings(path));
                path = sp.get(rnd.nextInt(sp.size()));
            }
            if (rnd.nextInt(5) == 0) {
                path += "?" + pick(rnd, "limit", "target", "initiator", "disk", "gateway", "reason", "x") + "="
                        + urlValue(rnd);
            }
            String body = method.equals("POST") || method.equals("PUT") || method.equals("PATCH")
                    ? body(op.bodySchema(), rnd)
                    : null;
            Map<String, String> headers = new LinkedHashMap<>();
            boolean withCredentials = rnd.nextBoolean();
            if (withCredentials) {
                headers.putAll(auth);
            }
            if (rnd.nextInt(4) == 0) {
                headers.put(
                        "If-Match",
                        pick(
                                rnd,
                                "\"" + store.epoch() + "\"",
                                "\"" + (store.epoch() - 1) + "\"",
                                "W/\"" + store.epoch() + "\"",
                                "*",
                                "garbage",
                                "\"\"",
                                "\"" + Long.MAX_VALUE + "9\""));
            }
            RawHttp.Answer a;
            try {
                a = http.send(method, path, body, headers);
            } catch (java.io.IOException e) {
                violations.add(method + " " + path + " " + body + " -> no answer: " + e);
                continue;
            }
            n++;
            String what = (withCredentials ? "[auth] " : "[anon] ") + method + " " + abbreviate(path) + " "
                    + abbreviate(body) + " -> " + a.status() + " " + abbreviate(a.body());
            if (a.status() >= 500) {
                violations.add(what);
            }
            boolean publicRead =
                    op.template().equals("/openapi.json") && (method.equals("GET") || method.equals("HEAD"));
            if (!withCredentials && !publicRead && a.status() < 400) {
                violations.add(what);
            }
            if (withCredentials && a.status() < 300) {
                authorized2xx++;
            }
        }
        System.out.printf(
                "RandomizedApiTest: %d requests in %d s, %d accepted with credentials%n", n, seconds, authorized2xx);
        assertThat(violations).as("seed " + seed).isEmpty();
        assertThat(n).isGreaterThan(20);
    }

    static List<Op> operations() {
        List<Op> ops = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it =
                        doc.get("paths").properties().iterator();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            for (Iterator<Map.Entry<String, JsonNode>> m =
                            p.getValue().properties().iterator();
                    m.hasNext(); ) {
                Map.Entry<String, JsonNode> e = m.next();
                ops.add(new Op(
                        e.getKey().toUpperCase(java.util.Locale.ROOT),
                        p.getKey(),
                        e.getValue().at("/requestBody/content/application~1json/schema")));
            }
        }
        return ops;
    }

    static String fill(String template, Random rnd) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            int open = template.indexOf('{', i);
            if (open < 0) {
                out.append(template, i, template.length());
                break;
            }
            out.append(template, i, open);
            int close = template.indexOf('}', open);
            out.append(param(template.substring(open + 1, close), rnd));
            i = close + 1;
        }
        return out.toString();
    }

    static String param(String name, Random rnd) {
        if (rnd.nextInt(3) > 0) {
            switch (name) {
                case "target":
                    return T;
                case "initiator":
                    return I;
                case "pool":
                    return "local";
                case "image":
                    return "d1";
                case "lun":
                    return pick(rnd, "0", "1", "255", "16384", "-1", "99999999999");
                case "key":
                    return pick(rnd, "cmdsnDepth", "nope", "maxBurstLength");
                default:
                    return pick(rnd, "n1", "gw1", "snap1");
            }
        }
        return urlValue(rnd);
    }

    static String urlValue(Random rnd) {
        return pick(
                rnd,
                "x",
                "..",
                ".",
                "%2e%2e",
                "%00",
                "%ZZ",
                "a%2Fb",
                "%C3%A9t%C3%A9",
                "iqn.2003-01.org.example:" + "z".repeat(300),
                "-1",
                "0",
                "9".repeat(30),
                "null",
                "%20",
                "a;b=c",
                "~");
    }

    static String body(JsonNode schema, Random rnd) {
        switch (rnd.nextInt(12)) {
            case 0:
                return "";
            case 1:
                return "{";
            case 2:
                return "[]";
            case 3:
                return "null";
            case 4:
                return "{\"a\":1} {\"b\":2}";
            case 5:
                return "\"" + "s".repeat(rnd.nextInt(3000)) + "\"";
            default:
                JsonNode v = value(
                        schema == null || schema.isMissingNode()
                                ? F.objectNode().put("type", "object")
                                : schema,
                        rnd,
                        0);
                if (v.isObject() && rnd.nextInt(6) == 0) {
                    ((ObjectNode) v).put(pick(rnd, "chap_user", "unknown", "secret", "Iqn"), "x");
                }
                return v.toString();
        }
    }

    static JsonNode value(JsonNode schema, Random rnd, int depth) {
        if (schema.has("$ref")) {
            String name = schema.get("$ref").asText().substring("#/components/schemas/".length());
            return value(doc.at("/components/schemas/" + name), rnd, depth);
        }
        if (rnd.nextInt(15) == 0) {
            return randomScalar(rnd); // the wrong type now and then
        }
        String type = schema.path("type").asText("object");
        switch (type) {
            case "string":
                return F.textNode(string(rnd));
            case "integer":
                return F.numberNode(pick(
                        rnd, 0L, 1L, -1L, 7L, 255L, 65536L, (long) Integer.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE));
            case "boolean":
                return F.booleanNode(rnd.nextBoolean());
            case "array": {
                ArrayNode a = F.arrayNode();
                int k = depth > 3 ? 0 : rnd.nextInt(4);
                for (int i = 0; i < k; i++) {
                    a.add(value(schema.path("items"), rnd, depth + 1));
                }
                return a;
            }
            default: {
                ObjectNode o = F.objectNode();
                if (depth > 3) {
                    return o;
                }
                for (Iterator<Map.Entry<String, JsonNode>> it =
                                schema.path("properties").properties().iterator();
                        it.hasNext(); ) {
                    Map.Entry<String, JsonNode> p = it.next();
                    if (rnd.nextInt(5) > 0) {
                        o.set(p.getKey(), rnd.nextInt(20) == 0 ? F.nullNode() : value(p.getValue(), rnd, depth + 1));
                    }
                }
                if (schema.has("additionalProperties") && rnd.nextBoolean()) {
                    o.set(string(rnd), value(schema.get("additionalProperties"), rnd, depth + 1));
                }
                return o;
            }
        }
    }

    static JsonNode randomScalar(Random rnd) {
        switch (rnd.nextInt(4)) {
            case 0:
                return F.numberNode(rnd.nextLong());
            case 1:
                return F.booleanNode(true);
            case 2:
                return F.nullNode();
            default:
                return F.arrayNode().add(1);
        }
    }

    static String string(Random rnd) {
        return pick(
                rnd,
                T,
                I,
                "iqn.2003-01.org.example:other",
                "iqn.1994-05.com.redhat:h" + rnd.nextInt(5),
                "local",
                "d1",
                "d2",
                "local/d1",
                "rbd",
                "file",
                "memory",
                "1M",
                "8E",
                "1P",
                "-1",
                "0",
                "abc",
                "10G",
                "user12345",
                "secret123456789",
                "",
                " ",
                "gw1",
                "192.0.2.1",
                "192.0.2.1:3260",
                "[::1]:3260",
                "ALUA",
                "true",
                "x".repeat(300),
                "é\u0000\u202e",
                "../../etc/passwd",
                "cmdsnDepth",
                "64",
                "GATEWAY_LOST");
    }

    @SafeVarargs
    static <T> T pick(Random rnd, T... values) {
        return values[rnd.nextInt(values.length)];
    }

    static String abbreviate(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
