#!/usr/bin/env bash
# bench/failover.sh [--ceph-conf FILE | --ceph-dir DIR] [--runs N] [--path-timeout S] [--write-before S]
#                   [--zk-session-timeout S] [--alua-settle S] [--freeze S] [--out DIR]
#
# Gateway failover as a multipath host sees it, measured N times. Self-contained: it builds the project,
# starts the dev Ceph cluster (scripts/ceph-dev-cluster.sh up DIR, stopped again at the end) unless
# --ceph-conf names a running one, and runs io.rbdgw.it.failover.FailoverBench, which starts a ZooKeeper
# (in its JVM), makes a fresh 256 MiB RBD image (layering only) and starts two `run` gateways on it.
# A multipath client (the test initiator of FailoverIT: ALUA path choice, path timeout, retry on the other
# path, 2A/06 handling) writes 4 KiB units at queue depth 4, each stamped with its unit, a sequence number
# and CRC32C; each run SIGKILLs the LUN's owner mid-stream (so the victim alternates), then prints
#   first write   seconds from the SIGKILL to the first write acknowledged by the survivor
#   max stall     longest gap between two acknowledged writes
#   optimized     seconds until the survivor reports Active/Optimized (ZooKeeper session expiry + fencing)
#   read-back     every unit read back through the survivor: lost (acknowledged, not there) and stale
#                 (an older generation than the last acknowledged one)
# and restarts the victim, waiting for it to rejoin and settle. The gateways run with their default timing
# unless --zk-session-timeout / --alua-settle are given.
# Last line: failover median_s=X max_stall_s=Y runs=N lost_writes=L stale_writes=S
#
# Options:
#   --ceph-conf FILE        a running cluster's ceph.conf (client.iscsi keyring alongside, as the dev cluster has)
#   --ceph-dir DIR          where to start the dev cluster when there is no --ceph-conf [bench/results/failover-ceph]
#   --runs N                failovers [5]
#   --path-timeout S        the client's per-command path timeout [2]
#   --write-before S        seconds of writing before each kill [3]
#   --freeze S              instead of SIGKILL: SIGSTOP the owner for S seconds at queue depth 16 while the client
#                           retries (a newer generation) through the other gateway, SIGCONT, read back through
#                           both; last line: freeze seconds=S runs=N lost_writes=L stale_writes=S disagreements=D
#   --out DIR               logs [bench/results/failover-<UTC timestamp>]
# Everything it starts (Ceph daemons from --ceph-dir, the bench JVM and through it ZooKeeper and the gateways)
# is stopped on exit, also on Ctrl-C.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CEPH_CONF=; CEPH_DIR=; OUT=; ARGS=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ceph-conf) CEPH_CONF=$2; shift 2 ;;
    --ceph-dir) CEPH_DIR=$2; shift 2 ;;
    --runs|--path-timeout|--write-before|--zk-session-timeout|--alua-settle|--freeze) ARGS+=("$1" "$2"); shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
OUT=${OUT:-$HERE/results/failover-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

BENCH_PID=; STARTED_CEPH=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$BENCH_PID" ] && kill -0 "$BENCH_PID" 2>/dev/null; then
    kill -TERM "$BENCH_PID" 2>/dev/null || true   # its shutdown hook stops the gateways and ZooKeeper
    for _ in $(seq 1 180); do kill -0 "$BENCH_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$BENCH_PID" 2>/dev/null || true
  fi
  if [ -n "$STARTED_CEPH" ]; then
    "$ROOT/scripts/ceph-dev-cluster.sh" down "$STARTED_CEPH" >&2 || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "$CEPH_CONF" ]; then
  CEPH_DIR=${CEPH_DIR:-$HERE/results/failover-ceph}
  echo "starting the dev Ceph cluster in $CEPH_DIR" >&2
  STARTED_CEPH=$CEPH_DIR
  CEPH_CONF=$("$ROOT/scripts/ceph-dev-cluster.sh" up "$CEPH_DIR")
fi
[ -r "$CEPH_CONF" ] || { echo "cannot read $CEPH_CONF" >&2; exit 1; }
CEPH_CONF=$(cd "$(dirname "$CEPH_CONF")" && pwd)/$(basename "$CEPH_CONF")

echo "building (gateway jar and test classes)" >&2
(cd "$ROOT" && ./mvnw -q -o -pl gateway-node -am package -DskipTests \
   dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/failover-classpath.txt) >"$OUT/build.log" 2>&1 \
  || (cd "$ROOT" && ./mvnw -q -pl gateway-node -am package -DskipTests \
   dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/failover-classpath.txt) >>"$OUT/build.log" 2>&1 \
  || { tail -40 "$OUT/build.log" >&2; echo "build failed (log: $OUT/build.log)" >&2; exit 1; }
GN=$ROOT/gateway-node/target
CP=$GN/test-classes:$GN/classes:$(cat "$GN/failover-classpath.txt")

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
echo "running (log: $OUT/bench.log, ZooKeeper and client log: $OUT/bench.err)" >&2
"$JAVA" -Xmx512m -cp "$CP" -Dgateway.jar="$GN/gateway-node.jar" -Dceph.conf="$CEPH_CONF" \
  -Dzookeeper.admin.enableServer=false \
  io.rbdgw.it.failover.FailoverBench --dir "$OUT/work" "${ARGS[@]}" >"$OUT/bench.log" 2>"$OUT/bench.err" &
BENCH_PID=$!
# progress: the per-run lines as they come (in the background, so that a Ctrl-C interrupts `wait` at once)
tail -n +1 -f "$OUT/bench.log" --pid="$BENCH_PID" 2>/dev/null | grep --line-buffered '^run ' &
set +e
wait "$BENCH_PID"; rc=$?
set -e
BENCH_PID=
wait 2>/dev/null  # the progress pipeline ends with the benchmark
if [ "$rc" -ne 0 ] || ! grep -qE '^(failover|freeze) ' "$OUT/bench.log"; then
  tail -30 "$OUT/bench.err" >&2
  echo "the benchmark failed (exit $rc); logs in $OUT" >&2
  exit 1
fi
grep -E '^(failover|freeze) ' "$OUT/bench.log" | tail -1
