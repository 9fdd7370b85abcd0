#!/usr/bin/env bash
# QD1 4 KiB random reads and writes on one RBD image, four ways per round, each alone:
#   bindings park   one plain Java thread on the gateway's librbd bindings (bench/java/BindingsQd1.java
#                   against the gateway jar: RbdCluster with the gateway's settings, RbdBlockDevice), sleeping
#                   (LockSupport.park) until librbd's completion callback wakes it
#   bindings spin   the same thread polling a volatile flag instead of sleeping
#   fio             fio's rbd engine (librbd in fio, "rbd cache = false"), sleeping until the completion
#   fio busy_poll   the same with --busy_poll=1
# Latency is from submission to completion on all four (fio's total latency, lat, not clat: fio's rbd engine
# returns from a submission only once librbd has queued the request, about 14 us per read and 20 us per write
# here, which clat leaves out; the Java thread's clock starts before it calls librbd).
# What the bindings add to librbd (park against fio), and what sleeping for each completion costs against
# polling on this host (docs/benchmarks.md, "Polling instead of sleeping"). No iSCSI: for the gateway through
# iSCSI see bench/rbd-bench.sh. Prints one line per run:
#   bindings-qd1 ROUND WORKLOAD PATH iops=N p50_us=P mean_us=M
#
# Options:
#   --ceph-conf FILE   cluster conf [$RBDGW_CEPH_CONF]       --id NAME   Ceph client [iscsi]
#   --pool POOL        [rbd]          --size MIB   image size in MiB [1024]
#   --runtime SEC      measured seconds per run (after 2 s) [8]        --rounds N  [2]
#   --jar PATH         gateway jar [gateway-node/target/gateway-node.jar]
# Needs: java 17 (javac), the built gateway jar, fio with the rbd engine (Debian's fio), the rbd CLI, python3.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONF=${RBDGW_CEPH_CONF:-}; ID=iscsi; POOL=rbd; SIZE=1024; RUNTIME=8; ROUNDS=2
JAR=$ROOT/gateway-node/target/gateway-node.jar
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --ceph-conf) CONF=$2; shift 2 ;;
    --id) ID=$2; shift 2 ;;
    --pool) POOL=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --runtime) RUNTIME=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --jar) JAR=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ -r "$CONF" ] || { echo "no ceph.conf: give --ceph-conf or set RBDGW_CEPH_CONF" >&2; exit 2; }
[ -r "$JAR" ] || { echo "no gateway jar at $JAR (./mvnw -pl gateway-node -am package -DskipTests)" >&2; exit 2; }
command -v fio >/dev/null && fio --enghelp 2>/dev/null | grep -qw rbd || { echo "no fio with the rbd engine" >&2; exit 2; }

WORK=$(mktemp -d)
IMG=bindings-qd1-$(date -u +%Y%m%dT%H%M%SZ)
rbdc() { rbd -c "$CONF" --id "$ID" "$@"; }
cleanup() { rbdc rm --no-progress "$POOL/$IMG" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

# fio's conf: the cluster's with librbd's cache off, as the gateway runs (its file name stays ceph.conf)
mkdir -p "$WORK/conf"
python3 "$HERE/nocache-conf.py" "$CONF" "$WORK/conf/ceph.conf"
javac -d "$WORK/classes" -cp "$JAR" "$HERE/java/BindingsQd1.java"
rbdc create --size "$SIZE" "$POOL/$IMG"
rbdc bench --io-type write --io-pattern seq --io-size 4M --io-threads 16 --io-total "$((SIZE << 20))" "$POOL/$IMG" >/dev/null
PRELOAD=$(ls /usr/lib/*/libtcmalloc.so.4 2>/dev/null | head -1 || true) # as bin/rbdgw-gateway runs the gateway

bindings() { # round rw wait
  env ${PRELOAD:+LD_PRELOAD=$PRELOAD} java -cp "$JAR:$WORK/classes" BindingsQd1 "$CONF" "$ID" "$POOL" "$IMG" "$2" \
    "$RUNTIME" "$3" 2>"$WORK/java.err" | sed "s/^bindings-qd1 /bindings-qd1 $1 /; s/ \(park\|spin\) / bindings-\1 /" \
    || { cat "$WORK/java.err" >&2; exit 1; }
}
fiorun() { # round rw busy_poll
  CEPH_CONF=$WORK/conf/ceph.conf fio --name=qd1 --ioengine=rbd --clientname="$ID" --pool="$POOL" --rbdname="$IMG" \
    --rw="rand$2" --bs=4k --iodepth=1 --time_based --runtime="$RUNTIME" --ramp_time=2 --busy_poll="$3" --lat_percentiles=1 \
    --output-format=json 2>/dev/null | python3 -c '
import json, sys
r, rw, poll = sys.argv[1:4]
d = json.load(sys.stdin)["jobs"][0]["write" if rw == "write" else "read"]
print("bindings-qd1 %s rand%s %s iops=%.0f p50_us=%.1f mean_us=%.1f" % (r, rw, "fio-busy_poll" if poll == "1" else "fio",
      d["iops"], d["lat_ns"]["percentile"]["50.000000"] / 1e3, d["lat_ns"]["mean"] / 1e3))' "$1" "$2" "$3"
}
for r in $(seq "$ROUNDS"); do
  for rw in read write; do
    bindings "$r" "$rw" park; bindings "$r" "$rw" spin; fiorun "$r" "$rw" 0; fiorun "$r" "$rw" 1
  done
done
