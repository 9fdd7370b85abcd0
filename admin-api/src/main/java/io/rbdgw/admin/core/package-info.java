/**
 * What the resources share: the configuration service (validated, atomic updates), the audit trail, the guard
 * against removing LUNs from logged-in hosts, RBD image management through Ceph, and the ZooKeeper and Ceph
 * connections the service holds.
 */
package io.rbdgw.admin.core;
