package io.rbdgw.admin.auth;

import java.util.Map;

/** The status, headers and message of each refusal, shared by the Jersey and the servlet filter. */
public record AuthResponses(int status, Map<String, String> headers, String message) {
    /** null for {@link AdminAuthenticator.Outcome.Ok}. */
    public static AuthResponses of(AdminAuthenticator.Outcome outcome) {
        if (outcome instanceof AdminAuthenticator.Outcome.Missing) {
            return unauthorized("credentials are required: HTTP Basic as user " + AdminAuthenticator.USER);
        }
        if (outcome instanceof AdminAuthenticator.Outcome.Wrong) {
            return unauthorized("wrong user or password");
        }
        if (outcome instanceof AdminAuthenticator.Outcome.Throttled t) {
            return new AuthResponses(
                    429,
                    Map.of("Retry-After", Long.toString(t.retryAfterSeconds())),
                    "too many failed logins from this address; retry in " + t.retryAfterSeconds() + " s");
        }
        if (outcome instanceof AdminAuthenticator.Outcome.Busy b) {
            return new AuthResponses(
                    503,
                    Map.of("Retry-After", Long.toString(b.retryAfterSeconds())),
                    "too many password checks in progress; retry in " + b.retryAfterSeconds() + " s");
        }
        return null;
    }

    public static AuthResponses forbidden() {
        return new AuthResponses(403, Map.of(), "this endpoint is not open to any user");
    }

    private static AuthResponses unauthorized(String message) {
        return new AuthResponses(
                401,
                Map.of("WWW-Authenticate", "Basic realm=\"" + AdminAuthenticator.REALM + "\", charset=\"UTF-8\""),
                message);
    }

    /** {"code":N,"message":"..."} like every other error answer of the API. */
    public String json() {
        StringBuilder b = new StringBuilder("{\"code\":").append(status).append(",\"message\":\"");
        for (char c : message.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            b.append(c);
        }
        return b.append("\"}").toString();
    }
}
