/**
 * The iSCSI session layer (RFC 7143) on Netty: the server and its connections, the command window, Data-Out/R2T,
 * task management, SendTargets, NOP and logout, sessions and their limits, and the registry of targets a gateway
 * serves. Commands run to completion on the connection's event loop; SCSI work is handed to the engine in {@code
 * io.rbdgw.scsi}.
 */
package io.rbdgw.iscsi.session;
