#!/usr/bin/env bash
# bench/gateway-ab.sh [options]
#
# An A/B of two gateway configurations on RBD, measured in the same rounds: two `standalone` gateways,
# A and B, each on its own RBD image (created and filled for the run, removed at the end), both warmed
# up, then bench/iscsi-bench.sh over both for --rounds rounds, the order of A and B alternating from round
# to round. A and B may differ in the jar (--jar-a/--jar-b: a change against main) or in options
# (--args-a/--args-b: e.g. "--poll-in-flight-us 500" against none), or both.
# Prints one line per round, target and workload (the columns of iscsi-bench's results.tsv, prefixed with
# "round N") and writes them to OUT/all.tsv; each round's iscsi-bench output is in OUT/rN.
#
# Options:
#   --ceph-conf FILE   cluster conf [$RBDGW_CEPH_CONF]       --id NAME   Ceph client [iscsi]
#   --pool POOL        [rbd]          --size MIB   image size in MiB [1024]
#   --jar-a PATH, --jar-b PATH        gateway jars [gateway-node/target/gateway-node.jar for both]
#   --args-a "ARGS", --args-b "ARGS"  more options for each gateway's `standalone` command [none]
#   --workloads LIST   iscsi-bench workloads [randread-4k-qd1,randwrite-4k-qd1,randread-4k-qd32,randwrite-4k-qd32]
#   --rounds N         [3]            --runtime SEC  measured seconds per job [12]   --ramp SEC [2]
#   --warmup SEC       per warm-up job on each gateway (4K random read/write at QD32, 1M write and read at
#                      QD8) [8]
#   --ports A,B        portal ports [3281,3282]
#   --out DIR          output directory [bench/results/ab-<UTC timestamp>]
# The gateways run on tcmalloc when it is installed, as bin/rbdgw-gateway starts them.
# Needs: java 17, fio with libiscsi (tools/build-fio-libiscsi.sh), the rbd CLI, python3.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONF=${RBDGW_CEPH_CONF:-}; ID=iscsi; POOL=rbd; SIZE_MIB=1024
JAR_A=$ROOT/gateway-node/target/gateway-node.jar; JAR_B=$JAR_A; ARGS_A=; ARGS_B=
WORKLOADS=randread-4k-qd1,randwrite-4k-qd1,randread-4k-qd32,randwrite-4k-qd32
ROUNDS=3; RUNTIME=12; RAMP=2; WARMUP=8; PORTS=3281,3282; OUT=
FIO_ISCSI=${FIO:-/opt/rbdgw-tools/bin/fio-iscsi}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ceph-conf) CONF=$2; shift 2 ;;
    --id) ID=$2; shift 2 ;;
    --pool) POOL=$2; shift 2 ;;
    --size) SIZE_MIB=$2; shift 2 ;;
    --jar-a) JAR_A=$2; shift 2 ;;
    --jar-b) JAR_B=$2; shift 2 ;;
    --args-a) ARGS_A=$2; shift 2 ;;
    --args-b) ARGS_B=$2; shift 2 ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --runtime) RUNTIME=$2; shift 2 ;;
    --ramp) RAMP=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --ports) PORTS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
[ -n "$CONF" ] || { echo "--ceph-conf (or RBDGW_CEPH_CONF) is required" >&2; exit 2; }
for j in "$JAR_A" "$JAR_B"; do [ -r "$j" ] || { echo "no gateway jar $j" >&2; exit 2; }; done
[ -x "$FIO_ISCSI" ] || { echo "no fio with libiscsi at $FIO_ISCSI (tools/build-fio-libiscsi.sh)" >&2; exit 2; }
PORT_A=${PORTS%,*}; PORT_B=${PORTS#*,}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$ROOT/bench/results/ab-$STAMP}
mkdir -p "$OUT"
PRELOAD=
[ -r /usr/lib/x86_64-linux-gnu/libtcmalloc.so.4 ] && PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4

rbdc() { rbd -c "$CONF" --id "$ID" "$@"; }
log() { echo "[gateway-ab $(date +%T)] $*" >&2; }
IMG_A=ab-a-$STAMP; IMG_B=ab-b-$STAMP
PID_A=; PID_B=
cleanup() {
  for p in $PID_A $PID_B; do
    kill "$p" 2>/dev/null || continue
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  for i in "$IMG_A" "$IMG_B"; do rbdc rm --no-progress "$POOL/$i" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

for i in "$IMG_A" "$IMG_B"; do
  log "image $POOL/$i: create and fill"
  rbdc create --size "$SIZE_MIB" "$POOL/$i"
  rbdc bench --io-type write --io-pattern seq --io-size 4M --io-threads 16 --io-total "$((SIZE_MIB << 20))" \
    "$POOL/$i" > "$OUT/prefill-$i.log" 2>&1
done

# start NAME JAR IMAGE PORT ARGS: sets PID_NAME and URL_NAME
start() {
  local name=$1 jar=$2 image=$3 port=$4 args=$5
  # shellcheck disable=SC2086 # ARGS are words
  env ${PRELOAD:+LD_PRELOAD=$PRELOAD} java -jar "$jar" standalone --data-dir "$OUT/$name-data" --rbd "$POOL/$image" \
    --ceph-conf "$CONF" --ceph-id "$ID" --listen "127.0.0.1:$port" --admin-listen 127.0.0.1:0 --metrics-listen off \
    $args > "$OUT/$name.log" 2>&1 < /dev/null &
  local pid=$!
  eval "PID_$name=$pid"
  for _ in $(seq 600); do grep -q 'LUN URL:' "$OUT/$name.log" && break; kill -0 "$pid" || break; sleep 0.1; done
  local url
  url=$(awk '/LUN URL:/{print $3}' "$OUT/$name.log")
  [ -n "$url" ] || { echo "gateway $name did not come up:" >&2; cat "$OUT/$name.log" >&2; exit 1; }
  eval "URL_$name=\$url"
  log "gateway $name: $url (pid $pid) jar $jar options: ${args:-none}"
}
start A "$JAR_A" "$IMG_A" "$PORT_A" "$ARGS_A"
start B "$JAR_B" "$IMG_B" "$PORT_B" "$ARGS_B"
{
  echo "date: $(date -u +%FT%TZ)  conf: $CONF  client: $ID  images: $POOL/$IMG_A $POOL/$IMG_B ($SIZE_MIB MiB)"
  echo "A: $JAR_A ${ARGS_A:-(no options)}  $URL_A"
  echo "B: $JAR_B ${ARGS_B:-(no options)}  $URL_B"
  echo "gateway LD_PRELOAD=${PRELOAD:-none}"
} > "$OUT/meta.txt"
cat "$OUT/meta.txt" >&2

log "warm-up: ${WARMUP}s each of 4K random read/write at QD32, 1M write and read at QD8, on both"
for u in "$URL_A" "$URL_B"; do
  for w in "randrw 4k 32" "randwrite 4k 32" "write 1M 8" "read 1M 8"; do
    set -- $w
    "$FIO_ISCSI" --name=warm --ioengine=libiscsi --initiator=iqn.2026-11.io.rbdgw.bench:warm \
      --filename="${u//:/\\:}" --rw="$1" --bs="$2" --iodepth="$3" --size="$((SIZE_MIB << 20))" --time_based \
      --runtime="$WARMUP" --randrepeat=0 --norandommap > /dev/null 2>&1
  done
done

for r in $(seq "$ROUNDS"); do
  log "round $r of $ROUNDS"
  if [ $((r % 2)) = 1 ]; then
    T=(--target "A=$URL_A" --pid "A=$PID_A" --target "B=$URL_B" --pid "B=$PID_B")
  else
    T=(--target "B=$URL_B" --pid "B=$PID_B" --target "A=$URL_A" --pid "A=$PID_A")
  fi
  bash "$HERE/iscsi-bench.sh" "${T[@]}" --runtime "$RUNTIME" --ramp "$RAMP" --size "$((SIZE_MIB << 20))" \
    --workloads "$WORKLOADS" --out "$OUT/r$r" > "$OUT/r$r.log" 2>&1
  awk -F'\t' -v r="$r" 'NR == 1 && r == 1 { print "ab_round\t" $0 } NR > 1 { print "round " r "\t" $0 }' "$OUT/r$r/results.tsv"
done | tee "$OUT/all.tsv"
