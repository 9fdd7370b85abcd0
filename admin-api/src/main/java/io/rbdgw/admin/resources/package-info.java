/**
 * The REST resources of the admin API: one class per kind of object (targets, disks, clients, host groups,
 * gateways, settings, secrets, audit...), each translating requests into configuration changes applied atomically
 * through the configuration store.
 */
package io.rbdgw.admin.resources;
