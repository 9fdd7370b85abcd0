package io.rbdgw.block.rbd;

import com.sun.jna.Callback;
import com.sun.jna.CallbackReference;
import com.sun.jna.CallbackThreadInitializer;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.rbdgw.block.IoCallback;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * librbd completion plumbing shared by every device in the JVM.
 *
 * <p>One static {@link LibRbd.CompletionCallback} (strongly reachable for the life of the class, as
 * JNA requires while native code may call it) serves every operation; its {@code cb_arg} is the index
 * of a pre-allocated {@link Op} in a fixed table, so an I/O allocates no callback, closure or map
 * entry. Free ops sit on a lock-free stack (index links plus an ABA tag in one AtomicLong). The
 * callback threads are librbd's own; the thread initializer keeps them attached to the JVM (daemon,
 * no detach), which makes a completion about 100x cheaper than JNA's attach/detach per call. The
 * trampoline is JNA's "direct" kind (see {@link #functionPointer}), which hands the two {@code long}s
 * straight to {@link Dispatcher#invoke}.
 *
 * <p>Each op owns 8 bytes of native memory for compare-and-write's {@code mismatch_off}, which librbd
 * writes when the operation completes, long after the submitting call returned.
 */
final class Aio {

    private static final Logger LOG = LoggerFactory.getLogger(Aio.class);

    /** Operations in flight at once over all devices of the JVM. */
    static final int CAPACITY = Integer.getInteger("rbdgw.rbd.maxInflight", 8192);

    /**
     * What an operation was, for error mapping and the success byte count. ALLOCATION_STATUS is not an
     * aio operation (it runs on {@link AllocationQueries}' threads) but shares the error mapping.
     */
    enum Type {
        READ,
        WRITE,
        FLUSH,
        DISCARD,
        WRITE_ZEROES,
        WRITE_SAME,
        COMPARE_AND_WRITE,
        ALLOCATION_STATUS
    }

    /** One in-flight operation; fields are written by the submitter before the native call. */
    static final class Op {
        final int id;
        final long mismatchAddress;
        RbdBlockDevice device;
        IoCallback callback;
        Type type;
        long offset;
        long length;
        /** Heap destination of a read that went through a direct bounce buffer, else null. */
        ByteBuffer heapDestination;

        ByteBuffer bounce;

        Op(int id, long mismatchAddress) {
            this.id = id;
            this.mismatchAddress = mismatchAddress;
        }

        void clear() {
            device = null;
            callback = null;
            type = null;
            heapDestination = null;
            bounce = null;
        }
    }

    private static final Op[] OPS = new Op[CAPACITY];
    private static final int[] NEXT = new int[CAPACITY];
    /** High 32 bits: ABA tag; low 32 bits: index of the top free op + 1 (0 = empty). */
    private static final AtomicLong HEAD = new AtomicLong();

    private static final Memory MISMATCH = new Memory(8L * CAPACITY);

    private static final class Dispatcher implements LibRbd.CompletionCallback {
        @Override
        public void invoke(long completion, long arg) {
            try {
                long rv = LibRbd.rbd_aio_get_return_value(completion);
                LibRbd.rbd_aio_release(completion);
                Op op = OPS[(int) arg];
                op.device.complete(op, rv);
            } catch (Throwable t) {
                // nothing may escape into librbd's thread
                LOG.error("librbd completion handler failed", t);
            }
        }
    }

    /** Static: librbd may call it as long as the library is loaded. */
    static final LibRbd.CompletionCallback CALLBACK = new Dispatcher();
    /** Its native trampoline, valid while CALLBACK is reachable (always). */
    private static final long CALLBACK_POINTER;

    static {
        Native.setCallbackThreadInitializer(CALLBACK, new CallbackThreadInitializer(true, false, "librbd-aio"));
        CALLBACK_POINTER = functionPointer(CALLBACK);
        MISMATCH.clear();
        for (int i = CAPACITY - 1; i >= 0; i--) {
            OPS[i] = new Op(i, Pointer.nativeValue(MISMATCH) + 8L * i);
            push(i);
        }
    }

    private Aio() {}

    /**
     * The native trampoline of {@code cb}. JNA makes two kinds: the one its public
     * {@code CallbackReference.getFunctionPointer} returns boxes every argument into an {@code Object[]}
     * and calls the method by reflection (a profile of 4K reads put about 2% of the gateway's CPU there);
     * the "direct" one, which JNA makes for callbacks passed to direct-mapped functions, calls the method
     * through JNI with the primitive arguments as they are. JNA has no public way to ask for the direct
     * one by itself, so this calls its private factory, and falls back to the boxing kind should a JNA
     * version not have it.
     */
    static long functionPointer(Callback cb) {
        try {
            Method direct =
                    CallbackReference.class.getDeclaredMethod("getFunctionPointer", Callback.class, boolean.class);
            direct.setAccessible(true);
            return Pointer.nativeValue((Pointer) direct.invoke(null, cb, true));
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn(
                    "JNA's direct callbacks are not available ({}); librbd completions use JNA's boxing "
                            + "callbacks, which cost more CPU per I/O",
                    e.toString());
            return Pointer.nativeValue(CallbackReference.getFunctionPointer(cb));
        }
    }

    /** A free op, or null when {@link #CAPACITY} operations are in flight. */
    static Op acquire() {
        for (; ; ) {
            long head = HEAD.get();
            int top = (int) head - 1;
            if (top < 0) {
                return null;
            }
            long next = NEXT[top] + 1L;
            if (HEAD.compareAndSet(head, ((head >>> 32) + 1) << 32 | next)) {
                return OPS[top];
            }
        }
    }

    static void release(Op op) {
        op.clear();
        push(op.id);
    }

    private static void push(int id) {
        for (; ; ) {
            long head = HEAD.get();
            NEXT[id] = (int) head - 1;
            if (HEAD.compareAndSet(head, ((head >>> 32) + 1) << 32 | (id + 1L))) {
                return;
            }
        }
    }

    /** A completion bound to {@code op}, or a negative errno. */
    static long newCompletion(Op op) {
        long[] out = COMPLETION_OUT.get();
        int rc = LibRbd.rbd_aio_create_completion(op.id, CALLBACK_POINTER, out);
        return rc < 0 ? rc : out[0];
    }

    private static final ThreadLocal<long[]> COMPLETION_OUT = ThreadLocal.withInitial(() -> new long[1]);

    static long mismatchOffset(Op op) {
        return MISMATCH.getLong(8L * op.id);
    }

    /** Native address of {@code src}'s position; a heap buffer is copied into a direct one first, kept in {@code op.bounce} until the operation completes. */
    static long directAddress(Aio.Op op, ByteBuffer src) {
        if (src.isDirect()) {
            return address(src);
        }
        ByteBuffer copy = ByteBuffer.allocateDirect(src.remaining());
        copy.put(src.duplicate()).flip();
        op.bounce = copy;
        return address(copy);
    }

    /** Native address of the buffer's position. */
    static long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct)) + direct.position();
    }
}
