/**
 * RBD images as block devices: the RADOS connection (rados-java plus our JNA bindings for what it lacks: fencing,
 * the service map), image management, and librbd's asynchronous I/O bound with JNA.
 */
package io.rbdgw.block.rbd;
