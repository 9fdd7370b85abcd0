/*
 * bench/qd1-floor.c: the shortest queue-depth-1 round trip a TCP target can have on this machine.
 *
 * A client and a server process exchange iSCSI-sized messages over loopback TCP, one in flight:
 *   read   the client sends a 48-byte "command", the server answers 48 + 4096 bytes ("Data-In")
 *   write  the client sends 48 + 4096 bytes, the server answers 48 bytes ("SCSI Response")
 * The server does what an event-loop target must do at the least: epoll_wait for the socket, one
 * recv of the whole request, one send of the whole answer (3 system calls per I/O, the gateway's own
 * count on the memory LUN). The client does what libiscsi does: a send, then poll and recv. No
 * protocol, no device: what is left is two process wake-ups, two loopback TCP transfers and the
 * system calls around them, i.e. the part of a QD1 I/O no target on this host could remove.
 *
 * Build and run: cc -O2 -o /tmp/qd1-floor bench/qd1-floor.c && /tmp/qd1-floor read 5 same
 * Usage: qd1-floor read|write SECONDS [same|split]
 *   same   both processes pinned to CPU 0 (the "one CPU" regime of QD1 runs)
 *   split  client on CPU 0, server on CPU 1 (the "two CPUs" regime)
 *   (default: no pinning, the scheduler decides, as in the benches)
 * Prints: I/Os per second, latency p50/p99 (us), and the CPU per I/O of the server and of the client
 * (user + system, us, from getrusage), which the cpu_us_per_io of target-bench.sh and rbd-bench.sh compares with.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HDR 48
#define DATA 4096

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static double cpu_us(int who) {
    struct rusage r;
    getrusage(who, &r);
    return r.ru_utime.tv_sec * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_sec * 1e6 + r.ru_stime.tv_usec;
}

static void pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    sched_setaffinity(0, sizeof s, &s);
}

/* reads exactly n bytes (more than one recv only if loopback split the message) */
static int recv_all(int fd, char *b, int n) {
    int got = 0;
    while (got < n) {
        int r = recv(fd, b + got, n - got, 0);
        if (r <= 0) return -1;
        got += r;
    }
    return 0;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s read|write SECONDS [same|split]\n", argv[0]);
        return 2;
    }
    int rd = strcmp(argv[1], "read") == 0;
    double secs = atof(argv[2]);
    const char *mode = argc > 3 ? argv[3] : "free";
    int req = rd ? HDR : HDR + DATA, ans = rd ? HDR + DATA : HDR;

    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) || getsockname(ls, (struct sockaddr *)&a, &al)) {
        perror("listen");
        return 1;
    }
    int toserver[2], fromserver[2];
    if (pipe(toserver) || pipe(fromserver)) return 1;
    pid_t srv = fork();
    if (srv == 0) {
        /* the server: epoll_wait, recv, send per request */
        if (strcmp(mode, "same") == 0) pin(0);
        if (strcmp(mode, "split") == 0) pin(1);
        int c = accept(ls, NULL, NULL);
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        int ep = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        char *in = malloc(HDR + DATA), *out = calloc(1, HDR + DATA);
        double c0 = -1;
        long n = 0;
        char go;
        for (;;) {
            if (epoll_wait(ep, &ev, 1, -1) <= 0) continue;
            int r = recv(c, in, req, 0);
            if (r <= 0) break;
            if (r < req && recv_all(c, in + r, req - r)) break;
            if (in[0] == 1 && c0 < 0) { c0 = cpu_us(RUSAGE_SELF); n = 0; } /* measured window starts */
            if (send(c, out, ans, 0) != ans) break;
            n++;
        }
        double cpu = cpu_us(RUSAGE_SELF) - c0;
        if (write(fromserver[1], &cpu, sizeof cpu) != sizeof cpu || write(fromserver[1], &n, sizeof n) != sizeof n)
            return 1;
        (void)go;
        return 0;
    }
    close(ls);
    if (strcmp(mode, "same") == 0 || strcmp(mode, "split") == 0) pin(0);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, sizeof a)) {
        perror("connect");
        return 1;
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char *out = calloc(1, HDR + DATA), *in = malloc(HDR + DATA);
    struct pollfd p = {.fd = s, .events = POLLIN};
    /* warm-up: one second, then the measured window (the first measured request carries a mark) */
    long cap = 4000000, n = 0;
    double *lat = malloc(cap * sizeof *lat);
    for (int phase = 0; phase < 2; phase++) {
        double end = now_us() + (phase ? secs : 1.0) * 1e6, c0 = cpu_us(RUSAGE_SELF), t0 = now_us();
        out[0] = phase;
        n = 0;
        for (;;) {
            double t = now_us();
            if (t >= end || n == cap) break;
            if (send(s, out, req, 0) != req) return 1;
            if (poll(&p, 1, -1) != 1 || recv_all(s, in, ans)) return 1;
            lat[n++] = now_us() - t;
            out[0] = phase + 2;
        }
        if (phase == 1) {
            double wall = now_us() - t0, cpu = cpu_us(RUSAGE_SELF) - c0, scpu;
            long sn;
            shutdown(s, SHUT_WR);
            if (read(fromserver[0], &scpu, sizeof scpu) != sizeof scpu || read(fromserver[0], &sn, sizeof sn) != sizeof sn)
                return 1;
            waitpid(srv, NULL, 0);
            qsort(lat, n, sizeof *lat, cmp);
            printf("qd1-floor %s cpus=%s iops=%.0f p50_us=%.1f p99_us=%.1f server_cpu_us_per_io=%.2f "
                   "client_cpu_us_per_io=%.2f\n",
                   argv[1], mode, n / wall * 1e6, lat[n / 2], lat[(long)(n * 0.99)], scpu / sn, cpu / n);
        }
    }
    return 0;
}
