package io.rbdgw.admin.api;

/**
 * A long operation run in the background ({@code Prefer: respond-async}): what it is, how far it got, and how it
 * ended. Kept in ZooKeeper, so every admin API instance lists the same jobs and they outlive a restart.
 *
 * @param id       the job's number (ZooKeeper sequence: increasing, shared by all admin API instances)
 * @param kind     e.g. "disk.create", "disk.resize", "disk.delete"
 * @param subject  what it works on (a disk id)
 * @param state    QUEUED, RUNNING, SUCCEEDED, FAILED, or INTERRUPTED (its admin API instance stopped before it ended)
 * @param progress percent done: reported by an RBD image delete as it goes; other operations jump from 0 to 100
 * @param user     who started it
 * @param instance the admin API instance that runs it
 * @param status   the HTTP status the operation answered with (201/200 on success, 4xx/5xx on failure); null before
 * @param result   its answer on success (what the synchronous request would have returned)
 * @param error    its message on failure or interruption
 */
public record JobView(
        String id,
        String kind,
        String subject,
        String state,
        int progress,
        String user,
        String instance,
        String createdAt,
        String startedAt,
        String finishedAt,
        Integer status,
        Object result,
        String error) {
    public static final String QUEUED = "QUEUED";
    public static final String RUNNING = "RUNNING";
    public static final String SUCCEEDED = "SUCCEEDED";
    public static final String FAILED = "FAILED";
    public static final String INTERRUPTED = "INTERRUPTED";

    /** Whether it can still change (its instance runs it or will). */
    public boolean active() {
        return QUEUED.equals(state) || RUNNING.equals(state);
    }

    public JobView withId(String newId) {
        return new JobView(
                newId,
                kind,
                subject,
                state,
                progress,
                user,
                instance,
                createdAt,
                startedAt,
                finishedAt,
                status,
                result,
                error);
    }

    public JobView withProgress(int percent) {
        return new JobView(
                id,
                kind,
                subject,
                state,
                percent,
                user,
                instance,
                createdAt,
                startedAt,
                finishedAt,
                status,
                result,
                error);
    }

    public JobView running(String at) {
        return new JobView(id, kind, subject, RUNNING, progress, user, instance, createdAt, at, null, null, null, null);
    }

    public JobView ended(String endState, int percent, String at, Integer httpStatus, Object answer, String message) {
        return new JobView(
                id,
                kind,
                subject,
                endState,
                percent,
                user,
                instance,
                createdAt,
                startedAt,
                at,
                httpStatus,
                answer,
                message);
    }
}
