#!/usr/bin/env bash
# bench/scale.sh [--smoke] [--gateways N] [--targets N] [--luns-per-target N] [--clients N] [--host-groups N]
#                [--changes N] [--sessions N] [--disk-mib N] [--heap SIZE] [--zk-session-timeout S] [--writers N]
#                [--out DIR]
#                [--rbd-disks N [--ceph-conf FILE] [--ceph-id ID] [--pool POOL] [--image-prefix P]]
#
# A whole cluster at scale, set up and torn down by itself: a ZooKeeper (curator-test, in the bench JVM, on
# 127.0.0.1), N `run` gateways as processes (java -jar gateway-node.jar run, -Xmx<heap> -XX:+UseSerialGC, every
# portal and metrics endpoint on 127.0.0.1), and a configuration written straight into ZooKeeper in batches of
# 16 targets: targets with LUNs on memory disks (the single-OSD dev Ceph cluster cannot hold thousands of open
# images), clients with CHAP, host groups. Runs io.rbdgw.it.scale.ScaleBench and prints one line per figure:
#   scale setup ...              what was started (the figures stream to stderr as they come; the summary
#                                is printed on stdout at the end)
#   scale provision ...          configuration written, applied by every gateway, every disk owned
#   scale memory_luns ...        heap after GC of one gateway with 0 LUNs and with all of them, per LUN
#   scale zookeeper ...          znodes, data bytes and watches (mntr, wchs), the size of one gateway's status
#   scale metrics ...            one whole /metrics scrape of one gateway: time, series; series of the cluster
#   scale config_change ...      commit to every gateway reporting the epoch applied: median, max of --changes
#   scale memory_sessions ...    heap after GC per idle CHAP session held open on one gateway
#   scale failover ...           SIGKILL of the gateway owning the most LUNs until each is Active/Optimized on a
#                                survivor (its new owner reports it applied), and that minus the session timeout
#   scale host_io ...            --writers hosts writing to the victim's LUNs through a survivor's (non-optimized)
#                                path during the failover: writes, failed I/Os, unit attentions, longest stall
#   scale cold_start ...         the killed gateway restarted: from process start until it serves its portals and
#                                reports the ALUA state of every LUN
#
# Defaults: 8 gateways, 256 targets x 16 LUNs = 4096, 512 clients (2 per target, CHAP), 64 host groups,
# 20 changes, 1024 sessions, 64 MiB memory disks, -Xmx384m, ZooKeeper session timeout 15 s, 4 writers.
# --sessions 0 skips the session figure (a quicker run when only the failover and cold start matter).
# --smoke: 2 gateways, 4 targets x 16 LUNs = 64, 8 clients, 2 host groups, 5 changes, 8 sessions (about 1-2 minutes).
# --rbd-disks N: the cold start with RBD disks instead. Creates N thin 1 GiB images POOL/<P>0000.. (features
#   layering,deep-flatten as the admin API creates them; default pool rbd,
#   prefix scale-rbd-; removed on exit, also on failure), provisions N/16 targets x 16 LUNs on them (2 CHAP clients
#   per target), then stops the last gateway (SIGTERM; `scale stop ... stop_s=`, its disks closed) and starts it cold:
#   `scale cold_start luns=N disks=rbd ...`
#   (plus the provision and zookeeper lines). Use fewer gateways (--gateways 2): each opens every image.
#   --ceph-conf defaults to $RBDGW_CEPH_CONF, --ceph-id to iscsi.
# Everything it starts (the bench JVM, through it ZooKeeper and the gateways) is stopped on exit, also on Ctrl-C.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=; ARGS=()
RBD_DISKS=0; CEPH_CONF_FILE=${RBDGW_CEPH_CONF:-}; CEPH_ID=iscsi; POOL=rbd; IMAGE_PREFIX=scale-rbd-

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) ARGS+=(--gateways 2 --targets 4 --luns-per-target 16 --clients 8 --host-groups 2 --changes 5 --sessions 8); shift ;;
    --gateways|--targets|--luns-per-target|--clients|--host-groups|--changes|--sessions|--disk-mib|--heap|--zk-session-timeout|--writers)
      [ $# -ge 2 ] || usage; ARGS+=("$1" "$2"); shift 2 ;;
    --out) [ $# -ge 2 ] || usage; OUT=$2; shift 2 ;;
    --rbd-disks) [ $# -ge 2 ] || usage; RBD_DISKS=$2; shift 2 ;;
    --ceph-conf) [ $# -ge 2 ] || usage; CEPH_CONF_FILE=$2; shift 2 ;;
    --ceph-id) [ $# -ge 2 ] || usage; CEPH_ID=$2; shift 2 ;;
    --pool) [ $# -ge 2 ] || usage; POOL=$2; shift 2 ;;
    --image-prefix) [ $# -ge 2 ] || usage; IMAGE_PREFIX=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
case "$RBD_DISKS" in ''|*[!0-9]*) echo "--rbd-disks takes a number" >&2; usage ;; esac
if [ "$RBD_DISKS" -gt 0 ]; then
  [ -n "$CEPH_CONF_FILE" ] && [ -f "$CEPH_CONF_FILE" ] || { echo "--rbd-disks needs --ceph-conf FILE (or RBDGW_CEPH_CONF)" >&2; exit 2; }
  CEPH_CONF_FILE=$(cd "$(dirname "$CEPH_CONF_FILE")" && pwd)/$(basename "$CEPH_CONF_FILE")
  ARGS+=(--rbd-disks "$RBD_DISKS" --ceph-conf "$CEPH_CONF_FILE" --ceph-id "$CEPH_ID" --pool "$POOL" --image-prefix "$IMAGE_PREFIX")
fi
OUT=${OUT:-$HERE/results/scale-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

images() { for k in $(seq 0 $((RBD_DISKS - 1))); do printf '%s/%s%04d\n' "$POOL" "$IMAGE_PREFIX" "$k"; done; }
IMAGES_CREATED=0
remove_images() {
  [ "$IMAGES_CREATED" = 1 ] || return 0
  echo "removing the $RBD_DISKS images $POOL/${IMAGE_PREFIX}NNNN" >&2
  left_images() { rbd -c "$CEPH_CONF_FILE" --id "$CEPH_ID" ls -p "$POOL" 2>/dev/null | grep "^${IMAGE_PREFIX}[0-9]\{4\}\$" || true; }
  local left
  # a stopped gateway's watches can outlive it by up to 30 s (rbd rm refuses an image with watchers): retry
  for _ in $(seq 1 20); do
    left=$(left_images)
    [ -n "$left" ] || break
    printf '%s\n' $left | sed "s|^|$POOL/|" \
      | xargs -P 4 -I{} rbd -c "$CEPH_CONF_FILE" --id "$CEPH_ID" rm --no-progress {} >/dev/null 2>&1 || sleep 3
  done
  [ -z "$(left_images)" ] || echo "could not remove every image $POOL/${IMAGE_PREFIX}NNNN (watchers?): rbd ls -p $POOL" >&2
  IMAGES_CREATED=0
}

BENCH_PID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$BENCH_PID" ] && kill -0 "$BENCH_PID" 2>/dev/null; then
    # the gateways are the bench JVM's children: remember them in case the JVM does not stop them itself
    local children
    children=$(ps -o pid= --ppid "$BENCH_PID" 2>/dev/null || true)
    kill -TERM "$BENCH_PID" 2>/dev/null || true   # its shutdown hook stops the gateways and ZooKeeper
    for _ in $(seq 1 120); do kill -0 "$BENCH_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$BENCH_PID" 2>/dev/null || true
    for pid in $children; do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  remove_images
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building (gateway jar and test classes; log: $OUT/build.log)" >&2
(cd "$ROOT" && ./mvnw -B -ntp -q -o -pl gateway-node -am package -DskipTests -Dspotless.check.skip=true \
   dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/scale-classpath.txt) >"$OUT/build.log" 2>&1 \
  || { tail -40 "$OUT/build.log" >&2; echo "build failed (log: $OUT/build.log)" >&2; exit 1; }
GN=$ROOT/gateway-node/target
CP=$GN/test-classes:$GN/classes:$(cat "$GN/scale-classpath.txt")

if [ "$RBD_DISKS" -gt 0 ]; then
  echo "creating $RBD_DISKS thin 1 GiB images $POOL/${IMAGE_PREFIX}NNNN" >&2
  IMAGES_CREATED=1
  # with the features the admin API gives a disk it creates (docs/rbd.md): the bench writes the disks into the
  # configuration itself, and images with Ceph's defaults would make every gateway disable exclusive-lock on
  # first open, all at once, which is not what a provisioned cluster does
  images | xargs -P 4 -I{} rbd -c "$CEPH_CONF_FILE" --id "$CEPH_ID" create --image-feature layering,deep-flatten \
    --size 1G {} \
    || { echo "cannot create the images (the dev cluster's limits? see above)" >&2; exit 1; }
fi

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
echo "running (figures: $OUT/bench.log, progress and ZooKeeper: $OUT/bench.err)" >&2
"$JAVA" -Xmx1g -cp "$CP" -Dgateway.jar="$GN/gateway-node.jar" -Dzookeeper.admin.enableServer=false \
  io.rbdgw.it.scale.ScaleBench --dir "$OUT/work" "${ARGS[@]}" >"$OUT/bench.log" 2>"$OUT/bench.err" &
BENCH_PID=$!
# the figures as they come, on stderr (in the background, so that a Ctrl-C interrupts `wait` at once)
tail -n +1 -f "$OUT/bench.log" --pid="$BENCH_PID" 2>/dev/null | grep --line-buffered '^scale ' >&2 &
set +e
wait "$BENCH_PID"; rc=$?
set -e
BENCH_PID=
wait 2>/dev/null  # the progress pipeline ends with the benchmark
if [ "$rc" -ne 0 ] || ! grep -q '^scale cold_start ' "$OUT/bench.log"; then
  tail -30 "$OUT/bench.err" >&2
  echo "the benchmark failed (exit $rc); logs in $OUT" >&2
  exit 1
fi
echo "summary (gateway logs in $OUT/work):" >&2
grep '^scale ' "$OUT/bench.log"
