/**
 * Gateway membership in ZooKeeper: each gateway's ephemeral member node (name, portals, RADOS client address,
 * version), the status it reports (applied configuration epoch, sessions), and the view of all members that the
 * coordinator and the admin API read.
 */
package io.rbdgw.config.membership;
