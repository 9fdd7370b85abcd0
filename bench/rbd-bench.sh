#!/usr/bin/env bash
# bench/rbd-bench.sh [options]
#
# One RBD image on a Ceph cluster (e.g. scripts/ceph-dev-cluster.sh up DIR), the same fio workloads
# three ways, in one run:
#   direct    fio's rbd engine: librbd in the benchmark process, no iSCSI (the ceiling)
#   gateway   rbdgw standalone --rbd POOL/IMAGE, fio's libiscsi engine (bench/iscsi-bench.sh)
#   tgt-rbd   Debian's tgt with its rbd backing store (bench/tgt-rbd.sh), same fio/libiscsi
# Workloads (RW-BS-qdN): randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd1 randwrite-4k-qd32
#   read-64k-qd8 write-64k-qd8 read-1m-qd8 write-1m-qd8, time based.
# The image is created for the run, filled once (so that reads hit real objects), and removed at
# the end. librbd's cache is off on all three paths (the gateway always runs with rbd_cache=false;
# fio and tgt get a copy of the conf with "rbd cache = false"), so every I/O goes to the OSDs.
# Prints (also into OUT/rbd-bench.md) a Markdown table with IOPS, latency, CPU per I/O and the IOPS
# ratios gateway/direct and gateway/tgt-rbd, and a second one with the whole host's CPU per I/O on
# each path (/proc/stat: initiator, target and Ceph daemons together), the initiator's own CPU, and
# the gateway/direct ratio that the host's CPU allows a target costing what fio+librbd does.
# Last lines (also OUT/summary.txt): one per path and workload, medians over the rounds:
#   rbd-bench PATH WORKLOAD iops=N p50_us=X p99_us=Y p99.9_us=Z cpu_us_per_io=C
#             [iops_vs_direct=R p50_over_direct_us=D cpu_vs_librbd=R]      (the bracket for gateway and tgt-rbd)
# p50/p99/p99.9: fio's completion latency percentiles (clat_ns in its JSON report; at QD1 the latency of one
# request); cpu_us_per_io: the whole serving process's CPU (utime+stime from /proc) per I/O of the measured
# window: the gateway JVM with its librbd, tgtd with its librbd, and for direct the fio process, whose rbd
# engine runs the same librbd work in one process (--thread); cpu_vs_librbd: the target's CPU per I/O over
# fio+librbd's (issue #17 bar 3: the floor a target built on librbd cannot go below); p50_over_direct_us:
# the target's median latency minus librbd's own (issue #17 bar 2).
#
# Options:
#   --ceph-conf FILE   cluster conf [$RBDGW_CEPH_CONF]       --id NAME   Ceph client [iscsi]
#   --pool POOL        [rbd]          --size SIZE   image size, with K/M/G suffix [1G]
#   --runtime SEC      measured seconds per job [15]         --ramp SEC  fio ramp_time [2]
#   --workloads LIST   comma-separated subset/extension of the list above
#   --gw-port PORT     gateway portal port [3263]            --tgt-port PORT  tgt portal port [3262]
#   --jar PATH         gateway jar [gateway-node/target/gateway-node.jar]
#   --gw-args "ARGS"   more options for the RBD gateway's `standalone` command, e.g. "--poll-in-flight-us 500"
#                      (printed in the header; the memory-LUN gateway of --with-memory-hop does not get them)
#   --out DIR          output directory [bench/results/rbd-<UTC timestamp>]
#   --warmup SEC       4k random and 1M mixed, read-only and write-only I/O through the gateway, SEC each,
#                      before measuring (JIT) [10]
#   --rounds N         run everything N times (per workload the three paths back to back, order alternating), report
#                      the median of each number and the range of the per-round ratios [1]
#   --keep-image       leave the image behind
#   --image-prefix P   the image is named P-<UTC timestamp> [rbdbench] (on a shared cluster, a name of your own)
#   --gw-preload LIB   LD_PRELOAD for the gateway JVM; `none` for glibc's malloc [libtcmalloc.so.4 when
#                      installed, as bin/rbdgw-gateway preloads it: the bench measures what ships]
#   --direct-preload LIB  the same for fio+librbd (direct) [none]
#   --with-memory-hop  also measure, in the same rounds right after the gateway and tgt-rbd, two targets without
#                      storage: the same gateway jar on a memory LUN of --size ("memory", -Xmx = size + 1G) and
#                      tgt's null LUN ("tgt-null", bench/tgt-null.sh); adds their rbd-bench lines and one per
#                      workload that splits the gateway's latency over direct librbd (issue #17 bar 2):
#                        rbd-bench hop WORKLOAD direct_p50_us=D gateway_over_direct_us=G hop_us=H residual_us=G-H
#                                  tgt_rbd_over_direct_us=T tgt_null_us=N tgt_residual_us=T-N
#                      hop_us: the memory LUN's p50, an iSCSI round trip with no device (initiator, loopback
#                      TCP, wake-ups, the gateway's Java path); residual_us: what the RBD LUN adds beyond that and
#                      librbd's own latency (the hand-off between librbd's completion and the event loop, the
#                      submission into librbd, and the librbd/messenger work that runs in the gateway instead of in
#                      fio). hop_us is measured back to back, vCPUs busy; inside an RBD I/O the vCPUs idle during
#                      librbd's and the OSD's work and each wake-up costs more (docs/architecture.md, "What one
#                      I/O costs"), so the residual holds that difference too. A second line per workload,
#                        rbd-bench hop-total WORKLOAD direct_lat_p50_us=D gateway_over_direct_us=G hop_us=H ...
#                      does the same on fio's total latency (lat: submission included). fio's rbd engine
#                      returns from a submission only once librbd has queued it, which its clat leaves out
#                      (about 14 us per 4K read, 20 us per write here); through iSCSI the two differ by about
#                      a microsecond. --mem-port PORT [3264],
#                      --tgt-null-port PORT [3267]
#   --paced-direct     also run fio+librbd once more after each workload's three paths in each round, capped (fio
#                      --rate_iops) at the IOPS the gateway reached in that round ("paced"), and print per workload
#                        rbd-bench paced WORKLOAD gateway_iops=G paced_iops=P direct_cpu_us_per_io=D
#                                  paced_cpu_us_per_io=C gateway_cpu_vs_paced=R
#                      On this host the OSD shares the CPUs with the initiator and the target, so a target runs
#                      at fewer IOPS than fio+librbd alone, and every thread then wakes for fewer I/Os: the CPU per
#                      I/O of librbd's own threads rises. gateway_cpu_vs_paced compares the two at the same rate.
#   --tcp-floor        also run bench/tcp-floor.c with librbd behind it (the least a TCP target on librbd can do:
#                      C, epoll, 48-byte headers and nothing else of a protocol, writes in 256 KiB bursts with R2Ts
#                      as fio/libiscsi sends them, the gateway's librbd settings, data handed to librbd where it
#                      was received) on the same image, its initiator capped at the gateway's IOPS of that round,
#                      for workloads of 64K and more, and print per workload
#                        rbd-bench floor WORKLOAD gateway_iops=G floor_iops=F gateway_cpu_us_per_io=X
#                                  floor_cpu_us_per_io=C gateway_cpu_vs_floor=X/C [floor_cpu_vs_paced=C/P]
#                      (needs gcc; RW of the workload must be read, write, randread or randwrite), followed by
#                        gateway_initiator_cpu_us_per_io=I floor_initiator_cpu_us_per_io=J
#                      the CPU each initiator spent per I/O: on two CPUs a costlier initiator slows the target
#                      that shares them, so compare the targets where I and J are alike.
#   --floor-initiator-copy BYTES
#                      with --tcp-floor: its initiator also copies BYTES per I/O (TCP_FLOOR_INITIATOR_COPY), to
#                      load the host as fio/libiscsi does for the gateway (1572864 for 1 MiB writes here)
# Needs: java 17, the built gateway jar (mvn -o -q -DskipTests install), fio with the rbd engine
# (Debian's fio package), fio with libiscsi (tools/build-fio-libiscsi.sh), tgt + tgt-rbd (installed by
# bench/tgt-rbd.sh when root), the rbd CLI, python3.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CONF=${RBDGW_CEPH_CONF:-}; ID=iscsi; POOL=rbd; SIZE=1G; RUNTIME=15; RAMP=2; OUT=; KEEP=0; WARMUP=10; ROUNDS=1; PREFIX=rbdbench
GW_PRELOAD=; DIRECT_PRELOAD=; GW_ARGS=
FIO_ISCSI=${FIO:-/opt/rbdgw-tools/bin/fio-iscsi}
GW_PORT=3263; TGT_PORT=3262; JAR=$ROOT/gateway-node/target/gateway-node.jar
MEMHOP=0; MEM_PORT=3264; TGTNULL_PORT=3267; PACED=0; TCPFLOOR=0; FLOOR_COPY=
WORKLOADS=randread-4k-qd1,randread-4k-qd32,randwrite-4k-qd1,randwrite-4k-qd32,read-64k-qd8,write-64k-qd8,read-1m-qd8,write-1m-qd8

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ceph-conf) CONF=$2; shift 2 ;;
    --id) ID=$2; shift 2 ;;
    --pool) POOL=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --runtime) RUNTIME=$2; shift 2 ;;
    --ramp) RAMP=$2; shift 2 ;;
    --workloads) WORKLOADS=$2; shift 2 ;;
    --gw-port) GW_PORT=$2; shift 2 ;;
    --tgt-port) TGT_PORT=$2; shift 2 ;;
    --jar) JAR=$2; shift 2 ;;
    --gw-args) GW_ARGS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --keep-image) KEEP=1; shift ;;
    --image-prefix) PREFIX=$2; shift 2 ;;
    --gw-preload) GW_PRELOAD=$2; shift 2 ;;
    --direct-preload) DIRECT_PRELOAD=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --with-memory-hop) MEMHOP=1; shift ;;
    --paced-direct) PACED=1; shift ;;
    --tcp-floor) TCPFLOOR=1; shift ;;
    --floor-initiator-copy) FLOOR_COPY=$2; shift 2 ;;
    --mem-port) MEM_PORT=$2; shift 2 ;;
    --tgt-null-port) TGTNULL_PORT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
# the gateway as bin/rbdgw-gateway runs it: on tcmalloc when the library is installed
if [ -z "$GW_PRELOAD" ] && [ -r /usr/lib/x86_64-linux-gnu/libtcmalloc.so.4 ]; then
  GW_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4
fi
[ "$GW_PRELOAD" = none ] && GW_PRELOAD=
if [ -n "$FLOOR_COPY" ]; then
  [[ $FLOOR_COPY =~ ^[0-9]+$ ]] && [ "$FLOOR_COPY" -le 16777216 ] \
    || { echo "--floor-initiator-copy takes a byte count up to 16777216, not '$FLOOR_COPY'" >&2; exit 2; }
  [ "$TCPFLOOR" = 1 ] || { echo "--floor-initiator-copy needs --tcp-floor" >&2; exit 2; }
fi
[ -r "$CONF" ] || { echo "no ceph.conf: give --ceph-conf or set RBDGW_CEPH_CONF" >&2; exit 2; }
[ -r "$JAR" ] || { echo "no gateway jar at $JAR: mvn -o -q -DskipTests install" >&2; exit 2; }
command -v fio >/dev/null && fio --enghelp 2>/dev/null | grep -qw rbd \
  || { echo "no fio with the rbd engine on PATH (apt-get install fio)" >&2; exit 2; }
[ -x "$FIO_ISCSI" ] || { echo "no fio with libiscsi at $FIO_ISCSI (tools/build-fio-libiscsi.sh, or FIO=...)" >&2; exit 2; }
PORTS=("$GW_PORT" "$TGT_PORT")
[ "$MEMHOP" = 1 ] && PORTS+=("$MEM_PORT" "$TGTNULL_PORT")
for p in "${PORTS[@]}"; do
  if ss -ltn "sport = :$p" | grep -q LISTEN; then echo "port $p is in use (--gw-port/--tgt-port)" >&2; exit 2; fi
done
SIZE_BYTES=$(numfmt --from=iec "${SIZE%B}")
IFS=, read -r -a JOBS <<<"$WORKLOADS"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$HERE/results/rbd-$STAMP}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
IMG=$PREFIX-$STAMP
rbdc() { rbd -c "$CONF" --id "$ID" "$@"; }
log() { printf '[rbd-bench %s] %s\n' "$(date +%T)" "$*" >&2; }

if [ "$TCPFLOOR" = 1 ]; then
  gcc -O2 -Wall -o "$OUT/tcp-floor" "$HERE/tcp-floor.c" -ldl -lpthread 2>"$OUT/tcp-floor-build.log" \
    || { cat "$OUT/tcp-floor-build.log" >&2; echo "cannot build bench/tcp-floor.c (needs gcc)" >&2; exit 2; }
fi

# The conf for fio and tgt: the cluster's, with librbd's cache off in [client]. Its file name stays
# ceph.conf: Ceph takes $cluster (used in keyring paths) from the conf file's name.
mkdir -p "$OUT/nocache"
NOCACHE=$OUT/nocache/ceph.conf
python3 "$HERE/nocache-conf.py" "$CONF" "$NOCACHE"

GW_PID=
MEM_PID=
cleanup() {
  set +e
  if [ -n "$MEM_PID" ] && kill -0 "$MEM_PID" 2>/dev/null; then
    kill "$MEM_PID"; for _ in $(seq 100); do kill -0 "$MEM_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  if [ "$MEMHOP" = 1 ]; then DIR=$OUT/tgt-null CPORT=${TGTNULL_CPORT:-39} "$HERE/tgt-null.sh" stop >&2; fi
  if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
    kill "$GW_PID"; for _ in $(seq 100); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  DIR=$OUT/tgt CPORT=${TGT_CPORT:-38} "$HERE/tgt-rbd.sh" stop >&2
  if [ "$KEEP" = 0 ]; then rbdc rm --no-progress "$POOL/$IMG" >&2 || log "could not remove $POOL/$IMG"; fi
}
trap cleanup EXIT

log "image $POOL/$IMG ($SIZE_BYTES bytes): create and fill"
rbdc create --size "$((SIZE_BYTES >> 20))" "$POOL/$IMG"
rbdc bench --io-type write --io-pattern seq --io-size 4M --io-threads 16 --io-total "$SIZE_BYTES" \
  "$POOL/$IMG" > "$OUT/prefill.log" 2>&1

log "gateway on 127.0.0.1:$GW_PORT"
env ${GW_PRELOAD:+LD_PRELOAD=$GW_PRELOAD} java -jar "$JAR" standalone --data-dir "$OUT/gw-data" --rbd "$POOL/$IMG" --ceph-conf "$CONF" --ceph-id "$ID" \
  --listen "127.0.0.1:$GW_PORT" --admin-listen 127.0.0.1:0 $GW_ARGS > "$OUT/gateway.log" 2>&1 < /dev/null &
GW_PID=$!
for _ in $(seq 600); do grep -q 'LUN URL:' "$OUT/gateway.log" && break; kill -0 "$GW_PID" || break; sleep 0.1; done
GW_URL=$(awk '/LUN URL:/{print $3}' "$OUT/gateway.log")
[ -n "$GW_URL" ] || { echo "the gateway did not come up:" >&2; cat "$OUT/gateway.log" >&2; exit 1; }

log "tgt-rbd on 127.0.0.1:$TGT_PORT"
TGT=$(IMAGE="$POOL/$IMG" CEPH_CONF="$NOCACHE" CEPH_ID="$ID" PORTAL="127.0.0.1:$TGT_PORT" DIR="$OUT/tgt" \
  CPORT=${TGT_CPORT:-38} "$HERE/tgt-rbd.sh" start)
TGT_URL=$(sed -n 's/^url=//p' <<<"$TGT"); TGT_PID=$(sed -n 's/^pid=//p' <<<"$TGT")

if [ "$MEMHOP" = 1 ]; then
  # the iSCSI round trip without a device: the same jar on a memory LUN, and tgt's null LUN
  log "memory-LUN gateway on 127.0.0.1:$MEM_PORT, tgt-null on 127.0.0.1:$TGTNULL_PORT (--with-memory-hop)"
  java -Xmx$(((SIZE_BYTES >> 20) + 1024))m -jar "$JAR" standalone --data-dir "$OUT/mem-data" --memory \
    --lun-size "$SIZE_BYTES" --listen "127.0.0.1:$MEM_PORT" --admin-listen 127.0.0.1:0 \
    --target-iqn iqn.2026-11.io.rbdgw.bench:memory > "$OUT/memory-gateway.log" 2>&1 < /dev/null &
  MEM_PID=$!
  for _ in $(seq 600); do grep -q 'LUN URL:' "$OUT/memory-gateway.log" && break; kill -0 "$MEM_PID" || break; sleep 0.1; done
  MEM_URL=$(awk '/LUN URL:/{print $3}' "$OUT/memory-gateway.log")
  [ -n "$MEM_URL" ] || { echo "the memory-LUN gateway did not come up:" >&2; cat "$OUT/memory-gateway.log" >&2; exit 1; }
  # written once, so that reads do not find never-written (unallocated) chunks
  "$FIO_ISCSI" --name=fill --ioengine=libiscsi --initiator=iqn.2026-11.io.rbdgw.bench:fill \
    --filename="${MEM_URL//:/\\:}" --rw=write --bs=1M --iodepth=8 --size="$SIZE_BYTES" > "$OUT/memory-fill.log" 2>&1
  TNULL=$(PORTAL="127.0.0.1:$TGTNULL_PORT" DIR="$OUT/tgt-null" CPORT=${TGTNULL_CPORT:-39} "$HERE/tgt-null.sh" start)
  TNULL_URL=$(sed -n 's/^url=//p' <<<"$TNULL"); TNULL_PID=$(sed -n 's/^pid=//p' <<<"$TNULL")
fi

{
  echo "date: $(date -u +%FT%TZ)  image: $POOL/$IMG  size: $SIZE_BYTES  client: $ID  conf: $CONF"
  echo "direct: $(command -v fio) ($(fio --version)), ioengine=rbd, rbd cache = false, LD_PRELOAD=${DIRECT_PRELOAD:-none}"
  echo "gateway LD_PRELOAD=${GW_PRELOAD:-none}  options: ${GW_ARGS:-none}"
  echo "gateway: $GW_URL (pid $GW_PID)   tgt-rbd: $TGT_URL (pid $TGT_PID, $(dpkg-query -W -f='${Version}' tgt-rbd 2>/dev/null))"
  echo "ceph: $(ceph -v 2>/dev/null || rbd -v)"
  if [ "$MEMHOP" = 1 ]; then echo "memory: $MEM_URL (pid $MEM_PID)   tgt-null: $TNULL_URL (pid $TNULL_PID)"; fi
} > "$OUT/meta.txt"
cat "$OUT/meta.txt" >&2

# ---- gateway warm-up: the JIT compiles the I/O path before anything is measured
# (both the small-block and the large-transfer paths: the Data-Out/R2T and multi-PDU Data-In code
# is only compiled once large transfers have run)
if [ "$WARMUP" -gt 0 ]; then
  log "gateway warm-up: ${WARMUP}s each of 4k random read/write, read, write at QD32 and 1M read/write, read, write at QD8"
  WARM_URLS=("$GW_URL")
  [ "$MEMHOP" = 1 ] && WARM_URLS+=("$MEM_URL")
  for u in "${WARM_URLS[@]}"; do
  # each pure pattern too: C2 recompiled ~190 methods within 5 s when a mixed warm-up gave way to writes only,
  # and its thread then cost 1.3-9.6 µs per measured 4K write (2026-12-05)
  for w in "randrw 4k 32" "randread 4k 32" "randwrite 4k 32" "rw 1M 8" "read 1M 8" "write 1M 8"; do
    set -- $w
    "$FIO_ISCSI" --name=warmup --ioengine=libiscsi --initiator=iqn.2026-11.io.rbdgw.bench:warmup \
      --filename="${u//:/\\:}" --rw="$1" --bs="$2" --iodepth="$3" --size="$SIZE_BYTES" --time_based \
      --runtime="$WARMUP" --randrepeat=0 --norandommap >> "$OUT/warmup.log" 2>&1 \
      || { echo "warm-up failed, see $OUT/warmup.log" >&2; exit 1; }
  done
  done
fi

# ---- direct: fio + librbd, no iSCSI. CPU per I/O here is the benchmark process (fio + librbd).
CLK=$(getconf CLK_TCK)
. "$HERE/cpu-ticks.sh"  # proc_ticks PID, host_busy_ticks
# One workload direct (fio + librbd) into $R/direct.tsv; with a second argument N, capped at N IOPS into
# $R/paced.tsv (--paced-direct).
run_direct() {
    local w=$1 rate=${2:-} rw bs qd rc=0 src=direct
    [ -n "$rate" ] && src=paced
    IFS=- read -r rw bs qd <<<"$w"; qd=${qd#qd}
    sleep 1
    # --thread: the job and librbd's threads live in the one fio process whose CPU we sample
    CEPH_CONF=$NOCACHE env ${DIRECT_PRELOAD:+LD_PRELOAD=$DIRECT_PRELOAD} fio --thread --name="$src-$w" --ioengine=rbd --clientname="$ID" --pool="$POOL" \
      --rbdname="$IMG" --rw="$rw" --bs="$bs" --iodepth="$qd" --size="$SIZE_BYTES" --time_based \
      --runtime="$RUNTIME" --ramp_time="$RAMP" --randrepeat=0 --norandommap --lat_percentiles=1 --output-format=json \
      ${rate:+--rate_iops=$rate} --output="$R/$src/$w.json" > "$R/$src/$w.log" 2>&1 &
    fio_pid=$!
    # fio's own usr/sys_cpu count only the job thread; sample the process from /proc instead: once
    # after the ramp, then every 0.2 s until it exits (the last sample ends the window)
    # (and the host's busy ticks from /proc/stat over the same window)
    sleep "$RAMP"; t0=$(date +%s.%N); c0=$(proc_ticks "$fio_pid" || echo -); h0=$(host_busy_ticks); t1=$t0; c1=$c0; h1=$h0
    while kill -0 "$fio_pid" 2>/dev/null; do
      c=$(proc_ticks "$fio_pid" || true); [ -n "$c" ] && { c1=$c; h1=$(host_busy_ticks); t1=$(date +%s.%N); }
      sleep 0.2
    done
    wait "$fio_pid" || rc=$?
    python3 - "$R/$src/$w.json" "$w" "$rc" "$CLK" "$c0" "$c1" "$h0" "$h1" "$t0" "$t1" >> "$R/$src.tsv" <<'PY'
import json, sys
path, w, rc, clk, c0, c1, h0, h1, t0, t1 = sys.argv[1:]
try:
    job = json.load(open(path))['jobs'][0]
except Exception:
    print('\t'.join([w] + ['-'] * 7 + [f'fio rc={rc}, see log', '-', '-', '-'])); sys.exit(0)
d = job['write'] if 'write' in w else job['read']
ios = d['total_ios']
pct_ns = d.get('clat_ns', {}).get('percentile', {})
p99 = pct_ns.get('99.000000')
def us(key):  # a completion-latency percentile in microseconds
    v = pct_ns.get(key)
    return f'{v / 1000:.1f}' if v else '-'
lat_p50 = d.get('lat_ns', {}).get('percentile', {}).get('50.000000')  # submission included
cpu = (float(c1) - float(c0)) / int(clk) if '-' not in (c0, c1) else None  # seconds of CPU
host = (float(h1) - float(h0)) / int(clk)
wall = float(t1) - float(t0)
print('\t'.join([w, f"{d['iops']:.0f}", f"{d['bw_bytes'] / 1e6:.1f}", f"{d['lat_ns']['mean'] / 1000:.1f}",
                 f'{p99 / 1000:.1f}' if p99 else '-', f'{cpu * 1e6 / ios:.1f}' if ios and cpu is not None else '-',
                 f'{host / wall * 100:.0f}' if wall > 0 else '-', f'{host * 1e6 / ios:.1f}' if ios else '-',
                 str(job.get('error', 0)) if rc == '0' else f"{job.get('error', 0)} (fio rc={rc})",
                 us('50.000000'), us('99.900000'), f'{lat_p50 / 1000:.1f}' if lat_p50 else '-']))
PY
    tail -1 "$R/$src.tsv" | awk -F'\t' -v src="$src" '{printf "%-10s %-18s %8s IOPS %8s MB/s  lat %8s us  p50/p99/p99.9 %s/%s/%s us  client cpu/IO %6s us\n", src, $1, $2, $3, $4, $10, $5, $11, $6}' >&2
}

# --tcp-floor: one workload on the C target with librbd, its initiator capped at RATE IOPS, into $R/floor.txt
run_floor() {
    local w=$1 rate=$2 rw bs qd line size
    IFS=- read -r rw bs qd <<<"$w"
    case $rw in read|write|randread|randwrite) ;; *) log "tcp-floor: no mode for $w"; return ;; esac
    size=$(numfmt --from=iec "${bs^^}")
    # below 64K its target reads one request per system call, where a target reads many: no floor there
    [ "$size" -ge 65536 ] || { log "tcp-floor: $w is below 64K, skipped"; return; }
    sleep 1
    # 262144: fio/libiscsi's Data-Out segment size, FirstBurstLength and MaxBurstLength: writes with R2Ts
    local r2t=()
    case $rw in *write) r2t=(262144 262144) ;; esac
    line=$(TCP_FLOOR_INITIATOR_COPY=${FLOOR_COPY:-0} "$OUT/tcp-floor" "$rw" "$size" "${qd#qd}" 262144 "$RAMP" "$RUNTIME" 0 "$rate" "$CONF:$ID:$POOL/$IMG" \
      "${r2t[@]}" 2>>"$R/floor.log") || { log "tcp-floor $w failed: see $R/floor.log"; return; }
    echo "$w $line" >> "$R/floor.txt"
    log "floor      $w $(sed 's/.*msgs_per_s=\([0-9]*\).*target_cpu_us=\([0-9.]*\).*/\1 IOPS  target cpu\/IO \2 us/' <<<"$line")"
}

# One workload through iSCSI, gateway and tgt-rbd back to back in the order given (target CPU from
# /proc), into $R/iscsi/W.
run_iscsi() {
    local w=$1; shift
    local args=()
    for n in "$@"; do
      case $n in
        gateway) args+=(--target "gateway=$GW_URL" --pid "gateway=$GW_PID") ;;
        tgt-rbd) args+=(--target "tgt-rbd=$TGT_URL" --pid "tgt-rbd=$TGT_PID") ;;
      esac
    done
    # --with-memory-hop: the two targets without storage right after them, in the same order each time
    [ "$MEMHOP" = 1 ] && args+=(--target "memory=$MEM_URL" --pid "memory=$MEM_PID" \
      --target "tgt-null=$TNULL_URL" --pid "tgt-null=$TNULL_PID")
    bash "$HERE/iscsi-bench.sh" "${args[@]}" --runtime "$RUNTIME" --ramp "$RAMP" \
      --size "$SIZE_BYTES" --workloads "$w" --out "$R/iscsi/$w" > /dev/null
}

# Each round runs every workload on all three paths back to back, in an order that alternates from
# workload to workload and from round to round (direct, gateway, tgt-rbd / tgt-rbd, gateway, direct),
# so that the host's load drifting over minutes hits the three alike; rounds spread each workload
# over time, so that a slow minute of the shared host does not decide a ratio.
for round in $(seq "$ROUNDS"); do
  R=$OUT/round$round
  mkdir -p "$R/direct" "$R/iscsi"
  [ "$ROUNDS" -gt 1 ] && log "round $round of $ROUNDS"
  for src in direct paced; do
    printf 'workload\tiops\tMBps\tlat_avg_us\tclat_p99_us\tclient_cpu_us_per_io\thost_cpu_pct\thost_cpu_us_per_io\terrors\tclat_p50_us\tclat_p999_us\tlat_p50_us\n' > "$R/$src.tsv"
  done
  [ "$PACED" = 1 ] && mkdir -p "$R/paced"
  i=0
  for w in "${JOBS[@]}"; do
    if [ $(((i + round) % 2)) = 1 ]; then run_direct "$w"; run_iscsi "$w" gateway tgt-rbd
    else run_iscsi "$w" tgt-rbd gateway; run_direct "$w"; fi
    if [ "$PACED" = 1 ]; then
      gw_iops=$(awk -F'\t' '$2 == "gateway" { print $4 }' "$R/iscsi/$w/results.tsv")
      case "$gw_iops" in ''|*[!0-9]*) log "no gateway IOPS for $w in round $round: no paced run" ;; *) run_direct "$w" "$gw_iops" ;; esac
    fi
    if [ "$TCPFLOOR" = 1 ]; then
      gw_iops=$(awk -F'\t' '$2 == "gateway" { print $4 }' "$R/iscsi/$w/results.tsv")
      case "$gw_iops" in ''|*[!0-9]*) log "no gateway IOPS for $w in round $round: no floor run" ;; *) run_floor "$w" "$gw_iops" ;; esac
    fi
    i=$((i + 1))
  done
  # one results.tsv per round, as the summary below reads it
  first=1
  for w in "${JOBS[@]}"; do
    if [ $first = 1 ]; then cat "$R/iscsi/$w/results.tsv"; first=0; else tail -n +2 "$R/iscsi/$w/results.tsv"; fi
  done > "$R/iscsi/results.tsv"
done

kill -0 "$GW_PID" 2>/dev/null || { echo "the gateway died during the run:" >&2; tail -50 "$OUT/gateway.log" >&2; exit 1; }

python3 - "$OUT" "$ROUNDS" "$WORKLOADS" > "$OUT/rbd-bench.md" <<'PY'
import os, statistics, sys
out, rounds, workloads = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(',')
def rows(path):
    r = [l.rstrip('\n').split('\t') for l in open(path)]
    return [dict(zip(r[0], x)) for x in r[1:]]
def num(v):
    try: return float(v)
    except (TypeError, ValueError): return None
per = []  # one dict per round: (source, workload) -> row
for i in range(1, rounds + 1):
    d = {('direct', r['workload']): r for r in rows(f'{out}/round{i}/direct.tsv')}
    d.update({(r['target'], r['workload']): r for r in rows(f'{out}/round{i}/iscsi/results.tsv')})
    per.append(d)
def med(src, w, key):
    v = [num(p.get((src, w), {}).get(key)) for p in per]
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None
def fmt(v, nd=1):
    return '-' if v is None else (f'{v:.0f}' if nd == 0 else f'{v:.{nd}f}')
def ratio(a, b):
    return f'{a / b:.2f}' if a is not None and b else '-'
def spread(w, other):
    r = [num(p.get(('gateway', w), {}).get('iops')) / num(p.get((other, w), {}).get('iops'))
         for p in per if num(p.get(('gateway', w), {}).get('iops')) and num(p.get((other, w), {}).get('iops'))]
    return f'{min(r):.2f}-{max(r):.2f}' if len(r) > 1 else '-'
cols = ['workload', 'direct IOPS', 'gateway IOPS', 'tgt-rbd IOPS', 'gateway/direct', 'gateway/tgt-rbd',
        'direct lat (us)', 'gateway lat (us)', 'tgt-rbd lat (us)', 'gateway p99 (us)', 'tgt-rbd p99 (us)',
        'gateway CPU (us/IO)', 'tgt-rbd CPU (us/IO)', 'fio+librbd CPU (us/IO)', 'gateway/fio+librbd CPU', 'errors']
if rounds > 1:
    cols[6:6] = ['gateway/direct per round', 'gateway/tgt-rbd per round']
print('| ' + ' | '.join(cols) + ' |')
print('|' + '---|' * len(cols))
for w in workloads:
    d, g, t = (med(s, w, 'iops') for s in ('direct', 'gateway', 'tgt-rbd'))
    errs = sorted({f'{s}: {p[(s, w)].get("errors")}' for p in per for s in ('direct', 'gateway', 'tgt-rbd')
                   if (s, w) in p and p[(s, w)].get('errors') not in (None, '0')})
    cells = [w, fmt(d, 0), fmt(g, 0), fmt(t, 0), ratio(g, d), ratio(g, t)]
    if rounds > 1:
        cells += [spread(w, 'direct'), spread(w, 'tgt-rbd')]
    cells += [fmt(med('direct', w, 'lat_avg_us')), fmt(med('gateway', w, 'lat_avg_us')),
              fmt(med('tgt-rbd', w, 'lat_avg_us')), fmt(med('gateway', w, 'clat_p99_us')),
              fmt(med('tgt-rbd', w, 'clat_p99_us')), fmt(med('gateway', w, 'target_cpu_us_per_io')),
              fmt(med('tgt-rbd', w, 'target_cpu_us_per_io')), fmt(med('direct', w, 'client_cpu_us_per_io')),
              ratio(med('gateway', w, 'target_cpu_us_per_io'), med('direct', w, 'client_cpu_us_per_io')),
              '; '.join(errs) or '0']
    print('| ' + ' | '.join(cells) + ' |')
print()
if rounds > 1:
    print(f'Medians of {rounds} rounds; the ratios are of the medians, the per-round columns give their range.')
print('IOPS ratios > 1: the gateway is faster. CPU per I/O: whole target process (gateway: JVM + librbd;')
print('tgt-rbd: tgtd + librbd); direct: the fio process (fio + librbd). Initiator for gateway and tgt-rbd: fio/libiscsi.')
# The whole host (initiator, target, Ceph daemons) over the same windows: where one CPU budget is shared,
# the IOPS ratio a saturated host allows is the inverse ratio of host CPU per I/O.
print()
hcols = ['workload', 'direct host CPU (%)', 'gateway host CPU (%)', 'tgt-rbd host CPU (%)', 'direct host CPU (us/IO)',
         'gateway host CPU (us/IO)', 'tgt-rbd host CPU (us/IO)', 'direct/gateway host CPU per IO',
         'initiator CPU (us/IO, gateway runs)', 'gateway/direct ceiling']
print('| ' + ' | '.join(hcols) + ' |')
print('|' + '---|' * len(hcols))
def initiator(w):  # fio/libiscsi's own CPU (fio's usr+sys, % of a core) per gateway I/O
    v = [num(p.get(('gateway', w), {}).get('fio_cpu_pct')) for p in per]
    v = [c * 1e4 / i for c, i in zip(v, (num(p.get(('gateway', w), {}).get('iops')) for p in per)) if c is not None and i]
    return statistics.median(v) if v else None
busy = 75 * os.cpu_count()  # % of all CPUs above which a run counts as CPU-bound
def ceiling(w):
    # Per round: direct's host CPU per I/O over what the gateway run's would be had the gateway process
    # cost only what fio+librbd did, i.e. the best ratio any target could reach with this initiator on
    # this host. Only where both runs kept the host busy (CPU-bound); '-' for latency-bound runs.
    v = []
    for p in per:
        d, g = p.get(('direct', w), {}), p.get(('gateway', w), {})
        hd, hg, pd, pg = (num(x) for x in (d.get('host_cpu_us_per_io'), g.get('host_cpu_us_per_io'),
                                           d.get('host_cpu_pct'), g.get('host_cpu_pct')))
        cd, cg = num(d.get('client_cpu_us_per_io')), num(g.get('target_cpu_us_per_io'))
        if None not in (hd, hg, pd, pg, cd, cg) and pd >= busy and pg >= busy and hg - (cg - cd) > 0:
            v.append(hd / (hg - (cg - cd)))
    return f'{statistics.median(v):.2f}' if v else '-'
for w in workloads:
    hd, hg, ht = (med(s, w, 'host_cpu_us_per_io') for s in ('direct', 'gateway', 'tgt-rbd'))
    print('| ' + ' | '.join([w] + [fmt(med(s, w, 'host_cpu_pct'), 0) for s in ('direct', 'gateway', 'tgt-rbd')]
                            + [fmt(hd), fmt(hg), fmt(ht), ratio(hd, hg), fmt(initiator(w)), ceiling(w)]) + ' |')
print()
print('Host CPU: busy time of all CPUs from /proc/stat (100% = one core) during the measured window, per I/O')
print('of the job; it includes the initiator and the Ceph daemons on this host. Initiator CPU: fio\'s own usr+sys')
print('(fio/libiscsi runs in the job thread) per I/O; the loopback TCP work done in softirq is in neither process.')
print('Ceiling: direct host CPU per I/O / (gateway host CPU per I/O - (gateway CPU - fio+librbd CPU) per I/O), an')
print('estimate of the ratio a target that cost no more CPU than fio+librbd would reach on this host, with the')
print('initiator and the loopback transfers still sharing its CPUs; median over the rounds in which both runs kept')
print(f'the host at >= {busy}% (CPU-bound). The Ceph daemons\' CPU per I/O varies between runs, writes most.')
PY
echo >&2
cat "$OUT/rbd-bench.md"

# One summary line per path and workload (medians over the rounds), also in OUT/summary.txt
echo
python3 - "$OUT" "$ROUNDS" "$WORKLOADS" "$MEMHOP" <<'PY' | tee "$OUT/summary.txt"
import statistics, sys
out, rounds, workloads, memhop = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(','), sys.argv[4] == '1'
def rows(path):
    r = [l.rstrip('\n').split('\t') for l in open(path)]
    return [dict(zip(r[0], x)) for x in r[1:]]
per = []
for i in range(1, rounds + 1):
    d = {('direct', r['workload']): r for r in rows(f'{out}/round{i}/direct.tsv')}
    d.update({('paced', r['workload']): r for r in rows(f'{out}/round{i}/paced.tsv')})
    d.update({(r['target'], r['workload']): r for r in rows(f'{out}/round{i}/iscsi/results.tsv')})
    try:  # --tcp-floor: "WORKLOAD tcp-floor MODE storage=rbd ... msgs_per_s=N target_cpu_us=C ..."
        for line in open(f'{out}/round{i}/floor.txt'):
            kv = dict(x.split('=', 1) for x in line.split() if '=' in x)
            d[('floor', line.split()[0])] = {'iops': kv.get('msgs_per_s'), 'cpu': kv.get('target_cpu_us'),
                                             'initiator': kv.get('initiator_cpu_us')}
    except FileNotFoundError:
        pass
    per.append(d)
def med(src, w, key):
    v = []
    for p in per:
        try: v.append(float(p.get((src, w), {}).get(key)))
        except (TypeError, ValueError): pass
    return statistics.median(v) if v else None
def f(v, nd=1):
    return '-' if v is None else f'{v:.{nd}f}'
def initiator(w):  # fio/libiscsi's own CPU (fio's usr+sys, % of a core) per gateway I/O, median over the rounds
    v = []
    for p in per:
        r = p.get(('gateway', w), {})
        try: v.append(float(r.get('fio_cpu_pct')) * 1e4 / float(r.get('iops')))
        except (TypeError, ValueError, ZeroDivisionError): pass
    return statistics.median(v) if v else None
for w in workloads:
    dcpu, dp50 = med('direct', w, 'client_cpu_us_per_io'), med('direct', w, 'clat_p50_us')
    diops = med('direct', w, 'iops')
    for src in ('direct', 'gateway', 'tgt-rbd'):
        cpu = dcpu if src == 'direct' else med(src, w, 'target_cpu_us_per_io')
        iops, p50 = med(src, w, 'iops'), med(src, w, 'clat_p50_us')
        line = (f'rbd-bench {src} {w} iops={f(iops, 0)} p50_us={f(p50)} p99_us={f(med(src, w, "clat_p99_us"))} '
                f'p99.9_us={f(med(src, w, "clat_p999_us"))} cpu_us_per_io={f(cpu)}')
        if src != 'direct':
            line += (f' iops_vs_direct={f(iops / diops, 2) if iops and diops else "-"}'
                     f' p50_over_direct_us={f(p50 - dp50) if p50 is not None and dp50 is not None else "-"}'
                     f' cpu_vs_librbd={f(cpu / dcpu, 2) if cpu and dcpu else "-"}')
        print(line)
# --with-memory-hop: the targets without storage, and the gateway's and tgt-rbd's latency over direct
# librbd split into the iSCSI round trip (their no-storage twin's p50) and the residual
def sub(a, b):
    return None if a is None or b is None else a - b
# --paced-direct: fio+librbd at the gateway's rate of the same round against the gateway
for w in workloads:
    pc = med('paced', w, 'client_cpu_us_per_io')
    if pc is None:
        continue
    g = med('gateway', w, 'target_cpu_us_per_io')
    print(f'rbd-bench paced {w} gateway_iops={f(med("gateway", w, "iops"), 0)} paced_iops={f(med("paced", w, "iops"), 0)} '
          f'direct_cpu_us_per_io={f(med("direct", w, "client_cpu_us_per_io"))} paced_cpu_us_per_io={f(pc)} '
          f'gateway_cpu_vs_paced={f(g / pc, 2) if g else "-"}')
# --tcp-floor: the C target with librbd at the gateway's rate of the same round against the gateway
for w in workloads:
    fc = med('floor', w, 'cpu')
    if fc is None:
        continue
    g, pc = med('gateway', w, 'target_cpu_us_per_io'), med('paced', w, 'client_cpu_us_per_io')
    line = (f'rbd-bench floor {w} gateway_iops={f(med("gateway", w, "iops"), 0)} floor_iops={f(med("floor", w, "iops"), 0)} '
            f'gateway_cpu_us_per_io={f(g)} floor_cpu_us_per_io={f(fc)} gateway_cpu_vs_floor={f(g / fc, 2) if g else "-"}')
    if pc:
        line += f' floor_cpu_vs_paced={f(fc / pc, 2)}'
    line += (f' gateway_initiator_cpu_us_per_io={f(initiator(w))}'
             f' floor_initiator_cpu_us_per_io={f(med("floor", w, "initiator"))}')
    print(line)
for w in workloads if memhop else []:
    for src in ('memory', 'tgt-null'):
        print(f'rbd-bench {src} {w} iops={f(med(src, w, "iops"), 0)} p50_us={f(med(src, w, "clat_p50_us"))} '
              f'p99_us={f(med(src, w, "clat_p99_us"))} p99.9_us={f(med(src, w, "clat_p999_us"))} '
              f'cpu_us_per_io={f(med(src, w, "target_cpu_us_per_io"))}')
    d, g, t = (med(s, w, 'clat_p50_us') for s in ('direct', 'gateway', 'tgt-rbd'))
    hop, null = med('memory', w, 'clat_p50_us'), med('tgt-null', w, 'clat_p50_us')
    print(f'rbd-bench hop {w} direct_p50_us={f(d)} gateway_over_direct_us={f(sub(g, d))} hop_us={f(hop)} '
          f'residual_us={f(sub(sub(g, d), hop))} tgt_rbd_over_direct_us={f(sub(t, d))} tgt_null_us={f(null)} '
          f'tgt_residual_us={f(sub(sub(t, d), null))}')
    # the same on total latency (fio's lat: submission included). fio's rbd engine returns from a submission
    # only after librbd has queued it (about 14 us for a 4K read, 20 us for a write at QD1 here), which its
    # completion latency (clat) leaves out; libiscsi's submission only queues a PDU, so through iSCSI the two
    # differ by a microsecond or two.
    dl, gl, tl = (med(s, w, 'lat_p50_us') for s in ('direct', 'gateway', 'tgt-rbd'))
    hl = med('memory', w, 'lat_p50_us')
    print(f'rbd-bench hop-total {w} direct_lat_p50_us={f(dl)} gateway_over_direct_us={f(sub(gl, dl))} '
          f'hop_us={f(hl)} residual_us={f(sub(sub(gl, dl), hl))} tgt_rbd_over_direct_us={f(sub(tl, dl))}')
PY
echo "(written to $OUT)" >&2
