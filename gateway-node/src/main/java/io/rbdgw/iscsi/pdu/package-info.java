/**
 * The iSCSI PDU codec (RFC 7143 section 11): immutable PDU records, {@link io.rbdgw.iscsi.pdu.IscsiPduDecoder}
 * (bytes to {@link io.rbdgw.iscsi.pdu.IscsiPdu} or {@link io.rbdgw.iscsi.pdu.InvalidPdu}, never an exception for
 * bad input) and {@link io.rbdgw.iscsi.pdu.IscsiPduEncoder}. Data segments are never copied: decoded data is a
 * retained slice of the inbound bytes and encoded data is passed to the transport as is. Whoever receives a PDU
 * owns it and must release it ({@code ReferenceCountUtil.release(pdu)}).
 */
package io.rbdgw.iscsi.pdu;
