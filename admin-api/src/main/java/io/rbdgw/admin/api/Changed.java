package io.rbdgw.admin.api;

/** The answer to a change: the configuration epoch it was committed at, and what it produced (null after a delete). */
public record Changed<T>(long epoch, T value) {}
