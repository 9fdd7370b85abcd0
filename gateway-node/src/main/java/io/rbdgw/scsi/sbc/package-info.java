/**
 * Block commands (SBC-3): READ/WRITE in their sizes, WRITE SAME, UNMAP, COMPARE AND WRITE, WRITE ATOMIC,
 * SYNCHRONIZE CACHE, READ CAPACITY and GET LBA STATUS, executed asynchronously against the logical unit's block
 * device.
 */
package io.rbdgw.scsi.sbc;
