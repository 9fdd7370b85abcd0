package io.rbdgw.block.rbd;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a device's owner, once, that librbd answered ESHUTDOWN: this client is blocklisted, and every
 * later operation on the connection will fail the same way. The listener runs on the image-watch
 * thread, never on the librbd completion thread that saw the error (the owner reconnects, which calls
 * librbd).
 */
final class BlocklistSignal {

    private static final Logger LOG = LoggerFactory.getLogger(BlocklistSignal.class);

    private final AtomicBoolean raised = new AtomicBoolean();
    private volatile Runnable listener;

    void listen(Runnable listener) {
        this.listener = listener;
    }

    void raise() {
        Runnable l = listener;
        if (l != null && raised.compareAndSet(false, true)) {
            ImageWatch.post(() -> {
                try {
                    l.run();
                } catch (RuntimeException e) {
                    LOG.error("blocklist listener failed", e);
                }
            });
        }
    }
}
