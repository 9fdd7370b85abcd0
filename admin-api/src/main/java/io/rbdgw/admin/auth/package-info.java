/**
 * Authentication of the admin API: HTTP basic credentials checked against a PBKDF2 hash (cached once verified,
 * bounded per client address), bound per resource method after Jersey matched it ({@code @RolesAllowed}/{@code
 * @PermitAll}; a method without an annotation is denied), the admin servlet context behind the same credentials,
 * and the guard that keeps credentials out of the HTTP stack's logs.
 */
package io.rbdgw.admin.auth;
