package io.rbdgw.iscsi.session;

import java.util.function.Consumer;

/**
 * A task management function waiting for the tasks it aborted to finish in the backend before its
 * response may be sent (RFC 7143 4.2.3.5: the response confirms that the tasks are gone). Whoever
 * frees an aborted task calls {@link #taskGone}; the last one runs the function's completion.
 */
final class TmfWait {
    final int itt;
    final int response;
    private final Consumer<TmfWait> done;
    int pending;

    TmfWait(int itt, int response, Consumer<TmfWait> done) {
        this.itt = itt;
        this.response = response;
        this.done = done;
    }

    void taskGone() {
        if (--pending == 0) {
            done.accept(this);
        }
    }
}
