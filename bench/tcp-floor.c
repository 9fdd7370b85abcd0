/*
 * tcp-floor: the CPU a TCP target's initiator-facing socket costs per I/O on this host (issue #17 bar 3).
 *
 * Two processes over one 127.0.0.1 TCP connection play the target's and the initiator's side of an iSCSI
 * connection with no storage behind it:
 *   read   the initiator sends a 48-byte request; the target answers with SIZE bytes of data, cut into
 *          segments of SEG bytes, each behind its own 48-byte header (a Data-In PDU), all of one answer
 *          in one writev;
 *   write  the initiator sends SIZE bytes of data cut the same way (Data-Out PDUs), the target reads them
 *          and answers with one 48-byte response.
 * The initiator keeps INFLIGHT requests outstanding. The target is event driven as a Netty target is:
 * non-blocking socket, epoll_wait, a read of what is there, one writev per answer, EPOLLOUT only while
 * the socket is full. The initiator uses blocking calls.
 *
 * Each process takes its CPU (getrusage: user + system) and the host's busy time (/proc/stat) over the
 * same window of wall time after a warm-up, and the target prints one line:
 *   tcp-floor MODE size=SIZE seg=SEG inflight=K msgs_per_s=N target_cpu_us=T (user=U sys=S)
 *             initiator_cpu_us=I host_cpu_us=H
 * all per I/O (one request and its answer). target_cpu_us is what any TCP target pays for the socket on
 * top of its storage work: the floor this tool exists for.
 *
 * With RBD (CONF:ID:POOL/IMAGE) the target also does the storage work, as the least a TCP target on librbd
 * can do: every write request's data segments go to rbd_aio_writev as they lie in the request's receive buffer
 * (a gather of SIZE/SEG pieces, as the gateway passes them), every read request is an rbd_aio_read into a
 * buffer that the answer's Data-In segments are then sent from; librbd's completion callback hands the I/O
 * back to the event loop through an eventfd, and the answer goes out from there. librbd is loaded at run
 * time (librbd.so.1, no headers needed) and set up as the gateway sets it up (RbdCluster: cache off,
 * objecter throttles off, rbd_non_blocking_aio off, one librados thread). Offsets are sequential for read
 * and write, random (4K-aligned) for randread and randwrite. target_cpu_us then includes librbd's threads:
 * the whole process, as rbd-bench counts the gateway's and fio+librbd's.
 *
 * With BURST (writes only), the initiator sends FIRST bytes with the command and the rest only as the target
 * asks for it with R2Ts of BURST bytes at most, one at a time per command: the round trips an iSCSI write
 * larger than FirstBurstLength costs (libiscsi: FirstBurstLength and MaxBurstLength 256 KiB, so a 1 MiB
 * write takes three R2Ts). Messages then carry a tag and an offset, and the target reads each PDU's data
 * into place in the command's buffer.
 *
 * Usage: tcp-floor read|write|randread|randwrite SIZE INFLIGHT [SEG] [WARMUP_S] [SECONDS] [BATCH] [RATE]
 *                  [RBD|-] [FIRST BURST]
 * BATCH: at most this many answers per writev (0, the default: all that are owed, as a flush of many PDUs;
 * 1: one answer per writev, as a target whose storage completes one I/O at a time).
 * RATE: the initiator sends at most this many requests per second (0, the default: as fast as answers come),
 * to compare CPU per I/O at the rate another target reached.
 *
 * Two environment variables change the conditions, to test what a difference between targets comes from:
 *   TCP_FLOOR_INITIATOR_COPY=BYTES  the initiator also copies BYTES (within a 16 MiB area) per answer: it then
 *                                   loads the host as a costlier initiator does (fio/libiscsi spends about
 *                                   100 µs more per 1 MiB write than this one);
 *   TCP_FLOOR_BUFFERS=N             the RBD targets take their request buffers from N of them in turn (FIFO)
 *                                   instead of reusing the last freed one: a memory footprint of N x SIZE, as
 *                                   a target whose socket reads lie in pooled buffers has.
 * Both take whole numbers (BYTES up to 16 MiB, N up to 4096; 0 is the default); anything else stops the program.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HDR 48
#define MAX_IOV 1024

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* The environment variables of the header, read and checked once at start (0: not given) */
static long initiator_copy, buffers_wanted;

static long env_count(const char *name, long max) {
    const char *e = getenv(name);
    if (!e) return 0;
    char *end;
    errno = 0;
    long v = strtol(e, &end, 10);
    if (errno || end == e || *end || v < 0 || v > max) {
        fprintf(stderr, "%s must be a whole number from 0 to %ld, not '%s'\n", name, max, e);
        exit(2);
    }
    return v;
}

/* TCP_FLOOR_INITIATOR_COPY: extra work of the initiator per answer (see the header), between two 16 MiB areas so
 * that it goes through memory as the socket copies of a costlier initiator do */
static void initiator_ballast(void) {
    static long at;
    static char *src, *dst;
    const long area = 16L << 20;
    if (initiator_copy == 0) return;
    if (!src) {
        if (!(src = malloc(area)) || !(dst = malloc(area))) die("malloc");
        memset(src, 0x5a, area), memset(dst, 0, area);
    }
    if (at + initiator_copy > area) at = 0;
    memcpy(dst + at, src + at, initiator_copy);
    at += initiator_copy;
}

/* The request buffers a target has free: the last one freed first, or with TCP_FLOOR_BUFFERS in turn */
struct freelist {
    int *q, n, head, cap, fifo;
};

static void free_push(struct freelist *f, int b) {
    if (f->fifo) f->q[(f->head + f->n++) % f->cap] = b;
    else f->q[f->n++] = b;
}

static int free_pop(struct freelist *f, const char *what) {
    if (f->n == 0) die(what);
    if (!f->fifo) return f->q[--f->n];
    int b = f->q[f->head];
    f->head = (f->head + 1) % f->cap, f->n--;
    return b;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_self(double *user, double *sys) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    *sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    return *user + *sys;
}

/* busy seconds of all CPUs together (user nice system irq softirq steal) */
static double host_busy(void) {
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                     &v[6], &v[7]) != 8)
        die("/proc/stat");
    fclose(f);
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / sysconf(_SC_CLK_TCK);
}

/* The measured window: [start, end) of wall time, the CPU and message count at both ends. */
struct window {
    double start, end;
    int state; /* 0 warm-up, 1 measuring, 2 done */
    double cpu0, user0, sys0, host0, t0;
    double cpu1, user1, sys1, host1, t1;
    long msgs0, msgs1;
};

static void window_tick(struct window *w, long msgs) {
    double t = now();
    if (w->state == 0 && t >= w->start) {
        w->cpu0 = cpu_self(&w->user0, &w->sys0);
        w->host0 = host_busy();
        w->t0 = t;
        w->msgs0 = msgs;
        w->state = 1;
    } else if (w->state == 1 && t >= w->end) {
        w->cpu1 = cpu_self(&w->user1, &w->sys1);
        w->host1 = host_busy();
        w->t1 = t;
        w->msgs1 = msgs;
        w->state = 2;
    }
}

/* the other side may stop first: end an open window at the last message seen */
static void window_close(struct window *w, long msgs) {
    if (w->state == 1) {
        w->end = 0;
        window_tick(w, msgs);
    }
}

/* iovecs of one message: SIZE bytes of data cut into SEG-byte segments, each behind a header */
static int build_iov(struct iovec *iov, char *hdr, char *data, long size, long seg) {
    int n = 0;
    for (long off = 0; off < size; off += seg) {
        long len = size - off < seg ? size - off : seg;
        iov[n].iov_base = hdr;
        iov[n++].iov_len = HDR;
        iov[n].iov_base = data + off;
        iov[n++].iov_len = len;
    }
    return n;
}

static long msg_bytes(long size, long seg) {
    return size + HDR * ((size + seg - 1) / seg);
}

/* appends iov[0..n) to tmp from index k, leaving out the first *skip bytes (used up from *skip): what of a
 * queue of messages a partial writev has not sent yet; returns the new k */
static int gather(struct iovec *tmp, int k, const struct iovec *iov, int n, long *skip) {
    for (int i = 0; i < n; i++) {
        if (*skip >= (long)iov[i].iov_len) {
            *skip -= iov[i].iov_len;
            continue;
        }
        tmp[k].iov_base = (char *)iov[i].iov_base + *skip;
        tmp[k++].iov_len = iov[i].iov_len - *skip;
        *skip = 0;
    }
    return k;
}

/* writes all of iov[0..n) (at most MAX_IOV) on a blocking socket */
static void send_all(int fd, const struct iovec *iov, int n) {
    long left = 0, skip = 0;
    for (int i = 0; i < n; i++) left += iov[i].iov_len;
    while (left > 0) {
        struct iovec tmp[MAX_IOV];
        long s = skip;
        ssize_t r = writev(fd, tmp, gather(tmp, 0, iov, n, &s));
        if (r <= 0) die("writev");
        skip += r, left -= r;
    }
}

/* the target's non-blocking read of what is there into v[0..n): the byte count, or 0 when there is nothing
 * (EAGAIN) or the initiator has finished (then *eof is set) */
static ssize_t read_some(int fd, struct iovec *v, int n, int *eof) {
    ssize_t r = n == 1 ? recv(fd, v[0].iov_base, v[0].iov_len, 0) : readv(fd, v, n);
    if (r == 0) *eof = 1;
    if (r < 0) {
        if (errno != EAGAIN) die("target read");
        r = 0;
    }
    return r;
}

/* EPOLLOUT on the connection only while answers wait for room in its socket */
static void watch_out(int ep, struct epoll_event *ev, int need, int *watching) {
    if (need != *watching) {
        ev->events = EPOLLIN | (need ? EPOLLOUT : 0);
        if (epoll_ctl(ep, EPOLL_CTL_MOD, ev->data.fd, ev)) die("epoll_ctl mod");
        *watching = need;
    }
}

/* the initiator's end: stop sending, and report its CPU and messages over the window to the target */
static void initiator_report(int fd, struct window *w, long done, int report) {
    /* ask the target to end: a zero-length shutdown of our sending side */
    shutdown(fd, SHUT_WR);
    window_close(w, done);
    double cpu = w->cpu1 - w->cpu0;
    long msgs = w->msgs1 - w->msgs0;
    if (write(report, &cpu, sizeof cpu) != sizeof cpu || write(report, &msgs, sizeof msgs) != sizeof msgs)
        die("report");
}

/* ---- initiator: blocking; keeps `inflight` requests outstanding until told to stop by the clock */
/* sleeps until the `sent`th request is due at `rate` per second from `t0` (no pacing when rate is 0) */
static void pace(double t0, double rate, long sent) {
    if (rate <= 0) return;
    double d = t0 + sent / rate - now();
    if (d > 0) {
        struct timespec ts = {.tv_sec = (time_t)d, .tv_nsec = (long)((d - (time_t)d) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static void initiator(int fd, int reading, long size, long seg, int inflight, double rate, struct window *w,
                      int report) {
    long ans_len = reading ? msg_bytes(size, seg) : HDR;
    char *data = calloc(1, size), *hdr = calloc(1, HDR), *in = malloc(ans_len);
    struct iovec *iov = calloc(2 * (size / seg + 2), sizeof *iov);
    int niov = reading ? 0 : build_iov(iov, hdr, data, size, seg);
    if (reading) {
        iov[0].iov_base = hdr;
        iov[0].iov_len = HDR;
        niov = 1;
    }
    long done = 0, sent = 0;
    int stop = 0;
    double t0 = now();
    for (; sent < inflight; sent++) {
        pace(t0, rate, sent);
        send_all(fd, iov, niov);
    }
    while (!stop || done < sent) {
        long got = 0;
        while (got < ans_len) {
            ssize_t r = recv(fd, in + got, ans_len - got, 0);
            if (r <= 0) die("initiator recv");
            got += r;
        }
        done++;
        initiator_ballast();
        window_tick(w, done);
        if (w->state == 2) stop = 1;
        if (!stop) {
            pace(t0, rate, sent);
            send_all(fd, iov, niov);
            sent++;
        }
    }
    initiator_report(fd, w, done, report);
}

/* ---- target: non-blocking, epoll; answers every complete request in arrival order */
static void target(int fd, int reading, long size, long seg, long batch, struct window *w, long *msgs_out) {
    long req_len = reading ? HDR : msg_bytes(size, seg);
    char *data = calloc(1, size), *hdr = calloc(1, HDR);
    long rbuf_len = req_len * 2 + 65536;
    char *rbuf = malloc(rbuf_len);
    long rfill = 0;
    struct iovec *ans = calloc(2 * (size / seg + 2), sizeof *ans);
    int nans = reading ? build_iov(ans, hdr, data, size, seg) : 0;
    long ans_len = reading ? msg_bytes(size, seg) : HDR;
    if (!reading) {
        ans[0].iov_base = hdr;
        ans[0].iov_len = HDR;
        nans = 1;
    }
    long pending = 0;  /* answers owed */
    long partial = 0;  /* bytes of the answer at the head already written */
    long answered = 0;
    int ep = epoll_create1(0), want_out = 0, eof = 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd}, evs[4];
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) die("epoll_ctl");
    while (!eof || pending > 0) {
        if (epoll_wait(ep, evs, 4, -1) < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        /* read what is there; in write mode the data lands in rbuf and is consumed by whole requests */
        for (;;) {
            long room = rbuf_len - rfill;
            struct iovec v = {.iov_base = rbuf + rfill, .iov_len = room};
            ssize_t r = read_some(fd, &v, 1, &eof);
            if (r == 0) break;
            rfill += r;
            long whole = rfill / req_len;
            pending += whole;
            rfill -= whole * req_len; /* the bytes are not looked at: keep only the count of the rest */
            if (r < room) break; /* drained */
        }
        /* answer as many as the socket takes, several answers per writev (as a flush of many PDUs does) */
        while (pending > 0) {
            struct iovec tmp[MAX_IOV];
            int k = 0;
            long skip = partial;
            for (long m = 0; m < pending && k + nans <= MAX_IOV && (batch == 0 || m < batch); m++)
                k = gather(tmp, k, ans, nans, &skip);
            ssize_t r = writev(fd, tmp, k);
            if (r < 0) {
                if (errno == EAGAIN) break;
                die("target writev");
            }
            partial += r;
            while (partial >= ans_len) {
                partial -= ans_len;
                pending--;
                answered++;
                window_tick(w, answered);
            }
        }
        watch_out(ep, &ev, pending > 0, &want_out);
    }
    window_close(w, answered);
    *msgs_out = w->msgs1 - w->msgs0;
}

/* ---- the target with librbd behind it (RBD argument) */
typedef void *rados_t, *rados_ioctx_t, *rbd_image_t, *rbd_completion_t;
typedef void (*rbd_callback_t)(rbd_completion_t c, void *arg);
static struct {
    int (*rados_create)(rados_t *, const char *);
    int (*rados_conf_read_file)(rados_t, const char *);
    int (*rados_conf_set)(rados_t, const char *, const char *);
    int (*rados_connect)(rados_t);
    int (*rados_ioctx_create)(rados_t, const char *, rados_ioctx_t *);
    void (*rados_ioctx_destroy)(rados_ioctx_t);
    void (*rados_shutdown)(rados_t);
    int (*rbd_open)(rados_ioctx_t, const char *, rbd_image_t *, const char *);
    int (*rbd_close)(rbd_image_t);
    int (*rbd_get_size)(rbd_image_t, uint64_t *);
    int (*rbd_aio_create_completion)(void *, rbd_callback_t, rbd_completion_t *);
    int (*rbd_aio_writev)(rbd_image_t, const struct iovec *, int, uint64_t, rbd_completion_t);
    int (*rbd_aio_read)(rbd_image_t, uint64_t, size_t, char *, rbd_completion_t);
    ssize_t (*rbd_aio_get_return_value)(rbd_completion_t);
    void (*rbd_aio_release)(rbd_completion_t);
} L;

static void *sym(void *lib, const char *name) {
    void *f = dlsym(lib, name);
    if (!f) {
        fprintf(stderr, "%s not found: %s\n", name, dlerror());
        exit(1);
    }
    return f;
}

static void check(int r, const char *what) {
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", what, strerror(-r));
        exit(1);
    }
}

static rados_t cluster;
static rados_ioctx_t ioctx;
static rbd_image_t image;
static uint64_t image_size;

/* spec CONF:ID:POOL/IMAGE */
static void rbd_setup(const char *spec) {
    char *s = strdup(spec), *id = strchr(s, ':'), *pool = id ? strchr(id + 1, ':') : NULL;
    char *name = pool ? strchr(pool + 1, '/') : NULL;
    if (!name) {
        fprintf(stderr, "RBD must be CONF:ID:POOL/IMAGE\n");
        exit(2);
    }
    *id++ = 0, *pool++ = 0, *name++ = 0;
    void *rbd = dlopen("librbd.so.1", RTLD_NOW | RTLD_GLOBAL), *rados = dlopen("librados.so.2", RTLD_NOW | RTLD_GLOBAL);
    if (!rbd || !rados) {
        fprintf(stderr, "cannot load librbd/librados: %s\n", dlerror());
        exit(1);
    }
#define LOAD(lib, f) L.f = sym(lib, #f)
    LOAD(rados, rados_create); LOAD(rados, rados_conf_read_file); LOAD(rados, rados_conf_set);
    LOAD(rados, rados_connect); LOAD(rados, rados_ioctx_create); LOAD(rados, rados_ioctx_destroy);
    LOAD(rados, rados_shutdown); LOAD(rbd, rbd_open); LOAD(rbd, rbd_close); LOAD(rbd, rbd_get_size);
    LOAD(rbd, rbd_aio_create_completion); LOAD(rbd, rbd_aio_writev); LOAD(rbd, rbd_aio_read);
    LOAD(rbd, rbd_aio_get_return_value); LOAD(rbd, rbd_aio_release);
#undef LOAD
    check(L.rados_create(&cluster, id), "rados_create");
    check(L.rados_conf_read_file(cluster, s), "rados_conf_read_file");
    /* the gateway's settings (RbdCluster) */
    const char *opts[][2] = {{"objecter_inflight_ops", "0"}, {"objecter_inflight_op_bytes", "0"},
                             {"rbd_non_blocking_aio", "false"}, {"librados_thread_count", "1"},
                             {"rbd_cache", "false"}};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        check(L.rados_conf_set(cluster, opts[i][0], opts[i][1]), opts[i][0]);
    check(L.rados_connect(cluster), "rados_connect");
    check(L.rados_ioctx_create(cluster, pool, &ioctx), "rados_ioctx_create");
    check(L.rbd_open(ioctx, name, &image, NULL), "rbd_open");
    check(L.rbd_get_size(image, &image_size), "rbd_get_size");
    free(s);
}

static void rbd_teardown(void) {
    L.rbd_close(image);
    L.rados_ioctx_destroy(ioctx);
    L.rados_shutdown(cluster);
}

/* completed I/Os (buffer indexes), from librbd's callback thread to the event loop */
static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static int *done_q, done_n, done_cap, done_efd;

static void on_complete(rbd_completion_t c, void *arg) {
    ssize_t r = L.rbd_aio_get_return_value(c);
    L.rbd_aio_release(c);
    if (r < 0) {
        fprintf(stderr, "rbd I/O failed: %s\n", strerror((int)-r));
        _exit(1);
    }
    pthread_mutex_lock(&done_mu);
    done_q[done_n++] = (int)(intptr_t)arg;
    int first = done_n == 1;
    pthread_mutex_unlock(&done_mu);
    if (first) { /* the loop drains them all on one wake-up */
        uint64_t one = 1;
        if (write(done_efd, &one, sizeof one) != sizeof one) _exit(1);
    }
}

/* The event loop of a target with storage: epoll on the connection and on the completions' eventfd, which
 * queue up to nbuf completions. */
static int loop_open(struct epoll_event *ev, int nbuf) {
    done_cap = nbuf;
    done_q = calloc(done_cap, sizeof *done_q);
    done_efd = eventfd(0, EFD_NONBLOCK);
    struct epoll_event dev = {.events = EPOLLIN, .data.fd = done_efd};
    int ep = epoll_create1(0);
    if (ep < 0 || done_efd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ev->data.fd, ev) ||
        epoll_ctl(ep, EPOLL_CTL_ADD, done_efd, &dev))
        die("epoll");
    return ep;
}

/* waits for the connection or completions: -1 if interrupted, else whether completions are ready */
static int loop_wait(int ep) {
    struct epoll_event evs[4];
    int n = epoll_wait(ep, evs, 4, -1), completed = 0;
    if (n < 0) {
        if (errno == EINTR) return -1;
        die("epoll_wait");
    }
    for (int i = 0; i < n; i++) completed |= evs[i].data.fd == done_efd;
    return completed;
}

/* takes the buffer indexes of the I/Os librbd completed since the last call into `into`; how many */
static int take_completions(int *into) {
    uint64_t n;
    if (read(done_efd, &n, sizeof n) != sizeof n) return 0;
    pthread_mutex_lock(&done_mu);
    int k = done_n;
    memcpy(into, done_q, k * sizeof *into);
    done_n = 0;
    pthread_mutex_unlock(&done_mu);
    return k;
}

/* How many request buffers a target keeps: one more than INFLIGHT, or TCP_FLOOR_BUFFERS if that is more */
static int buffer_count(int inflight) {
    return buffers_wanted > inflight + 1 ? (int)buffers_wanted : inflight + 1;
}

/* n buffers of len bytes (page aligned, touched), all free in f */
static char **buffers(int n, long len, struct freelist *f) {
    char **buf = calloc(n, sizeof *buf);
    *f = (struct freelist){.q = calloc(n, sizeof *f->q), .cap = n, .fifo = buffers_wanted > 0};
    if (!buf || !f->q) die("calloc");
    for (int i = 0; i < n; i++) {
        buf[i] = aligned_alloc(4096, (len + 4095) / 4096 * 4096);
        if (!buf[i]) die("aligned_alloc");
        memset(buf[i], 0x5a, len);
        free_push(f, i);
    }
    return buf;
}

/* where the next I/O of SIZE bytes goes: one after the other, or random (aligned to SIZE) */
struct offsets {
    int random;
    long size;
    uint64_t blocks, seq, lcg;
};

static struct offsets offsets(int random, long size, uint64_t device_size) {
    if (device_size < (uint64_t)size) {
        fprintf(stderr, "image smaller than one I/O\n");
        exit(1);
    }
    return (struct offsets){.random = random, .size = size, .blocks = device_size / size, .lcg = 88172645463325252ull};
}

static uint64_t next_offset(struct offsets *o) {
    if (o->random) o->lcg = o->lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (o->random ? (o->lcg >> 17) % o->blocks : o->seq++ % o->blocks) * (uint64_t)o->size;
}

static void target_rbd(int fd, int reading, int random, long size, long seg, long batch, int inflight,
                       struct window *w, long *msgs_out) {
    long req_len = reading ? HDR : msg_bytes(size, seg), ans_len = reading ? msg_bytes(size, seg) : HDR;
    int nbuf = buffer_count(inflight), ndata = (int)((size + seg - 1) / seg);
    struct freelist fl;
    char **buf = buffers(nbuf, req_len > size ? req_len : size, &fl), *hdr = calloc(1, HDR);
    int *ans_q = calloc(nbuf, sizeof *ans_q), ans_head = 0, nans = 0; /* answers owed, in completion order */
    int *batch_q = calloc(nbuf, sizeof *batch_q);
    char rbuf[HDR * 64];
    long rfill = 0;
    int cur = -1; /* write mode: the buffer the request being received goes into */
    long partial = 0, answered = 0, submitted = 0;
    struct offsets at = offsets(random, size, image_size);
    struct iovec *data_iov = calloc(ndata, sizeof *data_iov);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    int ep = loop_open(&ev, nbuf), want_out = 0, eof = 0;
    while (!eof || submitted > answered) {
        int completed = loop_wait(ep);
        if (completed < 0) continue;
        for (;;) {
            char *into;
            long room;
            if (reading) {
                into = rbuf + rfill, room = sizeof rbuf - rfill;
            } else {
                if (cur < 0) {
                    cur = free_pop(&fl, "no free buffer: more requests than INFLIGHT");
                }
                into = buf[cur] + rfill, room = req_len - rfill;
            }
            struct iovec v = {.iov_base = into, .iov_len = room};
            ssize_t r = read_some(fd, &v, 1, &eof);
            if (r == 0) break;
            rfill += r;
            if (reading) {
                for (; rfill >= HDR; rfill -= HDR) {
                    int b = free_pop(&fl, "no free buffer: more requests than INFLIGHT");
                    rbd_completion_t c;
                    check(L.rbd_aio_create_completion((void *)(intptr_t)b, on_complete, &c), "completion");
                    check(L.rbd_aio_read(image, next_offset(&at), size, buf[b], c), "rbd_aio_read");
                    submitted++;
                }
            } else if (rfill == req_len) {
                /* the data segments as they lie in the buffer, behind their headers: a gather */
                for (int i = 0; i < ndata; i++) {
                    long off = (long)i * seg, len = size - off < seg ? size - off : seg;
                    data_iov[i].iov_base = buf[cur] + (long)(i + 1) * HDR + off;
                    data_iov[i].iov_len = len;
                }
                rbd_completion_t c;
                check(L.rbd_aio_create_completion((void *)(intptr_t)cur, on_complete, &c), "completion");
                check(L.rbd_aio_writev(image, data_iov, ndata, next_offset(&at), c), "rbd_aio_writev");
                submitted++;
                cur = -1, rfill = 0;
            }
            if (r < room) break; /* drained */
        }
        /* completions: writes free their buffer now; reads keep it until their answer is sent */
        for (int i = 0, k = completed ? take_completions(batch_q) : 0; i < k; i++) {
            if (!reading) free_push(&fl, batch_q[i]);
            ans_q[(ans_head + nans++) % nbuf] = batch_q[i];
        }
        while (nans > 0) {
            struct iovec tmp[MAX_IOV], one[MAX_IOV];
            int k = 0;
            long skip = partial;
            for (int m = 0; m < nans && (batch == 0 || m < batch); m++) {
                int b = ans_q[(ans_head + m) % nbuf];
                int ni = reading ? build_iov(one, hdr, buf[b], size, seg) : 1;
                if (!reading) one[0].iov_base = hdr, one[0].iov_len = HDR;
                if (k + ni > MAX_IOV) break;
                k = gather(tmp, k, one, ni, &skip);
            }
            ssize_t r = writev(fd, tmp, k);
            if (r < 0) {
                if (errno == EAGAIN) break;
                die("target writev");
            }
            partial += r;
            while (nans > 0 && partial >= ans_len) {
                partial -= ans_len;
                if (reading) free_push(&fl, ans_q[ans_head]);
                ans_head = (ans_head + 1) % nbuf, nans--;
                answered++;
                window_tick(w, answered);
            }
        }
        watch_out(ep, &ev, nans > 0, &want_out);
    }
    window_close(w, answered);
    *msgs_out = w->msgs1 - w->msgs0;
}

/* ---- writes with R2Ts (BURST > 0): the exchange an iSCSI initiator and target go through for a write larger
 * than the initiator's FirstBurstLength. Every message starts with a 48-byte header: type ('C' command with
 * FIRST bytes of immediate data, 'D' Data-Out, 'R' R2T, 'A' answer), tag, data length, data offset. The
 * initiator sends the command, then for each R2T the burst it asks for (BURST bytes at most, in SEG-byte
 * Data-Out PDUs, one writev), one R2T outstanding per command (MaxOutstandingR2T=1, as libiscsi negotiates). */
struct msg {
    uint8_t type, pad[3];
    uint32_t tag, len, off;
    uint8_t rest[HDR - 16];
};

/* the PDUs carrying [off, off+len) of a command's data: the first as the command ('C'), the rest as Data-Out */
static void send_data(int fd, uint8_t type, uint32_t tag, long off, long len, long seg, char *data) {
    int n = (int)((len + seg - 1) / seg);
    struct msg *h = calloc(n, sizeof *h);
    struct iovec *iov = calloc(2 * n, sizeof *iov);
    for (int i = 0; i < n; i++) {
        long o = off + (long)i * seg, l = off + len - o < seg ? off + len - o : seg;
        h[i] = (struct msg){.type = i == 0 ? type : 'D', .tag = tag, .len = (uint32_t)l, .off = (uint32_t)o};
        iov[2 * i] = (struct iovec){.iov_base = &h[i], .iov_len = HDR};
        iov[2 * i + 1] = (struct iovec){.iov_base = data + o, .iov_len = l};
    }
    send_all(fd, iov, 2 * n);
    free(h);
    free(iov);
}

static void initiator_r2t(int fd, long size, long seg, long first, int inflight, double rate, struct window *w,
                          int report) {
    char *data = calloc(1, size);
    long done = 0, sent = 0;
    int stop = 0;
    double t0 = now();
    for (; sent < inflight; sent++) {
        pace(t0, rate, sent);
        send_data(fd, 'C', (uint32_t)sent, 0, first < size ? first : size, seg, data);
    }
    while (!stop || done < sent) {
        struct msg m;
        for (long got = 0; got < HDR;) {
            ssize_t r = recv(fd, (char *)&m + got, HDR - got, 0);
            if (r <= 0) die("initiator recv");
            got += r;
        }
        if (m.type == 'R') {
            send_data(fd, 'D', m.tag, m.off, m.len, seg, data);
            continue;
        }
        done++;
        initiator_ballast();
        window_tick(w, done);
        if (w->state == 2) stop = 1;
        if (!stop) {
            pace(t0, rate, sent);
            send_data(fd, 'C', (uint32_t)sent, 0, first < size ? first : size, seg, data);
            sent++;
        }
    }
    initiator_report(fd, w, done, report);
}

/* The target side: data lands where it belongs in the command's buffer (a readv of the rest of the current
 * PDU's data and the next header); a full command goes to librbd (when RBD is given) as SEG-byte pieces. */
static void target_r2t(int fd, int random, long size, long seg, long burst, int inflight,
                       struct window *w, long *msgs_out) {
    int nbuf = buffer_count(inflight), ndata = (int)((size + seg - 1) / seg);
    struct freelist fl;
    char **buf = buffers(nbuf, size, &fl);
    uint32_t *tag = calloc(nbuf, sizeof *tag);
    long *got = calloc(nbuf, sizeof *got), *asked = calloc(nbuf, sizeof *asked);
    int outcap = 2 * nbuf, out_head = 0, nout = 0; /* 48-byte messages owed: R2Ts and answers */
    struct msg *out = calloc(outcap, sizeof *out);
    int *batch_q = calloc(nbuf, sizeof *batch_q);
    struct msg hdr;
    long hfill = 0, partial = 0, answered = 0, submitted = 0, dleft = 0, doff = 0;
    int cur = -1;
    struct offsets at = offsets(random, size, image ? image_size : (uint64_t)size);
    struct iovec *data_iov = calloc(ndata, sizeof *data_iov);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    int ep = loop_open(&ev, nbuf), want_out = 0, eof = 0;
#define QUEUE(t, b, o, l) (out[(out_head + nout++) % outcap] = (struct msg){.type = (t), .tag = tag[b], .off = (o), .len = (l)})
    while (!eof || submitted > answered) {
        int completed = loop_wait(ep);
        if (completed < 0) continue;
        for (;;) {
            struct iovec v[2];
            int n = 0;
            if (dleft > 0) v[n++] = (struct iovec){.iov_base = buf[cur] + doff, .iov_len = dleft};
            v[n++] = (struct iovec){.iov_base = (char *)&hdr + hfill, .iov_len = HDR - hfill};
            long room = (long)(v[0].iov_len + (n > 1 ? v[1].iov_len : 0));
            ssize_t r = read_some(fd, v, n, &eof);
            if (r == 0) break;
            long d = r < dleft ? r : dleft;
            doff += d, dleft -= d, hfill += r - d;
            if (cur >= 0 && dleft == 0 && d > 0) {
                /* the PDU's data is in: ask for the next burst, or submit the whole command */
                if (got[cur] == size) {
                    for (int i = 0; i < ndata; i++) {
                        long o = (long)i * seg;
                        data_iov[i] = (struct iovec){.iov_base = buf[cur] + o, .iov_len = size - o < seg ? size - o : seg};
                    }
                    uint64_t off = next_offset(&at);
                    if (image) {
                        rbd_completion_t c;
                        check(L.rbd_aio_create_completion((void *)(intptr_t)cur, on_complete, &c), "completion");
                        check(L.rbd_aio_writev(image, data_iov, ndata, off, c), "rbd_aio_writev");
                    } else {
                        free_push(&fl, cur);
                        QUEUE('A', cur, 0, 0);
                    }
                    submitted++;
                } else if (got[cur] == asked[cur]) {
                    long l = size - got[cur] < burst ? size - got[cur] : burst;
                    QUEUE('R', cur, (uint32_t)got[cur], (uint32_t)l);
                    asked[cur] += l;
                }
                cur = -1;
            }
            if (hfill == HDR) {
                hfill = 0;
                if (hdr.type == 'C') {
                    cur = free_pop(&fl, "no free buffer: more commands than INFLIGHT");
                    tag[cur] = hdr.tag, got[cur] = 0, asked[cur] = hdr.len;
                } else if (hdr.type == 'D') {
                    cur = -1;
                    for (int i = 0; i < nbuf; i++)
                        if (got[i] < size && asked[i] > 0 && tag[i] == hdr.tag) cur = i;
                    if (cur < 0) die("Data-Out for no command");
                } else {
                    die("bad message type");
                }
                /* in order, within the command (its immediate data) or the R2T it answers: else `got` never
                 * meets `asked` again and the command would wait for ever */
                if (hdr.len == 0 || hdr.off != got[cur] || got[cur] + hdr.len > asked[cur] || asked[cur] > size)
                    die("data outside what was asked for");
                doff = hdr.off, dleft = hdr.len;
                got[cur] += hdr.len; /* counted as it is read into place: complete when dleft is 0 */
            }
            if (r < room) break; /* drained */
        }
        for (int i = 0, k = completed ? take_completions(batch_q) : 0; i < k; i++) {
            free_push(&fl, batch_q[i]);
            QUEUE('A', batch_q[i], 0, 0);
        }
        while (nout > 0) {
            struct iovec tmp[MAX_IOV];
            int k = 0;
            long skip = partial;
            for (int m = 0; m < nout && k < MAX_IOV; m++) {
                if (skip >= HDR) {
                    skip -= HDR;
                    continue;
                }
                tmp[k++] = (struct iovec){.iov_base = (char *)&out[(out_head + m) % outcap] + skip, .iov_len = HDR - skip};
                skip = 0;
            }
            ssize_t r = writev(fd, tmp, k);
            if (r < 0) {
                if (errno == EAGAIN) break;
                die("target writev");
            }
            partial += r;
            while (nout > 0 && partial >= HDR) {
                if (out[out_head].type == 'A') window_tick(w, ++answered);
                partial -= HDR, out_head = (out_head + 1) % outcap, nout--;
            }
        }
        watch_out(ep, &ev, nout > 0, &want_out);
    }
#undef QUEUE
    window_close(w, answered);
    *msgs_out = w->msgs1 - w->msgs0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s read|write|randread|randwrite SIZE INFLIGHT [SEG] [WARMUP_S] [SECONDS] [BATCH] "
                "[RATE] [CONF:ID:POOL/IMAGE|-] [FIRST BURST]\n", argv[0]);
        return 2;
    }
    initiator_copy = env_count("TCP_FLOOR_INITIATOR_COPY", 16L << 20);
    buffers_wanted = env_count("TCP_FLOOR_BUFFERS", 4096);
    int random = strncmp(argv[1], "rand", 4) == 0;
    const char *mode = argv[1] + (random ? 4 : 0);
    int reading = strcmp(mode, "read") == 0;
    if (!reading && strcmp(mode, "write") != 0) {
        fprintf(stderr, "mode must be read, write, randread or randwrite\n");
        return 2;
    }
    long size = atol(argv[2]);
    int inflight = atoi(argv[3]);
    long seg = argc > 4 ? atol(argv[4]) : 262144;
    double warm = argc > 5 ? atof(argv[5]) : 1, secs = argc > 6 ? atof(argv[6]) : 5;
    long batch = argc > 7 ? atol(argv[7]) : 0;
    double rate = argc > 8 ? atof(argv[8]) : 0;
    const char *rbd = argc > 9 && argv[9][0] && strcmp(argv[9], "-") != 0 ? argv[9] : NULL;
    long first = argc > 10 ? atol(argv[10]) : 0, burst = argc > 11 ? atol(argv[11]) : 0;
    if (size <= 0 || inflight <= 0 || seg <= 0 || (size + seg - 1) / seg * 2 > MAX_IOV) {
        fprintf(stderr, "bad SIZE/INFLIGHT/SEG\n");
        return 2;
    }
    if (seg > size) seg = size;
    if (burst > 0 && first > seg) first = seg; /* a command's immediate data is one PDU */
    if (burst > 0 && (reading || first <= 0)) {
        fprintf(stderr, "R2Ts (BURST) are for writes, with 0 < FIRST\n");
        return 2;
    }

    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) ||
        getsockname(ls, (struct sockaddr *)&a, &al))
        die("listen");
    int pipefd[2];
    if (pipe(pipefd)) die("pipe");
    double start = now() + warm;
    struct window w = {.start = start, .end = start + secs};

    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        close(pipefd[0]);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) die("connect");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (burst > 0)
            initiator_r2t(fd, size, seg, first, inflight, rate, &w, pipefd[1]);
        else
            initiator(fd, reading, size, seg, inflight, rate, &w, pipefd[1]);
        _exit(0);
    }
    close(pipefd[1]);
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) die("accept");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) die("nonblock");
    long msgs = 0;
    if (rbd) rbd_setup(rbd);
    if (burst > 0) {
        target_r2t(fd, random, size, seg, burst, inflight, &w, &msgs);
    } else if (rbd) {
        target_rbd(fd, reading, random, size, seg, batch, inflight, &w, &msgs);
    } else {
        target(fd, reading, size, seg, batch, &w, &msgs);
    }
    double icpu = 0;
    long imsgs = 0;
    if (read(pipefd[0], &icpu, sizeof icpu) != sizeof icpu || read(pipefd[0], &imsgs, sizeof imsgs) != sizeof imsgs)
        die("initiator report");
    waitpid(child, NULL, 0);
    if (msgs <= 0 || imsgs <= 0) {
        fprintf(stderr, "no messages in the window\n");
        return 1;
    }
    if (rbd) rbd_teardown();
    double tcpu = w.cpu1 - w.cpu0, wall = w.t1 - w.t0;
    printf("tcp-floor %s storage=%s size=%ld seg=%ld first=%ld burst=%ld inflight=%d batch=%ld msgs_per_s=%.0f target_cpu_us=%.2f (user=%.2f sys=%.2f) "
           "initiator_cpu_us=%.2f host_cpu_us=%.2f\n",
           argv[1], rbd ? "rbd" : "none", size, seg, first, burst, inflight, batch, msgs / wall, tcpu * 1e6 / msgs, (w.user1 - w.user0) * 1e6 / msgs,
           (w.sys1 - w.sys0) * 1e6 / msgs, icpu * 1e6 / imsgs, (w.host1 - w.host0) * 1e6 / msgs);
    return 0;
}
