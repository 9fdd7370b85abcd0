/**
 * The iSCSI login phase (RFC 7143 sections 6 and 13): the login state machine, text-key negotiation of operational
 * parameters, CHAP authentication and iSCSI name validation, producing the negotiated session parameters.
 */
package io.rbdgw.iscsi.login;
