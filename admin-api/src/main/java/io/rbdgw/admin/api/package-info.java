/**
 * Representations of the admin API: the immutable request and response records (JSON), validated on the way in;
 * unknown fields are refused.
 */
package io.rbdgw.admin.api;
