package io.rbdgw.admin.api;

/** A new size: bytes or a number with a binary suffix (K, M, G, T, P). */
public record SizeRequest(String size) {}
