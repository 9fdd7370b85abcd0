/**
 * Health checks of the admin API's dependencies (ZooKeeper, Ceph), reported on the admin port.
 */
package io.rbdgw.admin.health;
