#!/usr/bin/env bash
# bench/tcp-floor.sh [--workloads LIST] [--seconds S] [--warmup S] [--rounds N] [--seg BYTES]
#                    [--batch N] [--burst BYTES] [--librbd W=US,... | --rbd-summary FILE] [--out DIR]
#
# The CPU per I/O that the initiator-facing TCP socket costs a target on this host, with no storage behind
# it (issue #17 bar 3): bench/tcp-floor.c (built here with gcc) plays a target and an initiator over one
# 127.0.0.1 connection, for each workload of rbd-bench's names (RW-BS-qdN):
#   reads   48-byte request in, BS bytes out as Data-In PDUs (a 48-byte header before every --seg bytes),
#   writes  BS bytes in as Data-Out PDUs, a 48-byte response out,
# qdN requests in flight; the target is event driven (epoll, non-blocking, one writev per batch of answers).
# Each workload runs --rounds times, interleaved; one line per workload, medians (and the range of the
# target's figure over the rounds):
#   tcp-floor WORKLOAD target_cpu_us=T (min-max) initiator_cpu_us=I host_cpu_us=H msgs_per_s=N
# target_cpu_us: the target process's CPU (user + system, getrusage) per I/O. On loopback the sender's system
# calls also carry the receiving side's TCP processing (softirq) in part; the receiver pays its copy out.
# With fio+librbd's CPU per I/O (from --librbd, or the "rbd-bench direct" lines of an rbd-bench summary.txt)
# it also prints the lowest ratio any TCP target built on librbd could reach on this host:
#   tcp-floor WORKLOAD fio_librbd_cpu_us=L socket_cpu_us=T lowest_ratio=(L+T)/L
# Options:
#   --workloads LIST   [randread-4k-qd32,randwrite-4k-qd32,read-1m-qd8,write-1m-qd8]
#   --seconds S        measured seconds per run [5]       --warmup S   unmeasured seconds before [1]
#   --rounds N         [3]                                --seg BYTES  data per PDU [262144: libiscsi's and
#                      Linux's default MaxRecvDataSegmentLength]
#   --batch N          at most N answers per writev [0: all that are owed; 1: one per I/O, as when the
#                      storage completes I/Os one at a time]
#   --burst BYTES      writes larger than --seg go as iSCSI sends them: --seg bytes with the command, the rest
#                      in bursts of BYTES, each asked for by an R2T (262144: fio/libiscsi's FirstBurstLength and
#                      MaxBurstLength) [0: all at once, no R2T]
# (bench/rbd-bench.sh --tcp-floor runs the same program with librbd behind its target.)
#   --librbd W=US,...  fio+librbd CPU per I/O per workload, e.g. randread-4k-qd32=24.7
#   --rbd-summary FILE take them from an rbd-bench summary.txt (its "rbd-bench direct" lines)
#   --out DIR          [bench/results/tcp-floor-<UTC timestamp>]
# Needs: gcc. Uses the host's CPUs: run it alone (flock /work/bench.lock on the shared machine).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORKLOADS=randread-4k-qd32,randwrite-4k-qd32,read-1m-qd8,write-1m-qd8
SECONDS_=5; WARMUP=1; ROUNDS=3; SEG=262144; BATCH=0; BURST=0; LIBRBD=; SUMMARY=; OUT=

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --workloads) WORKLOADS=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --seg) SEG=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --burst) BURST=$2; shift 2 ;;
    --librbd) LIBRBD=$2; shift 2 ;;
    --rbd-summary) SUMMARY=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
OUT=${OUT:-$HERE/results/tcp-floor-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
gcc -O2 -Wall -o "$OUT/tcp-floor" "$HERE/tcp-floor.c" -ldl -lpthread 2>"$OUT/build.log" \
  || { cat "$OUT/build.log" >&2; echo "cannot build bench/tcp-floor.c (needs gcc)" >&2; exit 1; }
if [ -n "$SUMMARY" ]; then
  LIBRBD=$(awk '$1 == "rbd-bench" && $2 == "direct" { for (i = 3; i <= NF; i++) if ($i ~ /^cpu_us_per_io=/)
                 { sub(/^cpu_us_per_io=/, "", $i); printf "%s%s=%s", sep, $3, $i; sep = "," } }' "$SUMMARY")
fi
IFS=, read -r -a JOBS <<<"$WORKLOADS"
echo "$(date -u +%FT%TZ) $(uname -r) $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)" > "$OUT/meta.txt"
: > "$OUT/runs.txt"
for round in $(seq "$ROUNDS"); do
  for w in "${JOBS[@]}"; do
    IFS=- read -r rw bs qd <<<"$w"
    case $rw in *read) mode=read ;; *write) mode=write ;; *) echo "workload $w: RW must end in read or write" >&2; exit 2 ;; esac
    size=$(numfmt --from=iec "${bs^^}")
    r2t=()
    [ "$mode" = write ] && [ "$BURST" -gt 0 ] && r2t=(0 - "$SEG" "$BURST")
    echo "$w $("$OUT/tcp-floor" "$mode" "$size" "${qd#qd}" "$SEG" "$WARMUP" "$SECONDS_" "$BATCH" "${r2t[@]}")" | tee -a "$OUT/runs.txt" >&2
  done
done
python3 - "$OUT/runs.txt" "$WORKLOADS" "$LIBRBD" <<'PY' | tee "$OUT/summary.txt"
import re, statistics, sys
runs, workloads, librbd = sys.argv[1], sys.argv[2].split(','), sys.argv[3]
per = {}
for line in open(runs):
    w = line.split()[0]
    per.setdefault(w, []).append({k: float(v) for k, v in re.findall(r'(\w+)=([\d.]+)', line)})
base = dict(x.split('=') for x in librbd.split(',') if '=' in x)
for w in workloads:
    r = per.get(w, [])
    if not r:
        continue
    med = lambda k: statistics.median(x[k] for x in r)
    t = [x['target_cpu_us'] for x in r]
    print(f"tcp-floor {w} target_cpu_us={med('target_cpu_us'):.1f} ({min(t):.1f}-{max(t):.1f}) "
          f"initiator_cpu_us={med('initiator_cpu_us'):.1f} host_cpu_us={med('host_cpu_us'):.1f} "
          f"msgs_per_s={med('msgs_per_s'):.0f}")
    if w in base:
        l = float(base[w])
        print(f"tcp-floor {w} fio_librbd_cpu_us={l:.1f} socket_cpu_us={med('target_cpu_us'):.1f} "
              f"lowest_ratio={(l + med('target_cpu_us')) / l:.2f}")
PY
echo "(written to $OUT)" >&2
