/**
 * Who serves and who writes each disk across the cluster: the elected ALUA coordinator assigns one owner
 * (Active/Optimized) per disk and fences lost gateways; every gateway watches the assignments; per-disk write
 * tokens make sure at most one gateway executes writes to a disk at a time, so a host's retry through another path
 * can never be overtaken by its first copy.
 */
package io.rbdgw.config.alua;
