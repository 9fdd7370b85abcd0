#!/usr/bin/env bash
# bench/iscsi-bench.sh --target NAME=URL [--target NAME=URL ...] [--pid NAME=PID ...] [options]
#
# Compares iSCSI targets with fio's libiscsi engine (userspace initiator, no kernel iSCSI needed):
#   randread-4k-qd1  randread-4k-qd32  randwrite-4k-qd1  randwrite-4k-qd32  read-1m-qd8  write-1m-qd8
# each time based. For every workload the targets run back to back, their order alternating from one
# workload to the next, so that a change in machine load hits all of them alike.
# THE WRITE WORKLOADS OVERWRITE THE LUN (use --reads-only to skip them).
#
# The CPU cost of each target is measured from /proc/PID/stat (utime+stime of the whole process,
# clock ticks) over the measured window (after the ramp), divided by the I/Os fio completed in it:
#   target CPU us/IO = delta(utime+stime) / CLK_TCK * 1e6 / I/Os      target CPU % = of one core
# and the whole host's busy time from /proc/stat over the same window (initiator, target, and
# whatever else runs there, e.g. a Ceph cluster): host CPU % (100 per core) and host CPU us/IO.
#
# Latency: fio's mean total latency (lat_ns) and its completion-latency percentiles (clat_ns: p50,
# p99, p99.9, from submission to completion as libiscsi sees it) of the measured window; results.tsv also
# has the total latency's p50 (lat_p50_us: submission included, what rbd-bench compares with fio's rbd engine).
#
# URL: iscsi://HOST[:PORT]/TARGET-IQN/LUN (e.g. iscsi://127.0.0.1:3261/iqn.2026-11.io.rbdgw:disk1/0)
# Options:
#   --target NAME=URL   a target to measure (repeat; at least one)
#   --pid NAME=PID      the process serving NAME, for the CPU columns (optional, per target)
#   --runtime SEC       measured seconds per job [15]       --ramp SEC   fio ramp_time [2]
#   --size BYTES        region of the LUN fio uses, from offset 0 [min(LUN size, 1 GiB)]
#   --workloads LIST    comma-separated workloads [all of the above]; any RW-BS-qdN with RW one of
#                       randread randwrite read write (e.g. read-64k-qd8) is accepted
#   --reads-only        skip the write workloads
#   --rounds N          repeat the whole series N times (one row per round) [1]
#   --pause SEC         idle seconds before each job [1]
#   --out DIR           output directory [bench/results/<UTC timestamp>]
#   --fio PATH          fio with the libiscsi engine [$FIO, /opt/rbdgw-tools/bin/fio-iscsi, fio on PATH]
#   --initiator IQN     initiator name fio logs in with [iqn.2026-11.io.rbdgw.bench:fio]
# Output (in DIR): results.tsv, results.md (the table printed at the end), meta.txt, raw/*.json|.log
# (results.tsv's columns clat_p50_us, clat_p999_us and lat_p50_us come last, after errors, so that older
# readers' column positions still hold)
# Needs: fio built with libiscsi (tools/build-fio-libiscsi.sh), python3, iscsi-readcapacity16
# (libiscsi-bin) to find the LUN size when --size is not given.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RUNTIME=15; RAMP=2; SIZE=; WORKLOADS=; READS_ONLY=0; ROUNDS=1; PAUSE=1; OUT=; FIOBIN=${FIO:-}
INITIATOR=iqn.2026-11.io.rbdgw.bench:fio
NAMES=(); declare -A URLS=() PIDS=()
ALL_WORKLOADS=(randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd1 randwrite-4k-qd32 read-1m-qd8 write-1m-qd8)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --target) [[ "${2:-}" == *=iscsi://* ]] || { echo "--target wants NAME=iscsi://..." >&2; exit 2; }
              n=${2%%=*}; NAMES+=("$n"); URLS[$n]=${2#*=}; shift 2 ;;
    --pid) [[ "${2:-}" == *=* ]] || { echo "--pid wants NAME=PID" >&2; exit 2; }
           PIDS[${2%%=*}]=${2#*=}; shift 2 ;;
    --runtime) RUNTIME=$2; shift 2 ;;
    --ramp) RAMP=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --reads-only) READS_ONLY=1; shift ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --pause) PAUSE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --fio) FIOBIN=$2; shift 2 ;;
    --initiator) INITIATOR=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
[ ${#NAMES[@]} -gt 0 ] || usage
for n in "${!PIDS[@]}"; do
  [ -n "${URLS[$n]:-}" ] || { echo "--pid $n: no such --target" >&2; exit 2; }
  [ -r "/proc/${PIDS[$n]}/stat" ] || { echo "--pid $n=${PIDS[$n]}: no such process" >&2; exit 2; }
done

has_libiscsi() { [ -n "$1" ] && [ -x "$1" ] && "$1" --enghelp 2>/dev/null | grep -qw libiscsi; }
if ! has_libiscsi "$FIOBIN"; then
  FIOBIN=
  for f in /opt/rbdgw-tools/bin/fio-iscsi "$(command -v fio || true)"; do
    if has_libiscsi "$f"; then FIOBIN=$f; break; fi
  done
  [ -n "$FIOBIN" ] || { echo "no fio with the libiscsi engine: run tools/build-fio-libiscsi.sh" >&2; exit 1; }
fi

if [ -n "$WORKLOADS" ]; then IFS=, read -r -a SELECTED <<<"$WORKLOADS"; else SELECTED=("${ALL_WORKLOADS[@]}"); fi
JOBS=()
for w in "${SELECTED[@]}"; do
  [[ "$w" =~ ^(randread|randwrite|read|write)-[0-9]+[kKmM]?-qd[0-9]+$ ]] || { echo "unknown workload $w" >&2; exit 2; }
  [ "$READS_ONLY" = 1 ] && [[ "$w" == *write* ]] && continue
  JOBS+=("$w")
done

OUT=${OUT:-$HERE/results/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT/raw"
CLK=$(getconf CLK_TCK)

# ---- LUN sizes -> region fio uses
declare -A REGION=()
for n in "${NAMES[@]}"; do
  if [ -n "$SIZE" ]; then REGION[$n]=$SIZE; continue; fi
  total=$(timeout 20 iscsi-readcapacity16 -i "$INITIATOR" "${URLS[$n]}" 2>/dev/null | awk -F: '/Total size/{gsub(/ /,"",$2); print $2}') || true
  [ -n "$total" ] || { echo "cannot read the capacity of $n (${URLS[$n]}); give --size" >&2; exit 1; }
  REGION[$n]=$(( total < 1073741824 ? total : 1073741824 ))
done

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) cpus, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
  echo "fio: $FIOBIN ($("$FIOBIN" --version))"
  echo "runtime: ${RUNTIME}s  ramp: ${RAMP}s  rounds: $ROUNDS  pause: ${PAUSE}s  workloads: ${JOBS[*]}"
  for n in "${NAMES[@]}"; do echo "target $n: ${URLS[$n]}  pid: ${PIDS[$n]:--}  region: ${REGION[$n]} bytes"; done
} > "$OUT/meta.txt"
cat "$OUT/meta.txt" >&2

. "$HERE/cpu-ticks.sh"  # proc_ticks PID, host_busy_ticks

TSV=$OUT/results.tsv
printf 'round\ttarget\tworkload\tiops\tMBps\tlat_avg_us\tclat_p99_us\ttarget_cpu_us_per_io\ttarget_cpu_pct\tfio_cpu_pct\thost_cpu_pct\thost_cpu_us_per_io\terrors\tclat_p50_us\tclat_p999_us\tlat_p50_us\n' > "$TSV"

run_job() { # round name workload
  local round=$1 n=$2 w=$3 rw bs qd pid tag
  IFS=- read -r rw bs qd <<<"$w"; qd=${qd#qd}
  pid=${PIDS[$n]:-}
  tag="r$round-$n-$w"
  sleep "$PAUSE"
  # sample the target's CPU once the ramp is over, and again when fio has finished
  ( sleep "$RAMP"; echo "$(date +%s.%N) $(proc_ticks "$pid" || echo -) $(host_busy_ticks)" > "$OUT/raw/.start" ) &
  local sampler=$!
  local rc=0
  "$FIOBIN" --name="$tag" --ioengine=libiscsi --initiator="$INITIATOR" --filename="${URLS[$n]//:/\\:}" \
    --rw="$rw" --bs="$bs" --iodepth="$qd" --size="${REGION[$n]}" --time_based --runtime="$RUNTIME" \
    --ramp_time="$RAMP" --randrepeat=0 --norandommap --lat_percentiles=1 --output-format=json \
    --output="$OUT/raw/$tag.json" > "$OUT/raw/$tag.log" 2>&1 || rc=$?
  local end; end="$(date +%s.%N) $(proc_ticks "$pid" || echo -) $(host_busy_ticks)"
  wait "$sampler" || true
  python3 - "$OUT/raw/$tag.json" "$round" "$n" "$w" "$rc" "$CLK" "$(cat "$OUT/raw/.start")" "$end" >> "$TSV" <<'PY'
import json, sys
path, rnd, name, w, rc, clk, start, end = sys.argv[1:]
clk = int(clk)
t0, c0, h0 = start.split(); t1, c1, h1 = end.split()
wall = float(t1) - float(t0)
cells = [rnd, name, w]
try:
    job = json.load(open(path))['jobs'][0]
except Exception as e:  # fio failed before writing its report
    print('\t'.join(cells + ['-'] * 9 + [f'fio rc={rc}, see raw log', '-', '-', '-']))
    sys.exit(0)
d = job['write'] if 'write' in w else job['read']
ios = d['total_ios']
pct_ns = d.get('clat_ns', {}).get('percentile', {})
p99 = pct_ns.get('99.000000')
def us(key):  # a completion-latency percentile in microseconds, '-' where fio did not report it
    v = pct_ns.get(key)
    return f'{v / 1000:.1f}' if v else '-'
def lat_p50():  # the total latency's median (submission included: --lat_percentiles=1), '-' if not reported
    v = d.get('lat_ns', {}).get('percentile', {}).get('50.000000')
    return f'{v / 1000:.1f}' if v else '-'
if c0 != '-' and c1 != '-' and ios > 0:
    cpu_s = (float(c1) - float(c0)) / clk
    us_per_io = f'{cpu_s * 1e6 / ios:.1f}'
    pct = f'{cpu_s / wall * 100:.0f}'
else:
    us_per_io = pct = '-'
host_s = (float(h1) - float(h0)) / clk
host = host_s / wall * 100
host_us = f'{host_s * 1e6 / ios:.1f}' if ios > 0 else '-'
fio_cpu = job.get('usr_cpu', 0) + job.get('sys_cpu', 0)
errors = job.get('error', 0)
print('\t'.join(cells + [f"{d['iops']:.0f}", f"{d['bw_bytes'] / 1e6:.1f}", f"{d['lat_ns']['mean'] / 1000:.1f}",
                         f'{p99 / 1000:.1f}' if p99 else '-', us_per_io, pct, f'{fio_cpu:.0f}', f'{host:.0f}', host_us,
                         str(errors) if rc == '0' else f'{errors} (fio rc={rc})', us('50.000000'), us('99.900000'),
                         lat_p50()]))
PY
  tail -1 "$TSV" | awk -F'\t' '{printf "%-10s %-18s %8s IOPS %8s MB/s  lat %8s us  p50/p99/p99.9 %s/%s/%s us  cpu/IO %6s us  cpu %4s%%\n", $2, $3, $4, $5, $6, $14, $7, $15, $8, $9}' >&2
}

i=0
for round in $(seq "$ROUNDS"); do
  for w in "${JOBS[@]}"; do
    order=("${NAMES[@]}")
    if [ $((i % 2)) = 1 ]; then order=(); for ((k=${#NAMES[@]}-1; k>=0; k--)); do order+=("${NAMES[$k]}"); done; fi
    for n in "${order[@]}"; do run_job "$round" "$n" "$w"; done
    i=$((i + 1))
  done
done
rm -f "$OUT/raw/.start"

python3 - "$TSV" "$ROUNDS" "${NAMES[@]}" > "$OUT/results.md" <<'PY'
import statistics, sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1])]
body = rows[1:]
multi = sys.argv[2] != '1'
names = sys.argv[3:]
cols = (['round'] if multi else []) + ['target', 'workload', 'IOPS', 'MB/s', 'avg lat (us)', 'p50 clat (us)',
        'p99 clat (us)', 'p99.9 clat (us)', 'target CPU (us/IO)', 'target CPU (% core)', 'fio CPU (%)',
        'host CPU (%)', 'host CPU (us/IO)', 'errors']
def shown(r):  # the TSV keeps its first columns in place (readers index them); the table groups the percentiles
    r = r + ['-'] * (15 - len(r))
    return r[:6] + [r[13], r[6], r[14]] + r[7:13]
print('| ' + ' | '.join(cols) + ' |')
print('|' + '---|' * len(cols))
order = {}
for r in body:
    order.setdefault(r[2], len(order))
for r in sorted(body, key=lambda r: (order[r[2]], int(r[0]), names.index(r[1]))):
    print('| ' + ' | '.join(shown(r) if multi else shown(r)[1:]) + ' |')
if len(names) > 1:
    # medians over rounds, relative to the first target
    def med(target, workload, col):
        vals = []
        for r in body:
            if r[1] == target and r[2] == workload:
                try:
                    vals.append(float(r[col]))
                except ValueError:
                    pass
        return statistics.median(vals) if vals else None
    base = names[0]
    print()
    print(f'Relative to {base} (median over rounds; IOPS > 1 is faster, CPU/IO < 1 is cheaper):')
    print()
    print('| workload | ' + ' | '.join(f'{n} IOPS | {n} CPU/IO' for n in names[1:]) + ' |')
    print('|---|' + '---|---|' * (len(names) - 1))
    for w in order:
        cells = []
        for n in names[1:]:
            for col in (3, 7):
                a, b = med(n, w, col), med(base, w, col)
                cells.append(f'{a / b:.2f}x' if a is not None and b else '-')
        print(f'| {w} | ' + ' | '.join(cells) + ' |')
PY
echo >&2
cat "$OUT/results.md"
echo "(written to $OUT)" >&2
