/**
 * Watching the configuration in ZooKeeper: every gateway receives each new snapshot, keeps the last one while
 * ZooKeeper is unreachable, and re-reads on reconnection.
 */
package io.rbdgw.config.watch;
