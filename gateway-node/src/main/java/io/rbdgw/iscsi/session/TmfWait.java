package io.rbdgw.iscsi.session;

/**
 * A task management function waiting for the tasks it aborted to finish in the backend before its
 * response may be sent (RFC 7143 4.2.3.5: the response confirms that the tasks are gone).
 */
final class TmfWait {
    final int itt;
    final int response;
    int pending;

    TmfWait(int itt, int response) {
        this.itt = itt;
        this.response = response;
    }
}
