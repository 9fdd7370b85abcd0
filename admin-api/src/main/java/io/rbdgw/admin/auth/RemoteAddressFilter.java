package io.rbdgw.admin.auth;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.io.IOException;

/**
 * Hands the connection's remote address to the Jersey filters as a request property (forwarded headers are not
 * trusted: the per-address login limits must not be dodged with a made-up X-Forwarded-For).
 */
public final class RemoteAddressFilter implements Filter {
    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        req.setAttribute(AuthFeature.REMOTE_ADDRESS_PROPERTY, req.getRemoteAddr());
        chain.doFilter(req, res);
    }
}
