/*
 * copy-align: what a memcpy of SIZE bytes costs per MiB on this host when its source starts OFFSET bytes past
 * a page boundary and its destination on one, over NBUF buffers of each (NBUF x SIZE beyond the caches makes
 * every copy go to memory, as librbd's copy of a write's data does).
 *
 * Why: the gateway hands librbd the data of a Data-Out PDU where the socket read put it, which is 48 bytes
 * (the header) past wherever the read began, so librbd's copy runs from a source not 64-byte aligned with
 * its destination; a C target that reads data into place copies from an aligned one.
 *
 * Usage: cc -O2 -o /tmp/copy-align bench/copy-align.c && /tmp/copy-align SIZE OFFSET NBUF
 *   e.g. for o in 0 16 48 64; do /tmp/copy-align 262144 $o 64; done
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: copy-align SIZE OFFSET NBUF\n");
        return 2;
    }
    long size = atol(argv[1]), offset = atol(argv[2]), nbuf = atol(argv[3]);
    if (size <= 0 || offset < 0 || offset > 4096 || nbuf <= 0 || nbuf > 4096) {
        fprintf(stderr, "SIZE > 0, 0 <= OFFSET <= 4096, 0 < NBUF <= 4096\n");
        return 2;
    }
    size_t stride = (size + 4096 + 4095) / 4096 * 4096;
    char *src = aligned_alloc(4096, stride * nbuf), *dst = aligned_alloc(4096, stride * nbuf);
    if (!src || !dst) {
        perror("aligned_alloc");
        return 1;
    }
    memset(src, 1, stride * nbuf);
    memset(dst, 2, stride * nbuf);
    const int iters = 20000;
    double t0 = now();
    for (int i = 0; i < iters; i++) {
        long b = i % nbuf;
        memcpy(dst + b * stride, src + b * stride + offset, size);
    }
    double t = now() - t0;
    printf("copy-align size=%ld offset=%ld nbuf=%ld us_per_mib=%.1f\n", size, offset, nbuf,
           t / iters / size * 1048576 * 1e6);
    return dst[stride - 1] == 3; /* keeps the copies */
}
