/**
 * The block-device interface the SCSI engine executes against (asynchronous, direct buffers, typed errors) and its
 * file and memory devices, with the checks and range locks they share.
 */
package io.rbdgw.block;
