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
 * Usage: tcp-floor read|write SIZE INFLIGHT [SEG] [WARMUP_S] [SECONDS] [BATCH]
 * BATCH: at most this many answers per writev (0, the default: all that are owed, as a flush of many PDUs;
 * 1: one answer per writev, as a target whose storage completes one I/O at a time).
 */
#define _GNU_SOURCE
#include <errno.h>
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

/* ---- initiator: blocking; keeps `inflight` requests outstanding until told to stop by the clock */
static void initiator(int fd, int reading, long size, long seg, int inflight, struct window *w, int report) {
    long req_len = reading ? HDR : msg_bytes(size, seg);
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
    for (; sent < inflight; sent++)
        if (writev(fd, iov, niov) != req_len) die("initiator writev");
    while (!stop || done < sent) {
        long got = 0;
        while (got < ans_len) {
            ssize_t r = recv(fd, in + got, ans_len - got, 0);
            if (r <= 0) die("initiator recv");
            got += r;
        }
        done++;
        window_tick(w, done);
        if (w->state == 2) stop = 1;
        if (!stop) {
            /* a request may need several writes when the socket is full (write mode, large sizes) */
            long off = 0;
            while (off < req_len) {
                struct iovec tmp[MAX_IOV];
                int k = 0;
                long skip = off;
                for (int i = 0; i < niov && k < MAX_IOV; i++) {
                    if (skip >= (long)iov[i].iov_len) {
                        skip -= iov[i].iov_len;
                        continue;
                    }
                    tmp[k].iov_base = (char *)iov[i].iov_base + skip;
                    tmp[k++].iov_len = iov[i].iov_len - skip;
                    skip = 0;
                }
                ssize_t r = writev(fd, tmp, k);
                if (r <= 0) die("initiator writev");
                off += r;
            }
            sent++;
        }
    }
    /* ask the target to end: a zero-length shutdown of our sending side */
    shutdown(fd, SHUT_WR);
    window_close(w, done);
    double cpu = w->cpu1 - w->cpu0;
    long msgs = w->msgs1 - w->msgs0;
    if (write(report, &cpu, sizeof cpu) != sizeof cpu || write(report, &msgs, sizeof msgs) != sizeof msgs)
        die("report");
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
            ssize_t r = recv(fd, rbuf + rfill, room, 0);
            if (r == 0) {
                eof = 1;
                break;
            }
            if (r < 0) {
                if (errno == EAGAIN) break;
                die("target recv");
            }
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
            for (long m = 0; m < pending && k + nans <= MAX_IOV && (batch == 0 || m < batch); m++) {
                for (int i = 0; i < nans; i++) {
                    if (skip >= (long)ans[i].iov_len) {
                        skip -= ans[i].iov_len;
                        continue;
                    }
                    tmp[k].iov_base = (char *)ans[i].iov_base + skip;
                    tmp[k++].iov_len = ans[i].iov_len - skip;
                    skip = 0;
                }
            }
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
        int need_out = pending > 0;
        if (need_out != want_out) {
            ev.events = EPOLLIN | (need_out ? EPOLLOUT : 0);
            if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev)) die("epoll_ctl mod");
            want_out = need_out;
        }
    }
    window_close(w, answered);
    *msgs_out = w->msgs1 - w->msgs0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s read|write SIZE INFLIGHT [SEG] [WARMUP_S] [SECONDS] [BATCH]\n", argv[0]);
        return 2;
    }
    int reading = strcmp(argv[1], "read") == 0;
    if (!reading && strcmp(argv[1], "write") != 0) {
        fprintf(stderr, "mode must be read or write\n");
        return 2;
    }
    long size = atol(argv[2]);
    int inflight = atoi(argv[3]);
    long seg = argc > 4 ? atol(argv[4]) : 262144;
    double warm = argc > 5 ? atof(argv[5]) : 1, secs = argc > 6 ? atof(argv[6]) : 5;
    long batch = argc > 7 ? atol(argv[7]) : 0;
    if (size <= 0 || inflight <= 0 || seg <= 0 || (size + seg - 1) / seg * 2 > MAX_IOV) {
        fprintf(stderr, "bad SIZE/INFLIGHT/SEG\n");
        return 2;
    }
    if (seg > size) seg = size;

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
        initiator(fd, reading, size, seg, inflight, &w, pipefd[1]);
        _exit(0);
    }
    close(pipefd[1]);
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) die("accept");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) die("nonblock");
    long msgs = 0;
    target(fd, reading, size, seg, batch, &w, &msgs);
    double icpu = 0;
    long imsgs = 0;
    if (read(pipefd[0], &icpu, sizeof icpu) != sizeof icpu || read(pipefd[0], &imsgs, sizeof imsgs) != sizeof imsgs)
        die("initiator report");
    waitpid(child, NULL, 0);
    if (msgs <= 0 || imsgs <= 0) {
        fprintf(stderr, "no messages in the window\n");
        return 1;
    }
    double tcpu = w.cpu1 - w.cpu0, wall = w.t1 - w.t0;
    printf("tcp-floor %s size=%ld seg=%ld inflight=%d batch=%ld msgs_per_s=%.0f target_cpu_us=%.2f (user=%.2f sys=%.2f) "
           "initiator_cpu_us=%.2f host_cpu_us=%.2f\n",
           argv[1], size, seg, inflight, batch, msgs / wall, tcpu * 1e6 / msgs, (w.user1 - w.user0) * 1e6 / msgs,
           (w.sys1 - w.sys0) * 1e6 / msgs, icpu * 1e6 / imsgs, (w.host1 - w.host0) * 1e6 / msgs);
    return 0;
}
