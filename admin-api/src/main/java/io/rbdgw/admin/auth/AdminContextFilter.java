package io.rbdgw.admin.auth;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

/**
 * The same Basic authentication for Dropwizard's admin context (metrics, threads, pprof, tasks), mapped to the whole
 * context ({@code /*}) so it needs no path matching of its own. Only {@code GET|HEAD /healthcheck} and {@code /ping}
 * stay public, for load balancers; they are recognized by the servlet path Jetty decoded and normalized, which is
 * what the admin servlet dispatches on. Tasks (gc, log-level) can be switched off entirely. A state-changing request
 * a browser marks as cross-site is refused, so a page elsewhere cannot post a form to a task with cached credentials.
 */
public final class AdminContextFilter implements Filter {
    private static final Set<String> PUBLIC = Set.of("/healthcheck", "/ping");

    private final AdminAuthenticator authenticator;
    private final boolean tasks;

    public AdminContextFilter(AdminAuthenticator authenticator, boolean tasks) {
        this.authenticator = authenticator;
        this.tasks = tasks;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        String path = (request.getServletPath() == null ? "" : request.getServletPath())
                + (request.getPathInfo() == null ? "" : request.getPathInfo());
        boolean read = request.getMethod().equals("GET") || request.getMethod().equals("HEAD");
        if (read && PUBLIC.contains(path)) {
            chain.doFilter(req, res);
            return;
        }
        if (!read && crossSite(request)) {
            write(response, new AuthResponses(403, Map.of(), "cross-site requests are refused"));
            return;
        }
        AuthResponses refusal =
                AuthResponses.of(authenticator.check(request.getHeader("Authorization"), request.getRemoteAddr()));
        if (refusal != null) {
            write(response, refusal);
            return;
        }
        if (!tasks && (path.equals("/tasks") || path.startsWith("/tasks/"))) {
            write(response, new AuthResponses(404, Map.of(), "admin tasks are disabled in this server"));
            return;
        }
        chain.doFilter(req, res);
    }

    /** What a browser tells about a request's origin (Sec-Fetch-Site, else Origin against Host). */
    private static boolean crossSite(HttpServletRequest request) {
        String site = request.getHeader("Sec-Fetch-Site");
        if (site != null) {
            return !site.equals("same-origin") && !site.equals("none");
        }
        String origin = request.getHeader("Origin");
        if (origin == null) {
            return false; // not a browser's cross-origin request (curl, the CLI)
        }
        String host = request.getHeader("Host");
        int scheme = origin.indexOf("://");
        return host == null || scheme < 0 || !origin.substring(scheme + 3).equalsIgnoreCase(host);
    }

    private static void write(HttpServletResponse response, AuthResponses refusal) throws IOException {
        response.setStatus(refusal.status());
        refusal.headers().forEach(response::setHeader);
        response.setContentType("application/json");
        response.getOutputStream().write(refusal.json().getBytes(StandardCharsets.UTF_8));
    }
}
