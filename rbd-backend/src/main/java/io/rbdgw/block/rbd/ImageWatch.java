package io.rbdgw.block.rbd;

import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Native;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch on an open image's header ({@code rbd_update_watch}) and the one "rbd-image-events" thread that runs
 * what the device does about image events (re-reading the size after a resize, telling a blocklist listener):
 * never on librbd's watch thread, where calling back into librbd could deadlock.
 *
 * <p>One static callback serves every image (JNA keeps it attached to the JVM); the watch's {@code arg} is a key
 * into a table of watches, so no native memory points at a Java object.
 */
final class ImageWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RbdBlockDevice.class);

    private static final AtomicLong IDS = new AtomicLong();
    private static final Map<Long, ImageWatch> WATCHED = new ConcurrentHashMap<>();
    private static final ExecutorService EVENTS = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "rbd-image-events");
        t.setDaemon(true);
        return t;
    });

    private static final class Watcher implements LibRbd.UpdateCallback {
        @Override
        public void invoke(long arg) {
            try {
                ImageWatch watch = WATCHED.get(arg);
                if (watch != null) {
                    EVENTS.execute(watch.onUpdate);
                }
            } catch (Throwable t) {
                LOG.error("rbd update watch callback failed", t);
            }
        }
    }

    private static final LibRbd.UpdateCallback WATCHER = new Watcher();

    static {
        Native.setCallbackThreadInitializer(WATCHER, new CallbackThreadInitializer(true, false, "librbd-watch"));
    }

    private final long key = IDS.incrementAndGet();
    private final long image;
    private final String what;
    private final Runnable onUpdate;
    private final long handle;

    private ImageWatch(long image, String what, Runnable onUpdate) {
        this.image = image;
        this.what = what;
        this.onUpdate = onUpdate;
        WATCHED.put(key, this);
        long[] watch = new long[1];
        int rc = LibRbd.rbd_update_watch(image, watch, WATCHER, key);
        if (rc < 0) {
            LOG.warn("rbd {}: cannot watch for resizes ({}); the size is read only at open", what, Errno.describe(rc));
            WATCHED.remove(key);
            this.handle = -1;
        } else {
            this.handle = watch[0];
        }
    }

    /**
     * Watches the header of {@code image} (named {@code what} in logs): {@code onUpdate} runs on the event thread
     * after each notification. A watch that cannot be set up is logged and does nothing.
     */
    static ImageWatch start(long image, String what, Runnable onUpdate) {
        return new ImageWatch(image, what, onUpdate);
    }

    /** Runs {@code task} on the event thread. */
    static void post(Runnable task) {
        EVENTS.execute(task);
    }

    /** Ends the watch; call before closing the image. */
    @Override
    public void close() {
        if (handle >= 0) {
            int rc = LibRbd.rbd_update_unwatch(image, handle);
            if (rc < 0) {
                LOG.warn("rbd {}: unwatch failed: {}", what, Errno.describe(rc));
            }
        }
        WATCHED.remove(key);
    }
}
