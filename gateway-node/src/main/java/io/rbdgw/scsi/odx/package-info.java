/**
 * Windows ODX (token-based copy, SBC-3 and SPC-4): POPULATE TOKEN, WRITE USING TOKEN, RECEIVE ROD TOKEN
 * INFORMATION, and the ROD token descriptors of the Third-party Copy VPD page. Tokens are kept by a
 * {@link io.rbdgw.scsi.odx.RodTokenService}, cluster-wide in a gateway, so a token created through one gateway is
 * honoured by every other.
 */
package io.rbdgw.scsi.odx;
