package io.rbdgw.admin.api;

/** Exports {@code disk} ({@code pool/image}) as LUN {@code lun}, or as the lowest free LUN number if null. */
public record LunRequest(Integer lun, String disk) {}
