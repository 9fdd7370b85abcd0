/**
 * Reading PEM certificates and keys for the admin API's TLS listener.
 */
package io.rbdgw.admin.tls;
