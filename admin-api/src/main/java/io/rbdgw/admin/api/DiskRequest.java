package io.rbdgw.admin.api;

/**
 * A disk to add.
 *
 * @param size bytes, or a number with a binary suffix K, M, G, T, P (e.g. "10G"); optional when importing
 * @param backstore "rbd" (default) or "file"
 * @param create true (default) to create the image or file; false to import an existing one
 * @param wwnSeed what the device identifiers derive from; keep it when re-importing an image. Default: a random
 *     one for a created disk, pool/image for an imported one
 */
public record DiskRequest(String pool, String image, String size, String backstore, Boolean create, String wwnSeed) {}
