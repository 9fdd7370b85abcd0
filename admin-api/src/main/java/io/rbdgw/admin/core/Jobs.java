package io.rbdgw.admin.core;

import io.dropwizard.lifecycle.Managed;
import io.rbdgw.admin.api.JobView;
import io.rbdgw.config.store.ConfigStoreException;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long operations (RBD image create, resize, delete) run in the background on a small pool, so an HTTP request
 * does not hold a connection for minutes. Jobs live in this admin API process only: the last {@link #KEPT} are
 * listed, and a restart forgets them (the configuration change a job made stays, as its epoch shows).
 */
public final class Jobs implements Managed {
    private static final Logger log = LoggerFactory.getLogger(Jobs.class);
    public static final int KEPT = 200;
    static final int THREADS = 2;
    static final int QUEUE = 64;

    /**
     * An operation's outcome: what the synchronous request answers with.
     *
     * @param epoch    the configuration epoch it committed at (the answer's ETag), or null
     * @param location the created resource, or null
     */
    public record Outcome(int status, Object entity, Long epoch, URI location) {
        public static Outcome ok(long epoch, Object entity) {
            return new Outcome(200, entity, epoch, null);
        }

        public static Outcome created(long epoch, URI location, Object entity) {
            return new Outcome(201, entity, epoch, location);
        }

        static Outcome failed(int status) {
            return new Outcome(status, null, null, null);
        }
    }

    /** The operation a job runs. */
    @FunctionalInterface
    public interface Work {
        Outcome run();
    }

    private final Map<String, JobView> jobs = new LinkedHashMap<>();
    private final ThreadPoolExecutor pool;

    public Jobs() {
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "rbdgw-job-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues {@code work}; 503 when {@link #QUEUE} jobs are already waiting. */
    public JobView submit(String kind, String subject, Work work) {
        String id = UUID.randomUUID().toString();
        JobView queued = new JobView(id, kind, subject, "QUEUED", 0, Instant.now().toString(), null, null, null, null, null);
        put(queued);
        try {
            pool.execute(() -> run(queued, work));
        } catch (RejectedExecutionException e) {
            remove(id);
            throw ApiException.unavailable(QUEUE + " jobs are waiting already (or the service is stopping): try again later");
        }
        return queued;
    }

    private void run(JobView queued, Work work) {
        JobView running = new JobView(queued.id(), queued.kind(), queued.subject(), "RUNNING", 0, queued.createdAt(),
                Instant.now().toString(), null, null, null, null);
        put(running);
        Outcome outcome;
        String error = null;
        try {
            outcome = work.run();
        } catch (ApiException e) {
            outcome = Outcome.failed(e.status());
            error = e.getMessage();
        } catch (IllegalArgumentException e) {
            outcome = Outcome.failed(400);
            error = e.getMessage();
        } catch (NoSuchElementException e) {
            outcome = Outcome.failed(404);
            error = e.getMessage();
        } catch (ConfigStoreException e) {
            outcome = Outcome.failed(503);
            error = "the configuration store is unavailable: " + e.getMessage();
        } catch (RuntimeException e) {
            log.error("job {} ({} {}) failed", queued.id(), queued.kind(), queued.subject(), e);
            outcome = Outcome.failed(500);
            error = "internal error (" + e.getClass().getSimpleName() + "); see the admin API's log for job " + queued.id();
        }
        boolean ok = error == null;
        if (!ok) {
            log.warn("job {} ({} {}) failed with {}: {}", queued.id(), queued.kind(), queued.subject(), outcome.status(), error);
        }
        put(new JobView(queued.id(), queued.kind(), queued.subject(), ok ? "SUCCEEDED" : "FAILED", ok ? 100 : 0,
                queued.createdAt(), running.startedAt(), Instant.now().toString(), outcome.status(),
                ok ? outcome.entity() : null, error));
    }

    public synchronized JobView get(String id) {
        JobView j = jobs.get(id);
        if (j == null) {
            throw ApiException.notFound("no job " + id + " (jobs are kept in the admin API process, the last " + KEPT + ")");
        }
        return j;
    }

    /** Newest first. */
    public synchronized List<JobView> list() {
        List<JobView> out = new ArrayList<>(jobs.values());
        Collections.reverse(out);
        return out;
    }

    private synchronized void put(JobView j) {
        jobs.put(j.id(), j);
        // forget the oldest finished jobs beyond KEPT (running ones stay)
        Iterator<JobView> it = jobs.values().iterator();
        int excess = jobs.size() - KEPT;
        while (excess > 0 && it.hasNext()) {
            JobView old = it.next();
            if (old.finishedAt() != null) {
                it.remove();
                excess--;
            }
        }
    }

    private synchronized void remove(String id) {
        jobs.remove(id);
    }

    @Override
    public void start() {
    }

    /** Lets running jobs finish for a while; queued ones are dropped. */
    @Override
    public void stop() throws InterruptedException {
        pool.shutdown();
        if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
            log.warn("jobs still running after 30 s at shutdown; interrupting them");
            pool.shutdownNow();
        }
    }
}
