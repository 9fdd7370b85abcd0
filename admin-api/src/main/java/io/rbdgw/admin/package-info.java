/**
 * The admin API service: the Dropwizard application and its configuration (the YAML server), the embedded server
 * the standalone gateway starts, and the command-line entry point. It provisions the cluster configuration in
 * ZooKeeper through cluster-config and knows nothing of the data path.
 */
package io.rbdgw.admin;
