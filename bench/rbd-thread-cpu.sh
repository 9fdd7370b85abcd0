#!/usr/bin/env bash
# bench/rbd-thread-cpu.sh JAR OUTDIR RW BS QD [java options...]
#
# Where the gateway's CPU goes per I/O on an RBD LUN, per thread: creates and fills a 512 MiB image,
# starts `standalone --rbd` from JAR (with the given java options, e.g. -Drbdgw.ceph.OPTION=VALUE),
# warms it up (10 s 4k randrw QD32), runs fio/libiscsi (RW BS QD) for 14 s and samples
# /proc/PID/task/*/{stat,status} over 10 s of it. Prints CPU µs, voluntary and involuntary context
# switches per I/O for each thread name (librbd: io_context_pool, msgr-worker-N; Netty:
# multiThreadIoEv...), the I/O threads together, and the whole process. PERF=1 also records
# `perf record -g` of the process into OUTDIR/perf.data.
# Env: RBDGW_CEPH_CONF (cluster conf), CEPH_ID [iscsi], POOL [rbd], PORT [3271], FIO [/opt/rbdgw-tools/bin/fio-iscsi].
set -euo pipefail
[ $# -ge 5 ] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
JAR=$1; OUT=$2; RW=$3; BS=$4; QD=$5; shift 5
CONF=${RBDGW_CEPH_CONF:?set RBDGW_CEPH_CONF}; ID=${CEPH_ID:-iscsi}; POOL=${POOL:-rbd}; PORT=${PORT:-3271}
FIO=${FIO:-/opt/rbdgw-tools/bin/fio-iscsi}
rm -rf "$OUT"; mkdir -p "$OUT"
IMG=threadcpu-$(date -u +%Y%m%dT%H%M%S)-$$
rbdc() { rbd -c "$CONF" --id "$ID" "$@"; }
rbdc create --size 512 "$POOL/$IMG"
GW=
cleanup() {
  set +e
  if [ -n "$GW" ]; then kill "$GW"; for _ in $(seq 100); do kill -0 "$GW" 2>/dev/null || break; sleep 0.1; done; fi
  rbdc rm --no-progress "$POOL/$IMG" >/dev/null 2>&1
}
trap cleanup EXIT
rbdc bench --io-type write --io-pattern seq --io-size 4M --io-threads 16 --io-total 512M "$POOL/$IMG" >/dev/null 2>&1
java "$@" -jar "$JAR" standalone --data-dir "$OUT/gw-data" --rbd "$POOL/$IMG" --ceph-conf "$CONF" --ceph-id "$ID" \
  --listen "127.0.0.1:$PORT" --admin-listen 127.0.0.1:0 > "$OUT/gw.log" 2>&1 < /dev/null &
GW=$!
for _ in $(seq 600); do grep -q 'LUN URL:' "$OUT/gw.log" && break; kill -0 "$GW" || break; sleep 0.1; done
URL=$(awk '/LUN URL:/{print $3}' "$OUT/gw.log")
[ -n "$URL" ] || { echo "the gateway did not come up:" >&2; cat "$OUT/gw.log" >&2; exit 1; }
fio_run() { "$FIO" --ioengine=libiscsi --filename="${URL//:/\\:}" --size=512M --time_based --randrepeat=0 --norandommap "$@"; }
fio_run --name=warmup --initiator=iqn.2026-11.io.rbdgw.bench:warmup --rw=randrw --bs=4k --iodepth=32 --runtime=10 > "$OUT/warmup.log" 2>&1
snap() { for t in /proc/$GW/task/*; do
  echo "$(cat "$t/comm") $(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "$t/stat") $(awk '/^voluntary_ctxt/{v=$2} /^nonvoluntary/{n=$2} END{print v, n}' "$t/status")"
done; }
fio_run --name=measure --initiator=iqn.2026-11.io.rbdgw.bench:measure --rw="$RW" --bs="$BS" --iodepth="$QD" --runtime=14 \
  --output-format=json --output="$OUT/fio.json" > "$OUT/fio.log" 2>&1 &
F=$!
sleep 2
snap > "$OUT/t0"; T0=$(date +%s.%N)
if [ -n "${PERF:-}" ]; then perf record -F 999 -g -p "$GW" -o "$OUT/perf.data" -- sleep 10 >/dev/null 2>&1; else sleep 10; fi
snap > "$OUT/t1"; T1=$(date +%s.%N)
wait "$F"
python3 - "$OUT" "$(getconf CLK_TCK)" "$T0" "$T1" <<'PY'
import collections, json, sys
out, clk, t0, t1 = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
job = json.load(open(out + '/fio.json'))['jobs'][0]
d = job['read'] if job['read']['iops'] > 0 else job['write']
ios = d['iops'] * (t1 - t0)
def load(p):
    r = collections.defaultdict(lambda: [0, 0, 0])
    for line in open(p):
        name, *v = line.rsplit(None, 3)
        for i in range(3): r[name][i] += int(v[i])
    return r
a, b = load(out + '/t0'), load(out + '/t1')
print(f"{d['iops']:.0f} IOPS ({job['jobname']}); per I/O: CPU us, voluntary / involuntary context switches")
tot, io = [0, 0, 0], [0, 0, 0]
for n in sorted(b):
    x = [b[n][i] - a.get(n, [0, 0, 0])[i] for i in range(3)]
    tot = [tot[i] + x[i] for i in range(3)]
    if n.startswith(('io_context', 'msgr-worker', 'multiThreadIo', 'librbd')):
        io = [io[i] + x[i] for i in range(3)]
    if x[0] or x[1] > 100:
        print(f"  {n:20s} {x[0] * 1e6 / clk / ios:7.1f} {x[1] / ios:6.2f} {x[2] / ios:6.2f}")
print(f"  {'I/O threads':20s} {io[0] * 1e6 / clk / ios:7.1f} {io[1] / ios:6.2f} {io[2] / ios:6.2f}")
print(f"  {'whole process':20s} {tot[0] * 1e6 / clk / ios:7.1f} {tot[1] / ios:6.2f} {tot[2] / ios:6.2f}")
PY
