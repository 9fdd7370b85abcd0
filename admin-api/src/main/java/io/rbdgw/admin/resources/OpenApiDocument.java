package io.rbdgw.admin.resources;

import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * An OpenAPI 3.0 description built by reflection from the JAX-RS resource classes (swagger-core is not on the
 * dependency list, and a document derived from the classes cannot drift from them). Request bodies get schemas
 * from their records; answers are described by status code.
 */
public final class OpenApiDocument {
    private OpenApiDocument() {}

    /** One resource method: its HTTP method, full path template and Java method. */
    public record Operation(String httpMethod, String path, Method method) {}

    public static List<Operation> operations(Collection<Class<?>> resources) {
        List<Operation> out = new ArrayList<>();
        for (Class<?> r : resources) {
            Path base = r.getAnnotation(Path.class);
            for (Method m : r.getMethods()) {
                String http = httpMethod(m);
                if (http == null || Modifier.isStatic(m.getModifiers())) {
                    continue;
                }
                Path sub = m.getAnnotation(Path.class);
                out.add(new Operation(http, join(base == null ? "" : base.value(), sub == null ? "" : sub.value()), m));
            }
        }
        out.sort(Comparator.comparing(Operation::path).thenComparing(Operation::httpMethod));
        return out;
    }

    /** "GET /api/targets", ... */
    public static List<String> endpoints(Collection<Class<?>> resources) {
        return operations(resources).stream()
                .map(o -> o.httpMethod() + " " + o.path())
                .toList();
    }

    public static Map<String, Object> build(Collection<Class<?>> resources, String version) {
        Map<String, Object> schemas = new TreeMap<>();
        Map<String, Object> paths = new TreeMap<>();
        for (Operation op : operations(resources)) {
            @SuppressWarnings("unchecked")
            Map<String, Object> item =
                    (Map<String, Object>) paths.computeIfAbsent(op.path(), p -> new LinkedHashMap<>());
            item.put(op.httpMethod().toLowerCase(Locale.ROOT), operation(op, schemas));
        }
        schemas.put(
                "ErrorMessage",
                Map.of(
                        "type",
                        "object",
                        "properties",
                        Map.of("code", Map.of("type", "integer"), "message", Map.of("type", "string"))));
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", "3.0.3");
        doc.put(
                "info",
                Map.of(
                        "title",
                        "rbdgw admin API",
                        "version",
                        version,
                        "description",
                        "Configuration of an rbdgw iSCSI gateway cluster. Every GET answers with ETag = the "
                                + "configuration epoch; every change honours If-Match (412 when stale) and answers "
                                + "{epoch, value}. CHAP secrets are write-only."));
        doc.put("security", List.of(Map.of("basic", List.of())));
        doc.put("paths", paths);
        doc.put(
                "components",
                Map.of(
                        "schemas",
                        schemas,
                        "securitySchemes",
                        Map.of("basic", Map.of("type", "http", "scheme", "basic"))));
        return doc;
    }

    private static Map<String, Object> operation(Operation op, Map<String, Object> schemas) {
        Map<String, Object> o = new LinkedHashMap<>();
        String resource = op.method().getDeclaringClass().getSimpleName().replace("Resource", "");
        o.put(
                "operationId",
                Character.toLowerCase(resource.charAt(0)) + resource.substring(1) + "_"
                        + op.method().getName());
        o.put("tags", List.of(resource));
        List<Object> params = new ArrayList<>();
        for (Parameter p : op.method().getParameters()) {
            PathParam pp = p.getAnnotation(PathParam.class);
            QueryParam qp = p.getAnnotation(QueryParam.class);
            HeaderParam hp = p.getAnnotation(HeaderParam.class);
            if (pp != null) {
                params.add(Map.of(
                        "name",
                        pp.value(),
                        "in",
                        "path",
                        "required",
                        true,
                        "schema",
                        schema(p.getParameterizedType(), schemas)));
            } else if (qp != null) {
                params.add(Map.of(
                        "name",
                        qp.value(),
                        "in",
                        "query",
                        "required",
                        false,
                        "schema",
                        schema(p.getParameterizedType(), schemas)));
            } else if (hp != null) {
                params.add(Map.of(
                        "name",
                        hp.value(),
                        "in",
                        "header",
                        "required",
                        false,
                        "schema",
                        Map.of("type", "string"),
                        "description",
                        "the configuration epoch (ETag) the change is based on; 412 if stale"));
            } else if (p.getAnnotation(Context.class) == null && p.getAnnotations().length == 0) {
                o.put(
                        "requestBody",
                        Map.of(
                                "required",
                                true,
                                "content",
                                Map.of(
                                        "application/json",
                                        Map.of("schema", schema(p.getParameterizedType(), schemas)))));
            }
        }
        if (!params.isEmpty()) {
            o.put("parameters", params);
        }
        Map<String, Object> responses = new LinkedHashMap<>();
        boolean creates =
                op.httpMethod().equals("POST") && !op.method().getName().equals("rollback");
        responses.put(
                creates ? "201" : "200",
                Map.of(
                        "description",
                        op.httpMethod().equals("GET")
                                ? "the resource; ETag = configuration epoch"
                                : "{epoch, value}; ETag = new configuration epoch",
                        "content",
                        Map.of("application/json", Map.of("schema", Map.of("type", "object")))));
        Map<String, Object> error =
                Map.of("application/json", Map.of("schema", Map.of("$ref", "#/components/schemas/ErrorMessage")));
        if (!op.method().getDeclaringClass().equals(OpenApiResource.class)) {
            responses.put("400", Map.of("description", "invalid request", "content", error));
            responses.put("401", Map.of("description", "no or wrong credentials"));
            responses.put("404", Map.of("description", "unknown name", "content", error));
            if (!op.httpMethod().equals("GET")) {
                responses.put("409", Map.of("description", "conflicts with the configuration", "content", error));
                responses.put("412", Map.of("description", "If-Match names an older epoch", "content", error));
            }
        }
        o.put("responses", responses);
        return o;
    }

    private static Map<String, Object> schema(Type t, Map<String, Object> schemas) {
        if (t instanceof ParameterizedType pt) {
            Class<?> raw = (Class<?>) pt.getRawType();
            if (Collection.class.isAssignableFrom(raw)) {
                return Map.of("type", "array", "items", schema(pt.getActualTypeArguments()[0], schemas));
            }
            if (Map.class.isAssignableFrom(raw)) {
                return Map.of(
                        "type", "object", "additionalProperties", schema(pt.getActualTypeArguments()[1], schemas));
            }
            return schema(raw, schemas);
        }
        Class<?> c = (Class<?>) t;
        if (c == String.class) {
            return Map.of("type", "string");
        }
        if (c == int.class || c == Integer.class) {
            return Map.of("type", "integer", "format", "int32");
        }
        if (c == long.class || c == Long.class) {
            return Map.of("type", "integer", "format", "int64");
        }
        if (c == boolean.class || c == Boolean.class) {
            return Map.of("type", "boolean");
        }
        if (c.isRecord()) {
            String name = c.getSimpleName();
            if (!schemas.containsKey(name)) {
                schemas.put(name, Map.of()); // placeholder against recursion
                Map<String, Object> props = new LinkedHashMap<>();
                Arrays.stream(c.getRecordComponents())
                        .forEach((RecordComponent rc) -> props.put(rc.getName(), schema(rc.getGenericType(), schemas)));
                schemas.put(name, Map.of("type", "object", "properties", props));
            }
            return Map.of("$ref", "#/components/schemas/" + name);
        }
        return Map.of("type", "object");
    }

    private static String httpMethod(Method m) {
        for (Annotation a : m.getAnnotations()) {
            HttpMethod h = a.annotationType().getAnnotation(HttpMethod.class);
            if (h != null) {
                return h.value();
            }
        }
        return null;
    }

    private static String join(String a, String b) {
        String s = ("/" + a + "/" + b).replaceAll("/+", "/");
        return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
