#!/usr/bin/env bash
# bench/target-bench.sh [iscsi-bench.sh options, e.g. --runtime 15 --rounds 3]
#
# The protocol-path benchmark of issue #2 in one run: rbdgw's memory LUN against tgt's null LUN,
# same client (fio with libiscsi), workloads alternating between the two targets, with each
# target's CPU time per I/O. Starts and stops both targets itself (by PID), on loopback only:
#   rbdgw  java -jar gateway-node/target/gateway-node.jar standalone --memory  on 127.0.0.1:$RBDGW_PORT [3265]
#   tgt    bench/tgt-null.sh                                                    on 127.0.0.1:$TGT_PORT   [3260]
# Builds what is missing first: the gateway jar (./mvnw package) and fio with libiscsi
# (tools/build-fio-libiscsi.sh, needs root for apt-get). Results: bench/results/<timestamp>/
# (results.md is the table; copy it into docs/benchmarks.md with the command line).
# BASELINE_JAR=path/to/older/gateway-node.jar adds that build as a third target ($BASELINE_NAME
# [rbdgw-base], on 127.0.0.1:$BASELINE_PORT [3266]), interleaved with the others: a refactoring's
# "unchanged within noise" is then measured in one run, under the same machine load. GATEWAY_JAR
# [gateway-node/target/gateway-node.jar] and GATEWAY_NAME [rbdgw] name the measured build (swap the
# two to see how much of a difference is the position in the run).
#
# Last lines: one summary line per target and workload, medians over the rounds:
#   target-bench NAME WORKLOAD iops=N p50_us=X p99_us=Y p99.9_us=Z cpu_us_per_io=C [iops_vs_tgt=R cpu_vs_tgt=R]
# p50/p99/p99.9: fio's completion latency percentiles (clat_ns of its JSON report; at QD1 the latency one
# request sees); cpu_us_per_io: the target process's CPU (utime+stime from /proc) per I/O of the measured
# window; *_vs_tgt: that target's IOPS and CPU per I/O over tgt's. The LUNs are memory/null, so there is
# no librbd floor to compare with here: bench/rbd-bench.sh prints the CPU per I/O against fio+librbd.
set -euo pipefail
for a in "$@"; do
  case $a in -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;; esac
done
cd "$(dirname "$0")/.."
RBDGW_PORT=${RBDGW_PORT:-3265}
TGT_PORT=${TGT_PORT:-3260}
JAVA_OPTS=${JAVA_OPTS:--Xmx3g -Xms3g}
GATEWAY_JAR=${GATEWAY_JAR:-gateway-node/target/gateway-node.jar}
GATEWAY_NAME=${GATEWAY_NAME:-rbdgw}
BASELINE_JAR=${BASELINE_JAR:-}
BASELINE_NAME=${BASELINE_NAME:-rbdgw-base}
BASELINE_PORT=${BASELINE_PORT:-3266}

[ -f "$GATEWAY_JAR" ] || ./mvnw -q -B -DskipTests package
FIO=${FIO:-/opt/rbdgw-tools/bin/fio-iscsi}
[ -x "$FIO" ] || FIO=$(tools/build-fio-libiscsi.sh | tail -n 1)

DATA=$(mktemp -d)
GW_PID=
BASE_PID=
cleanup() {
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
  [ -n "$BASE_PID" ] && kill "$BASE_PID" 2>/dev/null && wait "$BASE_PID" 2>/dev/null
  PORTAL=127.0.0.1:$TGT_PORT bench/tgt-null.sh stop >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap cleanup EXIT

# start_gateway JAR PORT DIR: a memory-LUN gateway in the background; sets STARTED_PID and STARTED_URL
start_gateway() {
  mkdir -p "$3"
  # shellcheck disable=SC2086
  java $JAVA_OPTS -jar "$1" standalone --memory --lun-size 1G --admin-listen 127.0.0.1:0 \
    --data-dir "$3" --listen "127.0.0.1:$2" --target-iqn iqn.2026-11.io.rbdgw.bench:memory \
    > "$3/gateway.log" 2>&1 &
  STARTED_PID=$!
  for _ in $(seq 1 100); do grep -q "LUN URL:" "$3/gateway.log" && break; sleep 0.2; done
  STARTED_URL=$(sed -n 's/.*LUN URL: //p' "$3/gateway.log")
  [ -n "$STARTED_URL" ] || { cat "$3/gateway.log" >&2; exit 1; }
}
# The memory LUN stores what is written: fill the measured region once, so that reads do not hit
# never-written (all-zero, unallocated) chunks while tgt's null LUN never stores anything.
fill() {
  "$FIO" --name=fill --ioengine=libiscsi --filename="${1//:/\\:}" --initiator=iqn.2026-11.io.rbdgw.bench:fill \
    --rw=write --bs=1m --iodepth=8 --size=1g >/dev/null
}

start_gateway "$GATEWAY_JAR" "$RBDGW_PORT" "$DATA/current"
GW_PID=$STARTED_PID GW_URL=$STARTED_URL
fill "$GW_URL"
BASE_ARGS=()
if [ -n "$BASELINE_JAR" ]; then
  start_gateway "$BASELINE_JAR" "$BASELINE_PORT" "$DATA/base"
  BASE_PID=$STARTED_PID
  fill "$STARTED_URL"
  BASE_ARGS=(--target "$BASELINE_NAME=$STARTED_URL" --pid "$BASELINE_NAME=$BASE_PID")
fi

eval "$(PORTAL=127.0.0.1:$TGT_PORT bench/tgt-null.sh start | sed 's/^/TGT_/')"

# the summary below reads iscsi-bench's results.tsv: choose its directory unless the caller did
OUT=
prev=
for a in "$@"; do [ "$prev" = --out ] && OUT=$a; prev=$a; done
OUT_ARGS=()
if [ -z "$OUT" ]; then OUT=bench/results/target-$(date -u +%Y%m%dT%H%M%SZ); OUT_ARGS=(--out "$OUT"); fi

bench/iscsi-bench.sh --fio "$FIO" --size 1073741824 \
  --target "$GATEWAY_NAME=$GW_URL" --pid "$GATEWAY_NAME=$GW_PID" \
  "${BASE_ARGS[@]}" --target "tgt=$TGT_url" --pid "tgt=$TGT_pid" "${OUT_ARGS[@]}" "$@"

echo
python3 - "$OUT/results.tsv" <<'PY' | tee "$OUT/summary.txt"
import statistics, sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1])]
body = [dict(zip(rows[0], r)) for r in rows[1:]]
def med(target, w, key):
    v = []
    for r in body:
        if r['target'] == target and r['workload'] == w:
            try: v.append(float(r.get(key, '-')))
            except ValueError: pass
    return statistics.median(v) if v else None
def f(v, nd=1):
    return '-' if v is None else f'{v:.{nd}f}'
targets = list(dict.fromkeys(r['target'] for r in body))
for w in dict.fromkeys(r['workload'] for r in body):
    for t in targets:
        iops, cpu = med(t, w, 'iops'), med(t, w, 'target_cpu_us_per_io')
        line = (f'target-bench {t} {w} iops={f(iops, 0)} p50_us={f(med(t, w, "clat_p50_us"))} '
                f'p99_us={f(med(t, w, "clat_p99_us"))} p99.9_us={f(med(t, w, "clat_p999_us"))} cpu_us_per_io={f(cpu)}')
        if t != 'tgt' and 'tgt' in targets:
            ti, tc = med('tgt', w, 'iops'), med('tgt', w, 'target_cpu_us_per_io')
            line += f' iops_vs_tgt={f(iops / ti, 2) if iops and ti else "-"} cpu_vs_tgt={f(cpu / tc, 2) if cpu and tc else "-"}'
        print(line)
PY
