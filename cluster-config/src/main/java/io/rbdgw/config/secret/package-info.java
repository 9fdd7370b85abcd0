/**
 * Secrets at rest: CHAP secrets encrypted with AES-256-GCM under a key file, key rotation, and owner-only files
 * for keys and credentials.
 */
package io.rbdgw.config.secret;
