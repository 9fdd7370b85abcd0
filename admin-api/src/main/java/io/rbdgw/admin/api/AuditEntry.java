package io.rbdgw.admin.api;

/**
 * One accepted change: who (user), from where (the connection's address), when (ISO-8601 UTC), what (method, path,
 * the request body with every secret or password field replaced by "***", shortened), its HTTP status and the
 * configuration epoch it produced (null when the answer named none, e.g. a disk resize).
 */
public record AuditEntry(
        long sequence,
        String time,
        String user,
        String address,
        String method,
        String path,
        String body,
        int status,
        Long epoch) {}
