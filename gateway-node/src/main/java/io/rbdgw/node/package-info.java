/**
 * The gateway process: the {@code standalone} and {@code run} commands and their options, the cluster gateway that
 * ties the iSCSI server, the SCSI engine and the block devices to the configuration in ZooKeeper (the reconciler
 * applies each snapshot, the backstore opener opens disks, the fencer blocklists lost gateways), and its shutdown.
 */
package io.rbdgw.node;
