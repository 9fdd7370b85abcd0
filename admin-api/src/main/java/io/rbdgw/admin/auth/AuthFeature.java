package io.rbdgw.admin.auth;

import jakarta.annotation.Priority;
import jakarta.annotation.security.DenyAll;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.security.Principal;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Binds authentication to each resource method after Jersey has matched it, so no spelling of a URL (matrix
 * parameters, encodings, dot segments) can reach a method around it. Access is decided by the method's annotations,
 * else its class's: {@code @PermitAll} is public, {@code @RolesAllowed} needs HTTP Basic credentials of a user in one
 * of the roles, and {@code @DenyAll} or no annotation at all (including Jersey's generated OPTIONS methods) is
 * refused: 401 without credentials, 403 with them.
 */
public final class AuthFeature implements DynamicFeature {
    /** What a resource method's annotations allow. */
    public sealed interface Access {
        record Public() implements Access {}

        record Roles(Set<String> roles) implements Access {}

        record Denied() implements Access {}
    }

    /**
     * Request property (a servlet request attribute, set by {@link RemoteAddressFilter}) holding the client's address
     * as the connection shows it; Jersey does not inject the servlet request into filters registered here.
     */
    public static final String REMOTE_ADDRESS_PROPERTY = "rbdgw.remoteAddress";
    /** Request property holding the authenticated user's name (the audit trail reads it). */
    public static final String USER_PROPERTY = "rbdgw.user";

    private final AdminAuthenticator authenticator;

    public AuthFeature(AdminAuthenticator authenticator) {
        this.authenticator = authenticator;
    }

    /** The access rule of a resource method; methods are looked at before their class. */
    public static Access access(Class<?> resource, Method method) {
        for (AnnotatedElement e : method == null ? List.<AnnotatedElement>of() : List.<AnnotatedElement>of(method)) {
            Optional<Access> a = declared(e);
            if (a.isPresent()) {
                return a.get();
            }
        }
        if (resource != null) {
            return declared(resource).orElse(new Access.Denied());
        }
        return new Access.Denied();
    }

    private static Optional<Access> declared(AnnotatedElement e) {
        if (e.isAnnotationPresent(DenyAll.class)) {
            return Optional.of(new Access.Denied());
        }
        RolesAllowed roles = e.getAnnotation(RolesAllowed.class);
        if (roles != null) {
            return Optional.of(new Access.Roles(Set.of(roles.value())));
        }
        if (e.isAnnotationPresent(PermitAll.class)) {
            return Optional.of(new Access.Public());
        }
        return Optional.empty();
    }

    @Override
    public void configure(ResourceInfo info, FeatureContext context) {
        Access access = access(info.getResourceClass(), info.getResourceMethod());
        if (access instanceof Access.Public) {
            return;
        }
        context.register(new Authenticate(authenticator));
        context.register(new RequireRole(access instanceof Access.Roles r ? r.roles() : Set.of()));
    }

    static Response response(AuthResponses refusal) {
        Response.ResponseBuilder b = Response.status(refusal.status())
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(refusal.json());
        refusal.headers().forEach(b::header);
        return b.build();
    }

    /** Checks the Basic credentials and installs the principal. */
    @Priority(Priorities.AUTHENTICATION)
    static final class Authenticate implements ContainerRequestFilter {
        private final AdminAuthenticator authenticator;

        Authenticate(AdminAuthenticator authenticator) {
            this.authenticator = authenticator;
        }

        @Override
        public void filter(ContainerRequestContext request) {
            Object remote = request.getProperty(REMOTE_ADDRESS_PROPERTY);
            AdminAuthenticator.Outcome outcome = authenticator.check(
                    request.getHeaderString(HttpHeaders.AUTHORIZATION), remote == null ? null : remote.toString());
            if (!(outcome instanceof AdminAuthenticator.Outcome.Ok ok)) {
                request.abortWith(response(AuthResponses.of(outcome)));
                return;
            }
            String user = ok.user();
            request.setProperty(USER_PROPERTY, user);
            boolean secure = request.getSecurityContext() != null
                    && request.getSecurityContext().isSecure();
            request.setSecurityContext(new SecurityContext() {
                @Override
                public Principal getUserPrincipal() {
                    return () -> user;
                }

                @Override
                public boolean isUserInRole(String role) {
                    return AdminAuthenticator.ADMIN_ROLE.equals(role); // the one user has the one role
                }

                @Override
                public boolean isSecure() {
                    return secure;
                }

                @Override
                public String getAuthenticationScheme() {
                    return SecurityContext.BASIC_AUTH;
                }
            });
        }
    }

    /** After {@link Authenticate}: the user must have one of the roles (none: nobody may). */
    @Priority(Priorities.AUTHORIZATION)
    static final class RequireRole implements ContainerRequestFilter {
        private final Set<String> roles;

        RequireRole(Set<String> roles) {
            this.roles = Set.copyOf(roles);
        }

        @Override
        public void filter(ContainerRequestContext request) {
            SecurityContext sc = request.getSecurityContext();
            if (sc == null || sc.getUserPrincipal() == null || roles.stream().noneMatch(sc::isUserInRole)) {
                request.abortWith(response(AuthResponses.forbidden()));
            }
        }
    }
}
