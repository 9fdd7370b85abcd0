/**
 * Primary commands (SPC-4) every logical unit answers: INQUIRY and its VPD pages, MODE SENSE/SELECT, REPORT LUNS,
 * REQUEST SENSE, REPORT SUPPORTED OPERATION CODES, REPORT TARGET PORT GROUPS and the other basic commands.
 */
package io.rbdgw.scsi.spc;
