package io.rbdgw.block;

/**
 * Completion of one asynchronous block-device operation.
 *
 * <p>Exactly one of the two methods is called, exactly once, on an arbitrary thread (the caller's,
 * a device worker, or a librbd completion thread). Callers that need their own thread (a Netty event
 * loop) hop there themselves. Implementations are usually long-lived task objects, so that an I/O
 * allocates no callback.
 */
public interface IoCallback {

    /** The operation succeeded; {@code bytes} is the number of bytes transferred (0 for flush). */
    void onSuccess(long bytes);

    /** The operation failed; see the subclasses of {@link BlockDeviceException} for the kinds. */
    void onFailure(BlockDeviceException error);
}
