/*
 * pr-bench: persistent-reservation latency and the I/O cost of a reservation, over libiscsi.
 * Built and driven by bench/pr-bench.sh (see there). Two modes:
 *
 *   pr-bench latency URL OPS
 *     One session to URL (initiator IQN from $PR_BENCH_INITIATOR, a fixed ISID): OPS x PROUT REGISTER (changing
 *     the key each time: every one a stored change), then OPS x (RESERVE Write Exclusive - Registrants Only,
 *     RELEASE); prints one line per kind: "latency KIND n=OPS median_ms=.. p99_ms=.. max_ms=..". Unregisters.
 *
 *   pr-bench io URL SECONDS QD MODE STATE [REGION_BYTES]
 *     4 KiB random MODE (read|write) at queue depth QD for SECONDS through one session; STATE "reserved" first
 *     registers and takes Write Exclusive - Registrants Only on that same session (the I/O comes from the
 *     holder), "unreserved" makes sure nothing is registered. Prints "io MODE STATE iops=.. errors=..".
 *
 * Every command's status is checked: a PROUT that is not GOOD, or an I/O error, is reported and counted.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#define KEY_A 0x5052424e43480001ULL /* "PRBNCH" 1 */
#define KEY_B 0x5052424e43480002ULL
#define WE_RO SCSI_PERSISTENT_RESERVE_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY
#define BLOCK 4096

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct iscsi_context *connect_url(const char *url, int *lun) {
    const char *initiator = getenv("PR_BENCH_INITIATOR");
    struct iscsi_context *iscsi = iscsi_create_context(initiator ? initiator : "iqn.2026-11.io.rbdgw.bench:pr");
    if (!iscsi) {
        fprintf(stderr, "cannot create an iSCSI context\n");
        exit(1);
    }
    /* the same initiator port on every run and every gateway: the reservation is that port's */
    iscsi_set_isid_random(iscsi, 0x5052, 0);
    struct iscsi_url *u = iscsi_parse_full_url(iscsi, url);
    if (!u) {
        fprintf(stderr, "bad URL %s: %s\n", url, iscsi_get_error(iscsi));
        exit(1);
    }
    iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
    iscsi_set_header_digest(iscsi, ISCSI_HEADER_DIGEST_NONE);
    if (iscsi_full_connect_sync(iscsi, u->portal, u->lun) != 0) {
        fprintf(stderr, "login to %s failed: %s\n", url, iscsi_get_error(iscsi));
        exit(1);
    }
    *lun = u->lun;
    iscsi_destroy_url(u);
    /* the first commands see unit attentions (new nexus, ALUA): clear them */
    for (int i = 0; i < 10; i++) {
        struct scsi_task *t = iscsi_testunitready_sync(iscsi, *lun);
        int ok = t && t->status == SCSI_STATUS_GOOD;
        if (t) scsi_free_scsi_task(t);
        if (ok) break;
    }
    return iscsi;
}

/* One PROUT; returns its status (or -1 when the transport failed). */
static int prout(struct iscsi_context *iscsi, int lun, int sa, int type, uint64_t rk, uint64_t sark) {
    struct scsi_persistent_reserve_out_basic p = {0};
    p.reservation_key = rk;
    p.service_action_reservation_key = sark;
    struct scsi_task *t = iscsi_persistent_reserve_out_sync(iscsi, lun, sa, SCSI_PERSISTENT_RESERVE_SCOPE_LU, type, &p);
    if (!t) {
        fprintf(stderr, "PROUT %d: %s\n", sa, iscsi_get_error(iscsi));
        return -1;
    }
    int status = t->status;
    if (status != SCSI_STATUS_GOOD) {
        fprintf(stderr, "PROUT %d ended with status 0x%x (sense %x/%02x/%02x)\n", sa, status, t->sense.key,
                t->sense.ascq >> 8, t->sense.ascq & 0xff);
    }
    scsi_free_scsi_task(t);
    return status;
}

/* Removes whatever this initiator port registered before (a crashed earlier run): REGISTER AND IGNORE 0. */
static void unregister(struct iscsi_context *iscsi, int lun) {
    prout(iscsi, lun, SCSI_PERSISTENT_RESERVE_REGISTER_AND_IGNORE_EXISTING_KEY, 0, 0, 0);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *kind, double *ms, int n, int failures) {
    qsort(ms, n, sizeof(double), cmp_double);
    int p99 = (int)(n * 0.99);
    if (p99 >= n) p99 = n - 1;
    printf("latency %s n=%d median_ms=%.2f p99_ms=%.2f max_ms=%.2f failures=%d\n", kind, n, ms[n / 2], ms[p99],
           ms[n - 1], failures);
    fflush(stdout);
}

static int latency(const char *url, int ops) {
    int lun;
    struct iscsi_context *iscsi = connect_url(url, &lun);
    unregister(iscsi, lun);
    double *reg = calloc(ops, sizeof(double)), *res = calloc(ops, sizeof(double)), *rel = calloc(ops, sizeof(double));
    int failures = 0;
    uint64_t key = 0;
    for (int i = 0; i < ops; i++) {
        uint64_t next = (i % 2) ? KEY_B : KEY_A;
        double t0 = now_ms();
        failures += prout(iscsi, lun, SCSI_PERSISTENT_RESERVE_REGISTER, 0, key, next) != SCSI_STATUS_GOOD;
        reg[i] = now_ms() - t0;
        key = next;
    }
    report("REGISTER", reg, ops, failures);
    failures = 0;
    int relfail = 0;
    for (int i = 0; i < ops; i++) {
        double t0 = now_ms();
        failures += prout(iscsi, lun, SCSI_PERSISTENT_RESERVE_RESERVE, WE_RO, key, 0) != SCSI_STATUS_GOOD;
        double t1 = now_ms();
        relfail += prout(iscsi, lun, SCSI_PERSISTENT_RESERVE_RELEASE, WE_RO, key, 0) != SCSI_STATUS_GOOD;
        res[i] = t1 - t0;
        rel[i] = now_ms() - t1;
    }
    report("RESERVE", res, ops, failures);
    report("RELEASE", rel, ops, relfail);
    unregister(iscsi, lun);
    iscsi_logout_sync(iscsi);
    iscsi_destroy_context(iscsi);
    return 0;
}

struct io_state {
    struct iscsi_context *iscsi;
    int lun;
    int write;
    uint64_t blocks;
    unsigned char *buf;
    double end_ms;
    long done, errors, inflight;
    unsigned int seed;
};

static void submit(struct io_state *s);

static void io_done(struct iscsi_context *iscsi, int status, void *data, void *private_data) {
    struct io_state *s = private_data;
    struct scsi_task *t = data;
    (void)iscsi;
    s->inflight--;
    if (status == SCSI_STATUS_GOOD) {
        s->done++;
    } else {
        if (s->errors++ < 5) {
            fprintf(stderr, "I/O ended with status 0x%x (sense %x/%02x/%02x)\n", status, t->sense.key,
                    t->sense.ascq >> 8, t->sense.ascq & 0xff);
        }
    }
    scsi_free_scsi_task(t);
    if (now_ms() < s->end_ms) submit(s);
}

static void submit(struct io_state *s) {
    uint64_t lba = ((uint64_t)rand_r(&s->seed) << 16 ^ (uint64_t)rand_r(&s->seed)) % s->blocks * (BLOCK / 512);
    struct scsi_task *t = s->write
        ? iscsi_write16_task(s->iscsi, s->lun, lba, s->buf, BLOCK, 512, 0, 0, 0, 0, 0, io_done, s)
        : iscsi_read16_task(s->iscsi, s->lun, lba, BLOCK, 512, 0, 0, 0, 0, 0, io_done, s);
    if (!t) {
        fprintf(stderr, "cannot queue I/O: %s\n", iscsi_get_error(s->iscsi));
        exit(1);
    }
    s->inflight++;
}

static int io(const char *url, int seconds, int qd, const char *mode, const char *state, uint64_t region) {
    int lun;
    struct io_state s = {0};
    s.iscsi = connect_url(url, &lun);
    s.lun = lun;
    s.write = strcmp(mode, "write") == 0;
    s.blocks = region / BLOCK;
    s.seed = (unsigned int)time(NULL);
    s.buf = malloc(BLOCK);
    memset(s.buf, 0xa5, BLOCK);
    unregister(s.iscsi, lun);
    int reserved = strcmp(state, "reserved") == 0;
    if (reserved) {
        if (prout(s.iscsi, lun, SCSI_PERSISTENT_RESERVE_REGISTER, 0, 0, KEY_A) != SCSI_STATUS_GOOD
            || prout(s.iscsi, lun, SCSI_PERSISTENT_RESERVE_RESERVE, WE_RO, KEY_A, 0) != SCSI_STATUS_GOOD) {
            fprintf(stderr, "cannot take the reservation\n");
            return 1;
        }
    }
    double start = now_ms();
    s.end_ms = start + seconds * 1e3;
    for (int i = 0; i < qd; i++) submit(&s);
    while (s.inflight > 0) {
        struct pollfd pfd = {.fd = iscsi_get_fd(s.iscsi), .events = iscsi_which_events(s.iscsi)};
        if (poll(&pfd, 1, 1000) < 0 && errno != EINTR) {
            perror("poll");
            return 1;
        }
        if (iscsi_service(s.iscsi, pfd.revents) < 0) {
            fprintf(stderr, "iscsi_service: %s\n", iscsi_get_error(s.iscsi));
            return 1;
        }
    }
    double elapsed = (now_ms() - start) / 1e3;
    if (reserved) {
        prout(s.iscsi, lun, SCSI_PERSISTENT_RESERVE_RELEASE, WE_RO, KEY_A, 0);
    }
    unregister(s.iscsi, lun);
    printf("io %s %s iops=%.0f errors=%ld seconds=%.1f qd=%d\n", mode, state, s.done / elapsed, s.errors, elapsed, qd);
    fflush(stdout);
    iscsi_logout_sync(s.iscsi);
    iscsi_destroy_context(s.iscsi);
    return s.errors > 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "latency") == 0) {
        return latency(argv[2], atoi(argv[3]));
    }
    if (argc >= 7 && strcmp(argv[1], "io") == 0) {
        uint64_t region = argc >= 8 ? strtoull(argv[7], NULL, 0) : (256ULL << 20);
        return io(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5], argv[6], region);
    }
    fprintf(stderr,
            "usage: pr-bench latency URL OPS\n"
            "       pr-bench io URL SECONDS QD read|write reserved|unreserved [REGION_BYTES]\n");
    return 2;
}
