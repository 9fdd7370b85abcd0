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
set -euo pipefail
cd "$(dirname "$0")/.."
RBDGW_PORT=${RBDGW_PORT:-3265}
TGT_PORT=${TGT_PORT:-3260}
JAVA_OPTS=${JAVA_OPTS:--Xmx3g -Xms3g}

[ -f gateway-node/target/gateway-node.jar ] || ./mvnw -q -B -DskipTests package
FIO=${FIO:-/opt/rbdgw-tools/bin/fio-iscsi}
[ -x "$FIO" ] || FIO=$(tools/build-fio-libiscsi.sh | tail -n 1)

DATA=$(mktemp -d)
GW_PID=
cleanup() {
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
  PORTAL=127.0.0.1:$TGT_PORT bench/tgt-null.sh stop >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap cleanup EXIT

# shellcheck disable=SC2086
java $JAVA_OPTS -jar gateway-node/target/gateway-node.jar standalone --memory --lun-size 1G --admin-listen 127.0.0.1:0 \
  --data-dir "$DATA" --listen "127.0.0.1:$RBDGW_PORT" --target-iqn iqn.2026-11.io.rbdgw.bench:memory \
  > "$DATA/gateway.log" 2>&1 &
GW_PID=$!
for _ in $(seq 1 100); do grep -q "LUN URL:" "$DATA/gateway.log" && break; sleep 0.2; done
GW_URL=$(sed -n 's/.*LUN URL: //p' "$DATA/gateway.log")
[ -n "$GW_URL" ] || { cat "$DATA/gateway.log" >&2; exit 1; }

eval "$(PORTAL=127.0.0.1:$TGT_PORT bench/tgt-null.sh start | sed 's/^/TGT_/')"

# The memory LUN stores what is written: fill the measured region once, so that reads do not hit
# never-written (all-zero, unallocated) chunks while tgt's null LUN never stores anything.
"$FIO" --name=fill --ioengine=libiscsi --filename="${GW_URL//:/\\:}" --initiator=iqn.2026-11.io.rbdgw.bench:fill \
  --rw=write --bs=1m --iodepth=8 --size=1g >/dev/null

bench/iscsi-bench.sh --fio "$FIO" --size 1073741824 \
  --target "rbdgw=$GW_URL" --pid "rbdgw=$GW_PID" \
  --target "tgt=$TGT_url" --pid "tgt=$TGT_pid" "$@"
