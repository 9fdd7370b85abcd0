package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.rbdgw.block.BlockDeviceException;
import io.rbdgw.block.IoCallback;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A test callback recording its single completion and the thread it ran on. */
final class Done implements IoCallback {

    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicInteger calls = new AtomicInteger();
    private volatile long bytes;
    private volatile BlockDeviceException error;
    volatile String thread;

    @Override
    public void onSuccess(long bytes) {
        this.bytes = bytes;
        finish();
    }

    @Override
    public void onFailure(BlockDeviceException error) {
        this.error = error;
        finish();
    }

    private void finish() {
        thread = Thread.currentThread().getName();
        calls.incrementAndGet();
        done.countDown();
    }

    private void await() {
        try {
            if (!done.await(30, TimeUnit.SECONDS)) {
                fail("operation did not complete within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
        assertThat(calls.get()).as("callback invocations").isEqualTo(1);
    }

    long success() {
        await();
        if (error != null) {
            throw new AssertionError("operation failed: " + error.kind() + " " + error.getMessage(), error);
        }
        return bytes;
    }

    /** The byte count (Long) on success, else the failure's Kind. */
    Object outcome() {
        await();
        return error != null ? error.kind() : (Object) bytes;
    }

    BlockDeviceException failure() {
        await();
        if (error == null) {
            fail("operation succeeded with " + bytes + " bytes, a failure was expected");
        }
        return error;
    }
}
