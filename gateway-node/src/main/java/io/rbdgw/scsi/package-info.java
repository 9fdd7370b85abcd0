/**
 * The SCSI engine (SPC-4, SBC-3): logical units over block devices, the command table (what each opcode is and
 * does), the I_T nexus, LUN masking, unit attentions, ALUA target port groups, the write gate of the cluster's
 * write tokens, and sense data.
 */
package io.rbdgw.scsi;
