/**
 * ZooKeeper credentials: the digest identity every component authenticates with and the owner-only ACL on every
 * znode of the tree.
 */
package io.rbdgw.config.zk;
