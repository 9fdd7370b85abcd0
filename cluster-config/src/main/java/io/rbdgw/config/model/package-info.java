/**
 * The desired configuration as immutable records: targets, portals, LUNs, disks and their backstores, clients with
 * their ACLs and CHAP, host groups, gateways and settings, and the changes an admin makes to them. Knows nothing
 * of ZooKeeper or Netty.
 */
package io.rbdgw.config.model;
