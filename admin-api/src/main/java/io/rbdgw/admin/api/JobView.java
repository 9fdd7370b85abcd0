package io.rbdgw.admin.api;

/**
 * A long operation run in the background ({@code Prefer: respond-async}): what it is, how far it got, and how it
 * ended.
 *
 * @param kind     e.g. "disk.create", "disk.resize", "disk.delete"
 * @param subject  what it works on (a disk id)
 * @param state    QUEUED, RUNNING, SUCCEEDED or FAILED
 * @param progress percent done: 0 until it ends, 100 when it succeeded (librbd does not report finer steps here)
 * @param status   the HTTP status the operation answered with (201/200 on success, 4xx/5xx on failure); null before
 * @param result   its answer on success (what the synchronous request would have returned)
 * @param error    its message on failure
 */
public record JobView(String id, String kind, String subject, String state, int progress, String createdAt,
                      String startedAt, String finishedAt, Integer status, Object result, String error) {
}
