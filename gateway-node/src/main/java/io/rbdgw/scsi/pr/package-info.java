/**
 * SCSI persistent reservations (SPC-4 5.14) and SPC-2 RESERVE/RELEASE: the reservation state, the logic of each
 * service action, the access rules per reservation type, and the store the state lives in.
 */
package io.rbdgw.scsi.pr;
