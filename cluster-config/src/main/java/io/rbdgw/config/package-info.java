/**
 * The desired configuration of the gateway cluster, its ZooKeeper store, watchers that deliver
 * consistent snapshots, and gateway membership. Knows nothing of Netty or the data path.
 */
package io.rbdgw.config;
