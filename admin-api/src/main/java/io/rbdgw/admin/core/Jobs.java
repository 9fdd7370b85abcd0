package io.rbdgw.admin.core;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.lifecycle.Managed;
import io.rbdgw.admin.api.JobView;
import io.rbdgw.config.store.ConfigStoreException;
import io.rbdgw.config.store.ZkLayout;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long operations (RBD image create, resize, delete) run in the background on a small pool, so an HTTP request
 * does not hold a connection for minutes. Each job is a persistent sequential znode {@code /<root>/jobs/j-<n>}
 * (its number is the job id), so every admin API instance lists the same jobs and they outlive a restart; the last
 * {@link #KEPT} are kept (older finished ones are deleted, active ones stay).
 *
 * <p>Each instance announces itself with an ephemeral {@code /<root>/admins/<instance>} while it runs. A job still
 * QUEUED or RUNNING whose instance is not there any more never ends by itself: it is rewritten as INTERRUPTED when
 * an instance starts and whenever one reads it.
 */
public final class Jobs implements Managed {
    private static final Logger log = LoggerFactory.getLogger(Jobs.class);
    public static final int KEPT = 200;
    static final int THREADS = 2;
    public static final int QUEUE = 64;
    /** At most one progress write to ZooKeeper per job in this interval. */
    static final long PROGRESS_INTERVAL_MS = 500;

    private static final String PREFIX = "j-";
    public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(30);

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

    /** Where an operation reports how far it got, in percent (called as often as it likes: writes are throttled). */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = percent -> {};

        void percent(int percent);
    }

    /** The operation a job runs. */
    @FunctionalInterface
    public interface Work {
        Outcome run(Progress progress);
    }

    private final CuratorFramework client;
    private final String path;
    private final String instancesPath;
    private final String instance;
    private final ObjectMapper json = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private final ThreadPoolExecutor pool;
    /** Jobs of this instance not ended yet: marked INTERRUPTED at stop if they do not end in time. */
    private final Set<String> active = ConcurrentHashMap.newKeySet();
    /** Running jobs' progress, written by {@link #ticker}. */
    private final Map<String, Throttled> progressing = new ConcurrentHashMap<>();

    private final ScheduledExecutorService ticker;
    private final Duration stopGrace;
    private PersistentNode alive;

    public Jobs(CuratorFramework client, ZkLayout layout) {
        this(client, layout, DEFAULT_STOP_GRACE);
    }

    /** @param stopGrace how long a stop waits for running jobs before recording them as INTERRUPTED */
    public Jobs(CuratorFramework client, ZkLayout layout, Duration stopGrace) {
        this.client = client;
        this.stopGrace = stopGrace;
        this.path = layout.jobs();
        this.instancesPath = layout.adminInstances();
        this.instance = UUID.randomUUID().toString();
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "rbdgw-job-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rbdgw-job-progress");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(
                () -> progressing.values().forEach(Throttled::flush),
                PROGRESS_INTERVAL_MS,
                PROGRESS_INTERVAL_MS,
                TimeUnit.MILLISECONDS);
    }

    /** This instance's id, as its jobs record it. */
    public String instance() {
        return instance;
    }

    /** Records and queues {@code work}; 503 when {@link #QUEUE} jobs are already waiting or ZooKeeper is unreachable. */
    public JobView submit(String kind, String subject, String user, Work work) {
        JobView queued = new JobView(
                null,
                kind,
                subject,
                JobView.QUEUED,
                0,
                user == null ? "anonymous" : user,
                instance,
                Instant.now().toString(),
                null,
                null,
                null,
                null,
                null);
        String node;
        try {
            node = client.create()
                    .creatingParentsIfNeeded()
                    .withMode(CreateMode.PERSISTENT_SEQUENTIAL)
                    .forPath(path + "/" + PREFIX, json.writeValueAsBytes(queued));
        } catch (Exception e) {
            throw ApiException.unavailable("cannot record the job in ZooKeeper " + path + ": " + e.getMessage());
        }
        JobView job = queued.withId(Long.toString(sequence(ZKPaths.getNodeFromPath(node))));
        active.add(job.id());
        try {
            pool.execute(() -> run(job, work));
        } catch (RejectedExecutionException e) {
            active.remove(job.id());
            delete(job.id());
            throw ApiException.unavailable(
                    QUEUE + " jobs are waiting already (or the service is stopping): try again later");
        }
        trim();
        return job;
    }

    private void run(JobView queued, Work work) {
        JobView running = queued.running(Instant.now().toString());
        write(running);
        Throttled progress = new Throttled(running);
        progressing.put(queued.id(), progress);
        Outcome outcome;
        String error = null;
        try {
            outcome = work.run(progress);
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
            error = "internal error (" + e.getClass().getSimpleName() + "); see the admin API's log for job "
                    + queued.id();
        }
        boolean ok = error == null;
        if (!ok) {
            log.warn(
                    "job {} ({} {}) failed with {}: {}",
                    queued.id(),
                    queued.kind(),
                    queued.subject(),
                    outcome.status(),
                    error);
        }
        progressing.remove(queued.id());
        progress.end(running.ended(
                ok ? JobView.SUCCEEDED : JobView.FAILED,
                ok ? 100 : progress.last(),
                Instant.now().toString(),
                outcome.status(),
                ok ? outcome.entity() : null,
                error));
        active.remove(queued.id());
    }

    /**
     * A running job's progress: reporting only notes it (librbd may call from its own threads, which must not wait
     * for ZooKeeper); the ticker writes it every {@link #PROGRESS_INTERVAL_MS} when it grew.
     */
    private final class Throttled implements Progress {
        private final JobView running;
        private volatile int last;
        private int written;
        private boolean closed;

        Throttled(JobView running) {
            this.running = running;
        }

        @Override
        public void percent(int percent) {
            int p = Math.max(0, Math.min(100, percent));
            if (p > last) {
                last = p;
            }
        }

        int last() {
            return last;
        }

        synchronized void flush() {
            int p = last;
            if (!closed && p > written) {
                written = p;
                write(running.withProgress(p));
            }
        }

        /** Writes the job's end; no progress write can come after it. */
        synchronized void end(JobView ended) {
            closed = true;
            write(ended);
        }
    }

    /** The job; an active one of an instance that is gone is reported (and recorded) as INTERRUPTED. */
    public JobView get(String id) {
        String node = node(id);
        try {
            Stat stat = new Stat();
            byte[] data = client.getData().storingStatIn(stat).forPath(node);
            return reconcile(read(id, data), stat.getVersion(), null);
        } catch (KeeperException.NoNodeException e) {
            throw ApiException.notFound("no job " + id + " (the last " + KEPT + " jobs are kept)");
        } catch (ApiException e) {
            throw e;
        } catch (Exception e) {
            throw ApiException.unavailable("cannot read job " + id + " from ZooKeeper: " + e.getMessage());
        }
    }

    /** Every kept job, newest first. */
    public List<JobView> list() {
        try {
            List<String> children = sorted();
            Set<String> alive = aliveInstances();
            List<JobView> out = new ArrayList<>();
            for (int i = children.size() - 1; i >= 0; i--) {
                String id = Long.toString(sequence(children.get(i)));
                Stat stat = new Stat();
                byte[] data;
                try {
                    data = client.getData().storingStatIn(stat).forPath(path + "/" + children.get(i));
                } catch (KeeperException.NoNodeException e) {
                    continue; // trimmed meanwhile
                }
                out.add(reconcile(read(id, data), stat.getVersion(), alive));
            }
            return out;
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (Exception e) {
            throw ApiException.unavailable("cannot read the jobs from ZooKeeper " + path + ": " + e.getMessage());
        }
    }

    private JobView reconcile(JobView job, int version, Set<String> alive) throws Exception {
        if (!job.active() || instance.equals(job.instance())) {
            return job;
        }
        if (alive == null) {
            alive = aliveInstances();
        }
        if (alive.contains(job.instance())) {
            return job;
        }
        JobView interrupted = job.ended(
                JobView.INTERRUPTED,
                job.progress(),
                Instant.now().toString(),
                null,
                null,
                "interrupted at " + job.progress() + "%: admin API instance " + job.instance() + " that ran it stopped "
                        + "before it ended; check " + job.subject() + " and repeat the request if needed");
        try {
            // conditional: the owner may have ended it meanwhile (its session came back)
            client.setData().withVersion(version).forPath(node(job.id()), json.writeValueAsBytes(interrupted));
            log.warn(
                    "job {} ({} {}) of admin API instance {}, which is gone, is marked INTERRUPTED",
                    job.id(),
                    job.kind(),
                    job.subject(),
                    job.instance());
            return interrupted;
        } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
            return get(job.id());
        }
    }

    private Set<String> aliveInstances() throws Exception {
        try {
            return Set.copyOf(client.getChildren().forPath(instancesPath));
        } catch (KeeperException.NoNodeException e) {
            return Set.of();
        }
    }

    private JobView read(String id, byte[] data) throws IOException {
        return json.readValue(data, JobView.class).withId(id);
    }

    /** Overwrites the job's record (this instance owns it); a failure is logged: the operation goes on. */
    private void write(JobView job) {
        try {
            client.setData().forPath(node(job.id()), json.writeValueAsBytes(job));
        } catch (Exception e) {
            log.warn(
                    "could not record job {} ({} {}) as {} {}% in ZooKeeper {}: {}",
                    job.id(), job.kind(), job.subject(), job.state(), job.progress(), path, e.toString());
        }
    }

    private void delete(String id) {
        try {
            client.delete().forPath(node(id));
        } catch (Exception e) {
            log.warn("could not delete job {} from ZooKeeper {}: {}", id, path, e.toString());
        }
    }

    /** Deletes the oldest ended jobs beyond {@link #KEPT}; active ones stay. */
    private void trim() {
        try {
            List<String> children = sorted();
            int excess = children.size() - KEPT;
            for (int i = 0; i < children.size() && excess > 0; i++) {
                String id = Long.toString(sequence(children.get(i)));
                try {
                    byte[] data = client.getData().forPath(path + "/" + children.get(i));
                    if (!read(id, data).active()) {
                        client.delete().forPath(path + "/" + children.get(i));
                        excess--;
                    }
                } catch (KeeperException.NoNodeException e) {
                    excess--; // another instance trimmed it
                }
            }
        } catch (Exception e) {
            log.warn("could not trim the jobs in ZooKeeper {} to {}: {}", path, KEPT, e.toString());
        }
    }

    private List<String> sorted() throws Exception {
        List<String> children = new ArrayList<>(client.getChildren().forPath(path));
        children.removeIf(c -> !c.startsWith(PREFIX) || sequence(c) < 0);
        children.sort(Comparator.comparingLong(Jobs::sequence));
        return children;
    }

    private String node(String id) {
        long n;
        try {
            n = Long.parseLong(id);
        } catch (NumberFormatException e) {
            throw ApiException.notFound("no job " + id + " (job ids are numbers)");
        }
        if (n < 0) {
            throw ApiException.notFound("no job " + id);
        }
        return path + "/" + PREFIX + String.format("%010d", n);
    }

    private static long sequence(String name) {
        try {
            return Long.parseLong(name.substring(PREFIX.length()));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            return -1;
        }
    }

    /** Announces this instance, then marks the active jobs of instances that are gone as INTERRUPTED. */
    @Override
    public void start() throws Exception {
        alive = new PersistentNode(client, CreateMode.EPHEMERAL, false, instancesPath + "/" + instance, new byte[0]);
        alive.start();
        if (!alive.waitForInitialCreate(10, TimeUnit.SECONDS)) {
            log.warn(
                    "admin API instance {} is not announced in ZooKeeper {} yet: other instances would take its jobs "
                            + "for interrupted until it is",
                    instance,
                    instancesPath);
            return;
        }
        try {
            long interrupted = list().stream()
                    .filter(j -> JobView.INTERRUPTED.equals(j.state()))
                    .count();
            log.info("admin API instance {} runs jobs ({} interrupted jobs are recorded)", instance, interrupted);
        } catch (ApiException e) {
            log.warn("could not check for interrupted jobs at start: {}", e.getMessage());
        }
    }

    /**
     * Lets running jobs finish for {@link #stopGrace}; what has not ended then (queued ones included) is recorded as INTERRUPTED,
     * and the instance's announcement goes.
     */
    @Override
    public void stop() throws Exception {
        pool.shutdown();
        if (!pool.awaitTermination(stopGrace.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn(
                    "jobs {} still running {} ms after the stop began; recording them as INTERRUPTED",
                    active,
                    stopGrace.toMillis());
            pool.shutdownNow();
        }
        ticker.shutdownNow();
        for (String id : Set.copyOf(active)) {
            try {
                JobView job = get(id);
                if (job.active()) {
                    write(job.ended(
                            JobView.INTERRUPTED,
                            job.progress(),
                            Instant.now().toString(),
                            null,
                            null,
                            "interrupted at " + job.progress()
                                    + "%: the admin API instance that ran it was stopped; check " + job.subject()
                                    + " and repeat the request if needed"));
                }
            } catch (ApiException e) {
                log.warn("could not record job {} as interrupted: {}", id, e.getMessage());
            }
        }
        if (alive != null) {
            alive.close();
        }
    }
}
