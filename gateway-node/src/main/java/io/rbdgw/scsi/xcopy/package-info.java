/**
 * EXTENDED COPY (LID1) and RECEIVE COPY RESULTS: parsing copy descriptors through the nexus's LUN masking,
 * planning segments, running bounded copies between block devices, and reporting their results.
 */
package io.rbdgw.scsi.xcopy;
