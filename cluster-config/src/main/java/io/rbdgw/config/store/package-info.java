/**
 * The configuration store in ZooKeeper: the layout of the tree, versioned JSON documents, and atomic
 * compare-and-set updates of the whole configuration that bump its epoch.
 */
package io.rbdgw.config.store;
