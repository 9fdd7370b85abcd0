package io.rbdgw.block.rbd;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.CallbackReference;
import com.sun.jna.Function;
import com.sun.jna.Pointer;
import org.junit.jupiter.api.Test;

/** The completion trampoline: JNA's direct kind, and it delivers both arguments unchanged. */
class AioCallbackTest {

    /** Implements the very interface librbd's completions use (loading it does not load librbd). */
    static final class Recorder implements LibRbd.CompletionCallback {
        volatile long completion;
        volatile long arg;

        @Override
        public void invoke(long completion, long arg) {
            this.completion = completion;
            this.arg = arg;
        }
    }

    @Test
    void theDirectTrampolineCallsTheMethodWithBothLongs() {
        Recorder recorder = new Recorder();
        long direct = Aio.functionPointer(recorder);
        // the public factory builds the boxing kind: another trampoline (so the direct one was not a fallback)
        assertThat(direct)
                .isNotZero()
                .isNotEqualTo(Pointer.nativeValue(CallbackReference.getFunctionPointer(recorder)));

        Function.getFunction(new Pointer(direct)).invoke(void.class, new Object[] {0x7f12_3456_789aL, -2L});

        assertThat(recorder.completion).isEqualTo(0x7f12_3456_789aL);
        assertThat(recorder.arg).isEqualTo(-2L);
    }
}
