package io.rbdgw.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A test callback that records its single completion and checks it happened exactly once. */
class Completion implements IoCallback {

    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicInteger calls = new AtomicInteger();
    private volatile long bytes;
    private volatile BlockDeviceException error;

    @Override
    public void onSuccess(long bytes) {
        this.bytes = bytes;
        calls.incrementAndGet();
        done.countDown();
    }

    @Override
    public void onFailure(BlockDeviceException error) {
        this.error = error;
        calls.incrementAndGet();
        done.countDown();
    }

    boolean isDone() {
        return done.getCount() == 0;
    }

    int calls() {
        return calls.get();
    }

    private void awaitDone() {
        try {
            if (!done.await(10, TimeUnit.SECONDS)) {
                fail("operation did not complete within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
        }
        assertThat(calls.get()).as("callback invocations").isEqualTo(1);
    }

    /** Waits for completion; true on success, false on a miscompare (any other failure fails the test). */
    boolean succeeded() {
        awaitDone();
        if (error == null) {
            return true;
        }
        assertThat(error.kind()).isEqualTo(BlockDeviceException.Kind.MISCOMPARE);
        return false;
    }

    /** Waits for success and returns the byte count; fails the test on an error. */
    long success() {
        awaitDone();
        if (error != null) {
            throw new AssertionError("operation failed: " + error.kind() + " " + error.getMessage(), error);
        }
        return bytes;
    }

    /** Waits for a failure and returns it; fails the test on success. */
    BlockDeviceException failure() {
        awaitDone();
        if (error == null) {
            fail("operation succeeded with " + bytes + " bytes, a failure was expected");
        }
        return error;
    }
}
