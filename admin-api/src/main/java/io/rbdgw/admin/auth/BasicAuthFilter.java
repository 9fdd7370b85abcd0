package io.rbdgw.admin.auth;

import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HTTP Basic authentication of the single user {@code admin} against a {@link PasswordHash}. Every request under
 * {@code /api} needs it; {@code /openapi.json} does not. Because PBKDF2 is deliberately slow, a verified credential
 * is remembered for a few minutes, keyed by a SHA-256 of it (the password itself is not kept).
 */
@Priority(Priorities.AUTHENTICATION)
public final class BasicAuthFilter implements ContainerRequestFilter {
    public static final String USER = "admin";
    public static final String REALM = "rbdgw";
    private static final long REMEMBER_MILLIS = 5 * 60_000;
    private static final int MAX_REMEMBERED = 64;

    private final PasswordHash hash;
    private final Map<String, Long> verified = new ConcurrentHashMap<>();

    public BasicAuthFilter(PasswordHash hash) {
        this.hash = hash;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.equals("api") && !path.startsWith("api/")) {
            return;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (!authenticate(header)) {
            request.abortWith(Response.status(Response.Status.UNAUTHORIZED)
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"")
                    .type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(Map.of("code", 401, "message", "credentials are required: HTTP Basic as user " + USER))
                    .build());
            return;
        }
        SecurityContext original = request.getSecurityContext();
        request.setSecurityContext(new SecurityContext() {
            public Principal getUserPrincipal() {
                return () -> USER;
            }

            public boolean isUserInRole(String role) {
                return true;
            }

            public boolean isSecure() {
                return original != null && original.isSecure();
            }

            public String getAuthenticationScheme() {
                return SecurityContext.BASIC_AUTH;
            }
        });
    }

    boolean authenticate(String header) {
        if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0 || !decoded.substring(0, colon).equals(USER)) {
            return false;
        }
        String key = fingerprint(decoded);
        long now = System.currentTimeMillis();
        Long until = verified.get(key);
        if (until != null && until > now) {
            return true;
        }
        if (!hash.matches(decoded.substring(colon + 1).toCharArray())) {
            return false;
        }
        if (verified.size() >= MAX_REMEMBERED) {
            verified.clear();
        }
        verified.put(key, now + REMEMBER_MILLIS);
        return true;
    }

    private static String fingerprint(String credentials) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(credentials.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
