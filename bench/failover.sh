#!/usr/bin/env bash
# bench/failover.sh --portal-a HOST:PORT --portal-b HOST:PORT --iqn IQN --pid-a PID --pid-b PID
#                   --restart-a CMD --restart-b CMD [options]
#
# Measures gateway failover as a host sees it, N times: a writer (fio, libiscsi engine, 4 KiB sequential
# writes at queue depth 1 with crc32c verify headers) writes through one gateway, that gateway is killed
# with SIGKILL, and the writer moves to the other gateway's portal (what multipath does on a dead path):
#   stall    seconds from the SIGKILL to the first write acknowledged by the survivor
#   lost     blocks acknowledged by the killed gateway that the survivor reads back wrong (verify errors)
#   stale    blocks the survivor wrote after the failover that read back wrong once the killed gateway was
#            restarted and rejoined (late writes of the old owner landing after newer ones: fencing failed)
# The victim alternates a, b, a, ... and is restarted between runs: CMD runs the gateway in the foreground
# (for example `java -jar gateway-node/target/gateway-node.jar run --name gw-a ...`); the script starts it
# in the background with exec, so it knows the new PID and signals only processes it started.
# Both gateways must serve the same LUN from shared storage (RBD, or one file disk in a shared --data-dir).
# THE LUN'S FIRST --region BYTES ARE OVERWRITTEN.
#
# Options:
#   --lun N              LUN number [0]             --runs N        failovers to measure [5]
#   --region BYTES       bytes written per run [64M]  --kill-after S  seconds of writing before SIGKILL [2]
#   --settle S           seconds to wait after a restart (ALUA settling delay + margin) [15]
#   --fio PATH           fio with the libiscsi engine [$FIO, /opt/rbdgw-tools/bin/fio-iscsi, fio]
#   --initiator IQN      initiator name [iqn.2026-11.io.rbdgw.bench:failover]
#   --out DIR            raw fio output [bench/results/failover-<UTC timestamp>]
# Last line: failover median_s=X max_stall_s=Y runs=N lost_writes=L stale_writes=S
#
# Not measured (yet): the host's own path-failure detection time (iSCSI NOP timeouts, dm-multipath
# checker), which adds to the stall on a real host; this script switches portals as soon as a write fails.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LUN=0; RUNS=5; REGION=64M; KILL_AFTER=2; SETTLE=15; FIOBIN=${FIO:-}
INITIATOR=iqn.2026-11.io.rbdgw.bench:failover; OUT=; IQN=
declare -A PORTAL=() PID=() RESTART=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --portal-a) PORTAL[a]=$2; shift 2 ;;   --portal-b) PORTAL[b]=$2; shift 2 ;;
    --pid-a) PID[a]=$2; shift 2 ;;         --pid-b) PID[b]=$2; shift 2 ;;
    --restart-a) RESTART[a]=$2; shift 2 ;; --restart-b) RESTART[b]=$2; shift 2 ;;
    --iqn) IQN=$2; shift 2 ;;              --lun) LUN=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;            --region) REGION=$2; shift 2 ;;
    --kill-after) KILL_AFTER=$2; shift 2 ;; --settle) SETTLE=$2; shift 2 ;;
    --fio) FIOBIN=$2; shift 2 ;;           --initiator) INITIATOR=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
for s in a b; do
  [ -n "${PORTAL[$s]:-}" ] && [ -n "${PID[$s]:-}" ] && [ -n "${RESTART[$s]:-}" ] || usage
done
[ -n "$IQN" ] || usage

has_libiscsi() { [ -n "$1" ] && [ -x "$1" ] && "$1" --enghelp 2>/dev/null | grep -qw libiscsi; }
if ! has_libiscsi "$FIOBIN"; then
  FIOBIN=
  for f in /opt/rbdgw-tools/bin/fio-iscsi "$(command -v fio || true)"; do
    if has_libiscsi "$f"; then FIOBIN=$f; break; fi
  done
  [ -n "$FIOBIN" ] || { echo "no fio with the libiscsi engine: run tools/build-fio-libiscsi.sh" >&2; exit 1; }
fi
OUT=${OUT:-$HERE/results/failover-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

url() { local p=${PORTAL[$1]}; echo "iscsi\\://${p//:/\\:}/${IQN//:/\\:}/$LUN"; }
# fio NAME SIDE extra-args...: one fio run against SIDE's portal, JSON in $OUT/NAME.json; returns fio's status
fio_on() {
  local name=$1 side=$2; shift 2
  "$FIOBIN" --name="$name" --ioengine=libiscsi --initiator="$INITIATOR" --filename="$(url "$side")" \
    --bs=4k --iodepth=1 --verify=crc32c --continue_on_error=verify --output-format=json \
    --output="$OUT/$name.json" "$@" > "$OUT/$name.log" 2>&1
}
json() { python3 -c 'import json,sys
try:
    j = json.load(open(sys.argv[1]))["jobs"][0]
except Exception:
    print(0); sys.exit()
print(eval(sys.argv[2], {}, {"j": j}))' "$1" "$2"; }
now() { date +%s.%N; }

STALLS=(); LOST=0; STALE=0
for run in $(seq 1 "$RUNS"); do
  if [ $((run % 2)) = 1 ]; then victim=a; survivor=b; else victim=b; survivor=a; fi
  echo "run $run: writing through $victim (${PORTAL[$victim]}), SIGKILL after ${KILL_AFTER}s" >&2
  fio_on "r$run-write" "$victim" --rw=write --size="$REGION" --do_verify=0 --randseed=$((1000 + run)) &
  writer=$!
  sleep "$KILL_AFTER"
  kill -9 "${PID[$victim]}"
  t0=$(now)
  wait "$writer" || true
  acked=$(json "$OUT/r$run-write.json" 'j["write"]["io_bytes"]')
  acked=$(( acked / 4096 * 4096 ))

  # the first write the survivor acknowledges ends the stall (outside the verified region)
  tries=0
  until fio_on "r$run-probe" "$survivor" --rw=write --size=4k --offset="$REGION" --do_verify=0; do
    tries=$((tries + 1)); [ $tries -lt 600 ] || { echo "survivor never accepted a write" >&2; exit 1; }
    sleep 0.1
  done
  stall=$(python3 -c "print(round($(now) - $t0, 3))")
  STALLS+=("$stall")

  lost=0
  if [ "$acked" -gt 0 ]; then
    fio_on "r$run-verify" "$survivor" --rw=write --size="$acked" --verify_only --randseed=$((1000 + run)) || true
    lost=$(json "$OUT/r$run-verify.json" 'j.get("total_err", 0)')
  fi

  # newer data through the survivor, then the old gateway comes back: nothing of it may land on top
  fio_on "r$run-newer" "$survivor" --rw=write --size="$REGION" --do_verify=0 --randseed=$((5000 + run)) || true
  # the restart command runs the gateway in the foreground; exec makes $! its own PID, so that
  # the next run kills exactly the process this script started
  bash -c "exec ${RESTART[$victim]}" >> "$OUT/restart-$victim.log" 2>&1 < /dev/null &
  PID[$victim]=$!
  sleep "$SETTLE"
  kill -0 "${PID[$victim]}" 2>/dev/null || { echo "restarted gateway $victim exited; see $OUT/restart-$victim.log" >&2; exit 1; }
  fio_on "r$run-stale" "$survivor" --rw=write --size="$REGION" --verify_only --randseed=$((5000 + run)) || true
  stale=$(json "$OUT/r$run-stale.json" 'j.get("total_err", 0)')

  LOST=$((LOST + lost)); STALE=$((STALE + stale))
  echo "run $run victim=$victim stall_s=$stall acked_bytes=$acked lost=$lost stale=$stale" | tee -a "$OUT/runs.txt" >&2
done

python3 - "$RUNS" "$LOST" "$STALE" "${STALLS[@]}" <<'PY'
import statistics, sys
runs, lost, stale = sys.argv[1:4]
stalls = [float(s) for s in sys.argv[4:]]
print(f"failover median_s={statistics.median(stalls):.3f} max_stall_s={max(stalls):.3f} runs={runs} "
      f"lost_writes={lost} stale_writes={stale}")
PY
