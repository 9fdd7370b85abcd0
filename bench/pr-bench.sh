#!/usr/bin/env bash
# bench/pr-bench.sh [--ceph-conf FILE | --ceph-dir DIR] [--ops N] [--io-seconds S] [--rounds R] [--qd N]
#                   [--out DIR]
#
# SCSI persistent reservations across a gateway pair (issue #15), on RBD: io.rbdgw.it.failover.PrBench starts a
# ZooKeeper (in its JVM), makes a fresh 1 GiB image (prmodel-bench-*, removed at the end) on a Ceph cluster (the
# running one --ceph-conf names, else a dev cluster it starts in --ceph-dir and stops at the end), and two `run`
# gateways exporting it; bench/pr-bench.c (libiscsi, built here with gcc) measures through them:
#   latency   through each gateway: N x PROUT REGISTER (a new key each time), then N x (RESERVE Write Exclusive -
#             Registrants Only, RELEASE); median, p99 and max of each. Each is one stored change that completes
#             once the other gateway applied it.
#   io        through the Active/Optimized gateway: 4 KiB random read and random write at queue depth N for S
#             seconds, the LU reserved (Write Exclusive - Registrants Only, held by the session doing the I/O)
#             against unreserved, in R interleaved rounds (the order alternates per round); IOPS per run and the
#             median per state.
# THE WRITE RUNS OVERWRITE THE (FRESH) IMAGE.
#
# Options:
#   --ceph-conf FILE   a running Ceph cluster's ceph.conf, client.iscsi keyring alongside [$RBDGW_CEPH_CONF]
#   --ceph-dir DIR     without a running cluster: start scripts/ceph-dev-cluster.sh there (stopped at the end;
#                      RBDGW_CEPH_ADDR etc. as that script reads them) [bench/results/pr-ceph]
#   --ops N            PROUT operations per kind and gateway [1000]
#   --io-seconds S     seconds per I/O run [10]       --rounds R   I/O rounds [3]       --qd N   queue depth [32]
#   --out DIR          output [bench/results/pr-<UTC timestamp>]: results.md, latency.log, io.log, the pair's logs
# Needs: gcc, libiscsi-dev, a JDK 17. Everything it starts is stopped on exit, also on Ctrl-C.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CEPH_CONF=${RBDGW_CEPH_CONF:-}; CEPH_DIR=; OPS=1000; IO_SECONDS=10; ROUNDS=3; QD=32; OUT=
INITIATOR=iqn.2026-11.io.rbdgw.bench:pr

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ceph-conf) CEPH_CONF=$2; shift 2 ;;
    --ceph-dir) CEPH_DIR=$2; CEPH_CONF=; shift 2 ;;
    --ops) OPS=$2; shift 2 ;;
    --io-seconds) IO_SECONDS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --qd) QD=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
OUT=${OUT:-$HERE/results/pr-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

PAIR_PID=; STARTED_CEPH=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  exec 3>&- 2>/dev/null || true   # the pair's JVM stops its gateways and removes the image at the end of its input
  if [ -n "$PAIR_PID" ]; then
    for _ in $(seq 1 180); do kill -0 "$PAIR_PID" 2>/dev/null || break; sleep 0.5; done
    kill -TERM "$PAIR_PID" 2>/dev/null || true
  fi
  if [ -n "$STARTED_CEPH" ]; then
    "$ROOT/scripts/ceph-dev-cluster.sh" down "$STARTED_CEPH" >&2 || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$CEPH_CONF" ]; then
  CEPH_DIR=${CEPH_DIR:-$HERE/results/pr-ceph}
  echo "starting a dev Ceph cluster in $CEPH_DIR" >&2
  STARTED_CEPH=$CEPH_DIR
  CEPH_CONF=$("$ROOT/scripts/ceph-dev-cluster.sh" up "$CEPH_DIR")
fi
[ -r "$CEPH_CONF" ] || { echo "cannot read $CEPH_CONF" >&2; exit 1; }
CEPH_CONF=$(cd "$(dirname "$CEPH_CONF")" && pwd)/$(basename "$CEPH_CONF")

echo "building (gateway jar, test classes, bench/pr-bench.c)" >&2
(cd "$ROOT" && ./mvnw -q -o -pl gateway-node -am package -DskipTests \
   dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/pr-bench-classpath.txt) \
   >"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log" >&2; echo "build failed (log: $OUT/build.log)" >&2; exit 1; }
gcc -O2 -Wall -o "$OUT/pr-bench" "$HERE/pr-bench.c" -liscsi >>"$OUT/build.log" 2>&1 \
  || { tail -20 "$OUT/build.log" >&2; echo "cannot build pr-bench.c (needs gcc and libiscsi-dev)" >&2; exit 1; }
GN=$ROOT/gateway-node/target
CP=$GN/test-classes:$GN/classes:$(cat "$GN/pr-bench-classpath.txt")

echo "starting the gateway pair (log: $OUT/pair.log)" >&2
mkfifo "$OUT/pair.in"
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
"$JAVA" -Xmx512m -cp "$CP" -Dgateway.jar="$GN/gateway-node.jar" -Dceph.conf="$CEPH_CONF" \
  -Dzookeeper.admin.enableServer=false io.rbdgw.it.failover.PrBench --initiator "$INITIATOR" --dir "$OUT/work" \
  <"$OUT/pair.in" >"$OUT/pair.log" 2>"$OUT/pair.err" &
PAIR_PID=$!
exec 3>"$OUT/pair.in"
for _ in $(seq 1 240); do
  grep -q '^ready ' "$OUT/pair.log" 2>/dev/null && break
  kill -0 "$PAIR_PID" 2>/dev/null || { tail -30 "$OUT/pair.err" >&2; echo "the gateway pair did not start" >&2; exit 1; }
  sleep 0.5
done
read -r _ URL_A URL_B OWNER < <(grep '^ready ' "$OUT/pair.log")
[ -n "${OWNER:-}" ] || { echo "the gateway pair did not start in 120 s" >&2; exit 1; }
URLS=("$URL_A" "$URL_B"); NAMES=(A B)
echo "gateway A: $URL_A  gateway B: $URL_B  Active/Optimized: ${NAMES[$OWNER]}" >&2

export PR_BENCH_INITIATOR=$INITIATOR
: >"$OUT/latency.log"
for g in 0 1; do
  echo "PROUT latency through gateway ${NAMES[$g]} ($OPS operations each)" >&2
  "$OUT/pr-bench" latency "${URLS[$g]}" "$OPS" | sed "s/^/gateway ${NAMES[$g]} /" | tee -a "$OUT/latency.log" >&2
done

: >"$OUT/io.log"
for round in $(seq "$ROUNDS"); do
  for mode in read write; do
    states=(unreserved reserved)
    [ $(( (round + ${#mode}) % 2 )) = 0 ] && states=(reserved unreserved)
    for state in "${states[@]}"; do
      sleep 1
      "$OUT/pr-bench" io "${URLS[$OWNER]}" "$IO_SECONDS" "$QD" "$mode" "$state" $((1 << 30)) \
        | sed "s/^/round $round /" | tee -a "$OUT/io.log" >&2
    done
  done
done

python3 - "$OUT/latency.log" "$OUT/io.log" "${NAMES[$OWNER]}" "$QD" "$OPS" >"$OUT/results.md" <<'PY'
import re, statistics, sys
lat, io, owner, qd, ops = sys.argv[1:]
print(f'| through | operation | n | median (ms) | p99 (ms) | max (ms) | failures |')
print('|---|---|---|---|---|---|---|')
for line in open(lat):
    m = re.match(r'gateway (\S+) latency (\S+) n=(\d+) median_ms=(\S+) p99_ms=(\S+) max_ms=(\S+) failures=(\d+)', line)
    if m:
        print('| gateway {} | {} | {} | {} | {} | {} | {} |'.format(*m.groups()))
print()
runs = {}
for line in open(io):
    m = re.match(r'round (\d+) io (\S+) (\S+) iops=(\d+) errors=(\d+)', line)
    if m:
        runs.setdefault((m[2], m[3]), []).append((int(m[1]), int(m[4]), int(m[5])))
print(f'| 4 KiB random, QD{qd}, through gateway {owner} | state | IOPS per round | median | errors |')
print('|---|---|---|---|---|')
for mode in ('read', 'write'):
    med = {}
    for state in ('unreserved', 'reserved'):
        r = sorted(runs.get((mode, state), []))
        if not r:
            continue
        med[state] = statistics.median(x[1] for x in r)
        print(f'| {mode} | {state} | {", ".join(str(x[1]) for x in r)} | {med[state]:.0f} | {sum(x[2] for x in r)} |')
    if len(med) == 2 and med['unreserved']:
        print(f'| {mode} | reserved / unreserved | | {med["reserved"] / med["unreserved"]:.3f} | |')
PY
cat "$OUT/results.md"
