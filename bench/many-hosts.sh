#!/usr/bin/env bash
# bench/many-hosts.sh [--target rbdgw|tgt] [--hosts N] [--qd N] [--single-jobs N] [--single-qd N] [--runtime S]
#                     [--ramp S] [--rounds N] [--lun-size SIZE] [--heap SIZE] [--ports A,B] [--jar PATH]
#                     [--gateway-args 'ARGS'] [--syscalls] [--out DIR]
#
# Many hosts against two gateways (issue #17 bar 5), set up and torn down by itself, on 127.0.0.1 only:
#   gateways  two `standalone --memory` gateways (java -jar gateway-node.jar), each with one memory LUN
#             (memory, so that Ceph is not the bottleneck), on 127.0.0.1:A and 127.0.0.1:B. Two standalone
#             gateways rather than a `run` pair: the data path (portal, session, SCSI engine, memory disk) is
#             the same, and a pair would serve each LUN Active/Optimized through one gateway anyway, so the
#             many hosts would be split over two LUNs owned by different gateways just the same.
#             --gateway-args adds options to both gateways' command lines (e.g. '--io-threads 1').
#   --target tgt  the same phases against two tgtd instances instead (Debian's tgt, 1.0.85 here), each
#             with one LUN on the null backing store (reads return zeros, nothing is stored: the lightest
#             LUN tgt has, as in bench/tgt-null.sh), each on its own portal (the same --ports) and its own
#             control port, and so its own management socket and lock (/var/run/tgtd/socket.PORT[.lock]:
#             the control port is the portal's port number); started and stopped by PID by this script.
#             The same machine then shows what another target's many/single ratio and CPU per I/O are.
#   many      --hosts fio processes (fio with the libiscsi engine, /opt/rbdgw-tools/bin/fio-iscsi), each its
#             own initiator (iqn.2026-11.io.rbdgw.bench:host-NN, one session), alternately on gateway A and
#             B, each 4K random read at --qd, all at once for --runtime seconds after --ramp.
#   single    one initiator (one fio process, --thread, iqn.2026-11.io.rbdgw.bench:single) at the same total
#             queue depth: --single-jobs sessions (half on each gateway) at --single-qd each. A session's
#             command window is 128 commands (cmdsnDepth, MaxCmdSN - ExpCmdSN + 1): one session cannot hold
#             512 commands, so QD512 takes 8 sessions x QD64 (or 4 x 128), as a host's multipath would.
# Each round runs both, in alternating order; the gateways' CPU is utime+stime from /proc. Before the first
# round each LUN is filled once and each gateway warmed up (JIT).
# Prints per round, then the summary (medians over the rounds; also OUT/summary.txt):
#   many-hosts single target=T initiators=1 sessions=S qd=JxQ iops=N cpu_us_per_io=C initiator_cpu_us_per_io=I
#   many-hosts many target=T initiators=N qd=Q iops=N per_initiator_min/median/max=... within_2x_of_median=K/N
#              cpu_us_per_io=C initiator_cpu_us_per_io=I
# cpu_us_per_io: both targets' CPU per I/O; initiator_cpu_us_per_io: the fio processes' own (usr+sys of each
# job, libiscsi included): on one shared machine the initiators' cost decides much of the aggregate.
#   many-hosts ratio target=T many/single=R (per round ...) initiator_bound=B starved=K failed=F load=L1,L5,L15
# initiator_bound: the initiators' CPU per I/O single / many (medians), the ratio a target that cost no CPU at
# all would reach on a CPU-bound host: that part of the gap is the initiators', whatever the target.
# --syscalls: in each phase, from the end of the ramp + 6 s for --runtime - 8 s, `perf stat` counts (kernel
# tracepoints: no strace, which would slow the processes and change their batching) the system calls and
# context switches of the targets and, separately, of the initiators; per I/O of that window:
#   many-hosts syscalls target=T phase=P who=target|initiators all=N epoll=N recv=N send=N poll=N cs=N
# epoll: epoll_wait/epoll_pwait/epoll_pwait2 (an event loop's wake-ups), recv: recvfrom/read/recvmsg,
# send: writev/sendmsg/sendto/write, poll: poll/ppoll (libiscsi's fio engine waits there), cs: context switches.
# IOPS are counted over the seconds in which every initiator of the phase was running (fio's per-second IOPS
# logs with epoch timestamps, cut to the common window), so that 64 processes starting and ending a few
# seconds apart on a loaded host do not count a late one's time alone; the gateways' CPU is sampled every
# 0.5 s and cut to the same window. A host is starved when its IOPS is below half or above twice the median
# of its round; failed when it logged nothing (login refused, error). The machine's load average is printed
# at start and end.
#
# Defaults: 64 hosts at QD8; single 8 sessions x QD64; 20 s runtime, 5 s ramp, 3 rounds; 256M LUNs,
# -Xmx2g per gateway; ports 3271,3272; jar gateway-node/target/gateway-node.jar.
# Needs: java 17, the gateway jar, fio with libiscsi ($FIO or /opt/rbdgw-tools/bin/fio-iscsi), python3.
# Wrap it in `flock /work/bench.lock` on a shared machine.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
HOSTS=64; QD=8; SINGLE_JOBS=8; SINGLE_QD=64; RUNTIME=20; RAMP=5; ROUNDS=3; LUN_SIZE=256M; HEAP=2g
PORTS=3271,3272; JAR=$ROOT/gateway-node/target/gateway-node.jar; OUT=; TARGET=rbdgw; GW_ARGS=; SYSCALLS=
FIO=${FIO:-/opt/rbdgw-tools/bin/fio-iscsi}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || [ "$1" = -h ] || [ "$1" = --help ] || [ "$1" = --syscalls ] || usage
  case "$1" in
    --target) TARGET=$2; shift 2 ;;
    --gateway-args) GW_ARGS=$2; shift 2 ;;
    --syscalls) SYSCALLS=1; shift ;;
    --hosts) HOSTS=$2; shift 2 ;;
    --qd) QD=$2; shift 2 ;;
    --single-jobs) SINGLE_JOBS=$2; shift 2 ;;
    --single-qd) SINGLE_QD=$2; shift 2 ;;
    --runtime) RUNTIME=$2; shift 2 ;;
    --ramp) RAMP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --lun-size) LUN_SIZE=$2; shift 2 ;;
    --heap) HEAP=$2; shift 2 ;;
    --ports) PORTS=$2; shift 2 ;;
    --jar) JAR=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
case "$TARGET" in
  rbdgw) [ -r "$JAR" ] || { echo "no gateway jar at $JAR (./mvnw -o -q -pl gateway-node -am package -DskipTests, or --jar)" >&2; exit 2; } ;;
  tgt) command -v tgtd >/dev/null && command -v tgtadm >/dev/null || { echo "no tgtd/tgtadm (apt-get install tgt)" >&2; exit 2; } ;;
  *) echo "--target must be rbdgw or tgt" >&2; exit 2 ;;
esac
if [ -n "$SYSCALLS" ]; then
  command -v perf >/dev/null || { echo "--syscalls needs perf (apt-get install linux-perf)" >&2; exit 2; }
  [ "$RUNTIME" -ge 12 ] || { echo "--syscalls needs --runtime 12 or more" >&2; exit 2; }
fi
[ -x "$FIO" ] && "$FIO" --enghelp 2>/dev/null | grep -qw libiscsi \
  || { echo "no fio with libiscsi at $FIO (tools/build-fio-libiscsi.sh, or FIO=...)" >&2; exit 2; }
IFS=, read -r PORT_A PORT_B <<<"$PORTS"
for p in "$PORT_A" "$PORT_B"; do
  if ss -ltn "sport = :$p" | grep -q LISTEN; then echo "port $p is in use (--ports A,B)" >&2; exit 2; fi
done
[ $((SINGLE_JOBS % 2)) = 0 ] || { echo "--single-jobs must be even (half on each gateway)" >&2; exit 2; }
LUN_BYTES=$(numfmt --from=iec "${LUN_SIZE%B}")
OUT=${OUT:-$HERE/results/many-hosts-$TARGET-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
log() { printf '[many-hosts %s] %s\n' "$(date +%T)" "$*" >&2; }
. "$HERE/cpu-ticks.sh"  # proc_ticks PID, host_busy_ticks
CLK=$(getconf CLK_TCK)

GW_PIDS=(); FIO_PIDS=(); TGT_CPORTS=()
cleanup() {
  set +e
  for p in "${FIO_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for c in "${TGT_CPORTS[@]}"; do  # ask each tgtd this script started to exit; SIGTERM by PID below
    tgtadm -C "$c" --lld iscsi --op delete --mode target --tid 1 --force >/dev/null 2>&1
    tgtadm -C "$c" --lld iscsi --op delete --mode system >/dev/null 2>&1
  done
  for p in "${GW_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${FIO_PIDS[@]}" "${GW_PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_gateway NAME PORT: a memory-LUN standalone gateway; appends its PID and sets URL_<NAME>
start_gateway() {
  local dir=$OUT/gw-$1 url=
  mkdir -p "$dir"
  # shellcheck disable=SC2086  # GW_ARGS: several options on purpose
  java "-Xmx$HEAP" "-Xms$HEAP" -jar "$JAR" standalone --memory --lun-size "$LUN_SIZE" --data-dir "$dir/data" \
    --listen "127.0.0.1:$2" --admin-listen 127.0.0.1:0 --metrics-listen off \
    --target-iqn "iqn.2026-11.io.rbdgw.bench:many-${1,,}" $GW_ARGS > "$dir/gateway.log" 2>&1 < /dev/null &
  GW_PIDS+=($!)
  for _ in $(seq 600); do grep -q 'LUN URL:' "$dir/gateway.log" && break; kill -0 "${GW_PIDS[-1]}" || break; sleep 0.1; done
  url=$(sed -n 's/.*LUN URL: //p' "$dir/gateway.log")
  [ -n "$url" ] || { echo "gateway $1 did not come up:" >&2; tail -20 "$dir/gateway.log" >&2; exit 1; }
  printf -v "URL_$1" '%s' "$url"
}
# start_tgt NAME PORT: a tgtd with one null LUN on 127.0.0.1:PORT, control port PORT; appends its PID, sets URL_<NAME>
start_tgt() {
  local dir=$OUT/tgt-$1 iqn="iqn.2026-11.io.rbdgw.bench:many-tgt-${1,,}" c=$2 up=
  mkdir -p "$dir"
  setsid "$(command -v tgtd)" -f -C "$c" --iscsi portal="127.0.0.1:$2" > "$dir/tgtd.log" 2>&1 < /dev/null &
  GW_PIDS+=($!); TGT_CPORTS+=("$c")
  for _ in $(seq 100); do
    tgtadm -C "$c" --mode system --op show > /dev/null 2>&1 && { up=1; break; }
    kill -0 "${GW_PIDS[-1]}" 2>/dev/null || break; sleep 0.1
  done
  [ -n "$up" ] || { echo "tgtd $1 did not come up (control port $c):" >&2; tail -20 "$dir/tgtd.log" >&2; exit 1; }
  tgtadm -C "$c" --lld iscsi --op new --mode target --tid 1 -T "$iqn"
  tgtadm -C "$c" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 --bstype null -b "null-many-${1,,}"
  tgtadm -C "$c" --lld iscsi --op bind --mode target --tid 1 -I ALL
  printf -v "URL_$1" '%s' "iscsi://127.0.0.1:$2/$iqn/1"
}
esc() { printf '%s' "${1//:/\\:}"; }

log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$TARGET" = tgt ]; then start_tgt A "$PORT_A"; start_tgt B "$PORT_B"
else start_gateway A "$PORT_A"; start_gateway B "$PORT_B"; fi
log "$TARGET A $URL_A (pid ${GW_PIDS[0]}), $TARGET B $URL_B (pid ${GW_PIDS[1]})"
# fill (reads then hit stored chunks, not never-written ones) and warm up the read path (JIT)
for u in "$URL_A" "$URL_B"; do
  "$FIO" --name=fill --ioengine=libiscsi --filename="$(esc "$u")" --initiator=iqn.2026-11.io.rbdgw.bench:fill \
    --rw=write --bs=1m --iodepth=8 --size="$LUN_BYTES" > /dev/null
  "$FIO" --name=warmup --ioengine=libiscsi --filename="$(esc "$u")" --initiator=iqn.2026-11.io.rbdgw.bench:warmup \
    --rw=randread --bs=4k --iodepth=32 --size="$LUN_BYTES" --time_based --runtime=5 --randrepeat=0 --norandommap > /dev/null
done
{
  echo "date: $(date -u +%FT%TZ)  host: $(nproc) cpus, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
  if [ "$TARGET" = tgt ]; then echo "target: tgt $(dpkg-query -W -f='${Version}' tgt 2>/dev/null)  lun: null (I/O within $LUN_SIZE)  A: $URL_A  B: $URL_B"
  else echo "target: rbdgw  jar: $JAR  heap: $HEAP  args: ${GW_ARGS:-none}  lun: memory $LUN_SIZE  A: $URL_A  B: $URL_B"; fi
  echo "many: $HOSTS initiators x QD$QD  single: 1 initiator, $SINGLE_JOBS sessions x QD$SINGLE_QD"
  echo "runtime: ${RUNTIME}s  ramp: ${RAMP}s  rounds: $ROUNDS  fio: $FIO ($("$FIO" --version))"
} > "$OUT/meta.txt"
cat "$OUT/meta.txt" >&2

# (fio takes the engine's options, --initiator, only after --ioengine)
COMMON=(--ioengine=libiscsi --rw=randread --bs=4k --size="$LUN_BYTES" --time_based --runtime="$RUNTIME"
        --ramp_time="$RAMP" --randrepeat=0 --norandommap
        --log_avg_msec=1000 --log_unix_epoch=1)
gw_ticks() { echo $(( $(proc_ticks "${GW_PIDS[0]}") + $(proc_ticks "${GW_PIDS[1]}") )); }
PERF_EVENTS=raw_syscalls:sys_enter,context-switches
for e in epoll_wait epoll_pwait epoll_pwait2 recvfrom read recvmsg writev sendmsg sendto write poll ppoll; do
  PERF_EVENTS+=",syscalls:sys_enter_$e"
done
# perf_counts DIR: (--syscalls) from the end of the ramp + 6 s (64 processes take seconds to start and log
# in), perf stat of the targets and of the initiators for RUNTIME - 8 s into DIR/perf-{target,initiators}.csv,
# the window's epoch bounds into DIR/perf-window
perf_counts() {
  local t=$((RUNTIME - 8)) targets initiators
  sleep $((RAMP + 6))
  # fio runs each job of the many phase in a child process of the one started (the single phase's --thread
  # jobs are threads): count both
  targets=$(IFS=,; echo "${GW_PIDS[*]}")
  initiators=$( { printf '%s\n' "${FIO_PIDS[@]}"; ps -o pid= --ppid "$(IFS=,; echo "${FIO_PIDS[*]}")" || true; } | tr -d ' ' | paste -sd,)
  echo "$(date +%s.%N)" > "$1/perf-window"
  perf stat -x, -e "$PERF_EVENTS" -p "$targets" -o "$1/perf-target.csv" -- sleep "$t" 2>/dev/null &
  perf stat -x, -e "$PERF_EVENTS" -p "$initiators" -o "$1/perf-initiators.csv" -- sleep "$t" 2>/dev/null
  wait
  echo "$(date +%s.%N)" >> "$1/perf-window"
}
# measure DIR: waits for FIO_PIDS; meanwhile samples both gateways' CPU and the host's busy time every
# 0.5 s into DIR/cpu.log (epoch seconds, ticks, ticks), to be cut to the window all initiators ran in
measure() {
  local sampler counter=
  ( while :; do echo "$(date +%s.%N) $(gw_ticks) $(host_busy_ticks)"; sleep 0.5; done ) > "$1/cpu.log" 2>/dev/null &
  sampler=$!
  if [ -n "$SYSCALLS" ]; then perf_counts "$1" & counter=$!; fi
  for p in "${FIO_PIDS[@]}"; do wait "$p" || true; done
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  [ -z "$counter" ] || wait "$counter" || true
  FIO_PIDS=()
}
run_single() { # DIR
  local d=$1 args=() j
  mkdir -p "$d"
  for ((j = 0; j < SINGLE_JOBS; j++)); do
    if [ $((j % 2)) = 0 ]; then u=$URL_A; else u=$URL_B; fi
    args+=(--name="s$j-$((j % 2))" --filename="$(esc "$u")")
  done
  # (the options before the first --name are global; fio then notes "queue depth will be capped at 1" into
  # the JSON file, wrongly: the jobs run at --single-qd, as their latency and iodepth_level show)
  "$FIO" --thread "${COMMON[@]}" --initiator=iqn.2026-11.io.rbdgw.bench:single --iodepth="$SINGLE_QD" \
    --write_iops_log="$d/single" --output-format=json --output="$d/single.json" "${args[@]}" > "$d/single.log" 2>&1 &
  FIO_PIDS+=($!)
  measure "$d"
}
run_many() { # DIR
  local d=$1 i u
  mkdir -p "$d"
  for ((i = 0; i < HOSTS; i++)); do
    if [ $((i % 2)) = 0 ]; then u=$URL_A; else u=$URL_B; fi
    "$FIO" --name="host-$i-$((i % 2))" "${COMMON[@]}" --initiator="$(printf 'iqn.2026-11.io.rbdgw.bench:host-%02d' "$i")" \
      --filename="$(esc "$u")" --iodepth="$QD" --write_iops_log="$d/host-$i" --output-format=json \
      --output="$d/host-$i.json" > "$d/host-$i.log" 2>&1 &
    FIO_PIDS+=($!)
  done
  measure "$d"
}

for round in $(seq "$ROUNDS"); do
  R=$OUT/round$round
  if [ $((round % 2)) = 1 ]; then order="single many"; else order="many single"; fi
  for phase in $order; do
    log "round $round: $phase"
    "run_$phase" "$R/$phase"
  done
  for p in "${GW_PIDS[@]}"; do
    kill -0 "$p" 2>/dev/null || { echo "a target died, see $OUT/{gw,tgt}-*/*.log" >&2; exit 1; }
  done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average: $LOAD_END"
grep -iE 'refus|reject|too many|out of resources' "$OUT"/gw-*/gateway.log "$OUT"/tgt-*/tgtd.log 2>/dev/null | head -5 >&2 || true

python3 - "$OUT" "$ROUNDS" "$HOSTS" "$QD" "$SINGLE_JOBS" "$SINGLE_QD" "$CLK" "$LOAD_START" "$LOAD_END" "$TARGET" <<'PY' | tee "$OUT/summary.txt"
import glob, json, os, statistics, sys
out, rounds, hosts, qd, sjobs, sqd, clk = sys.argv[1], *map(int, sys.argv[2:8])
load_start, load_end, target = sys.argv[8], sys.argv[9], sys.argv[10]
def jobs(path):
    try:
        text = open(path).read()
        return json.loads(text[text.index('{'):])['jobs']  # skip fio's notes before the report
    except Exception:
        return None
def iops_log(path):  # fio's per-second IOPS log (log_avg_msec=1000, log_unix_epoch=1): [(epoch s, IOPS)]
    try:
        return [(int(l.split(',')[0]) / 1000, float(l.split(',')[1])) for l in open(path) if l.strip()]
    except (OSError, ValueError, IndexError):
        return []
def window(logs):  # the span in which every job was logging: its latest first entry to its earliest last one
    logs = [l for l in logs if l]
    return (max(l[0][0] for l in logs), min(l[-1][0] for l in logs)) if logs else (0, 0)
def rate(rows, w0, w1):  # one job's mean IOPS over the seconds that end inside (w0, w1]
    v = [x for t, x in rows if w0 < t <= w1]
    return sum(v) / len(v) if v else 0.0
def cpu(d, w0, w1, iops):  # both gateways' CPU per I/O and % of a core, the host's busy % (100 per core)
    rows = []
    for l in open(f'{d}/cpu.log'):
        p = l.split()
        if len(p) == 3:
            rows.append(tuple(map(float, p)))
    inside = [x for x in rows if w0 <= x[0] <= w1]
    if len(inside) < 2:
        return None, 0.0, 0.0
    (t0, c0, h0), (t1, c1, h1) = inside[0], inside[-1]
    cores = (c1 - c0) / clk / (t1 - t0)
    return (cores * 1e6 / iops if iops else None), cores * 100, (h1 - h0) / clk / (t1 - t0) * 100
def initiator(js):  # the initiators' own CPU (fio's usr+sys of each job, libiscsi included) per I/O of their runs
    pct = sum(j.get('usr_cpu', 0) + j.get('sys_cpu', 0) for j in js)
    iops = sum(j['read']['iops'] for j in js)
    return pct / 100 * 1e6 / iops if iops else None
res = []
for r in range(1, rounds + 1):
    d = f'{out}/round{r}'
    sj = jobs(f'{d}/single/single.json') or []
    s_logs = [iops_log(f'{d}/single/single_iops.{k}.log') for k in range(1, sjobs + 1)]
    s0, s1 = window(s_logs)
    s_iops = sum(rate(l, s0, s1) for l in s_logs)
    s_err = sum(1 for j in sj if j.get('error')) + sum(1 for l in s_logs if not l)
    s_cpu, s_pct, s_host = cpu(f'{d}/single', s0, s1, s_iops)
    s_init = initiator(sj)
    m_logs = [iops_log(f'{d}/many/host-{i}_iops.1.log') for i in range(hosts)]
    mj = [j[0] for j in (jobs(f'{d}/many/host-{i}.json') for i in range(hosts)) if j]
    m0, m1 = window(m_logs)
    per = [rate(l, m0, m1) for l in m_logs]
    failed = sum(1 for i in range(hosts) if not m_logs[i] or per[i] == 0)
    m_iops = sum(per)
    med = statistics.median(per)
    within = sum(1 for v in per if v > 0 and med / 2 <= v <= med * 2)
    m_cpu, m_pct, m_host = cpu(f'{d}/many', m0, m1, m_iops)
    m_init = initiator(mj)
    by_gw = [sum(per[i] for i in range(hosts) if i % 2 == g) for g in (0, 1)]
    res.append(dict(s=s_iops, s_err=s_err, s_cpu=s_cpu, s_pct=s_pct, m=m_iops, mn=min(per), md=med, mx=max(per),
                    within=within, failed=failed, m_cpu=m_cpu, m_pct=m_pct, ratio=m_iops / s_iops if s_iops else None,
                    gw=by_gw, s_init=s_init, m_init=m_init, sw=s1 - s0, mw=m1 - m0))
    print(f'round {r} ({target}): single {s_iops:.0f} IOPS over {s1 - s0:.0f} s (errors {s_err}, targets {s_pct:.0f}% CPU, '
          f'{s_cpu or 0:.1f} us/IO, initiator {s_init or 0:.1f} us/IO, host {s_host:.0f}% busy)  '
          f'many {m_iops:.0f} IOPS over the {m1 - m0:.0f} s all {hosts} ran (A {by_gw[0]:.0f} / B {by_gw[1]:.0f}; '
          f'per initiator min {min(per):.0f} median {med:.0f} max {max(per):.0f}; within 2x {within}/{hosts}; '
          f'failed {failed}; targets {m_pct:.0f}% CPU, {m_cpu or 0:.1f} us/IO, initiators {m_init or 0:.1f} us/IO, '
          f'host {m_host:.0f}% busy)  many/single {m_iops / s_iops if s_iops else 0:.2f}')
    if m1 - m0 < 5:
        print(f'round {r}: WARNING: the initiators overlapped for only {m1 - m0:.0f} s; use a longer --runtime')
M = lambda k: statistics.median([x[k] for x in res if x[k] is not None]) if any(x[k] is not None for x in res) else None
f = lambda v, nd=0: '-' if v is None else f'{v:.{nd}f}'
ratios = [x['ratio'] for x in res if x['ratio']]
print(f'many-hosts single target={target} initiators=1 sessions={sjobs} qd={sjobs}x{sqd} iops={f(M("s"))} '
      f'cpu_us_per_io={f(M("s_cpu"), 1)} initiator_cpu_us_per_io={f(M("s_init"), 1)} errors={sum(x["s_err"] for x in res)}')
print(f'many-hosts many target={target} initiators={hosts} qd={qd} iops={f(M("m"))} per_initiator_min/median/max='
      f'{f(M("mn"))}/{f(M("md"))}/{f(M("mx"))} within_2x_of_median={min(x["within"] for x in res)}/{hosts} '
      f'cpu_us_per_io={f(M("m_cpu"), 1)} initiator_cpu_us_per_io={f(M("m_init"), 1)}')
def perf(d, logs):  # (--syscalls) per I/O of the perf window: {who: {group: count}}
    try:
        w0, w1 = map(float, open(f'{d}/perf-window').read().split()[:2])
    except (OSError, ValueError):
        return None
    a0, a1 = window(logs)
    if w0 < a0 - 1 or w1 > a1 + 1:  # (each log entry covers the second before it)
        print(f'{d}: WARNING: the perf window {w1 - w0:.0f} s is {max(a0 - w0, 0):.0f} s before / '
              f'{max(w1 - a1, 0):.0f} s after the window all initiators ran in; its I/Os are extrapolated')
    ios = sum(rate(l, w0, w1) for l in logs) * (w1 - w0)
    groups = dict(epoll=('epoll_wait', 'epoll_pwait', 'epoll_pwait2'), recv=('recvfrom', 'read', 'recvmsg'),
                  send=('writev', 'sendmsg', 'sendto', 'write'), poll=('poll', 'ppoll'))
    res = {}
    for who in ('target', 'initiators'):
        c = {}
        for l in open(f'{d}/perf-{who}.csv'):
            p = l.strip().split(',')
            if len(p) > 2 and p[0].replace('.', '').isdigit():
                c[p[2].replace('syscalls:sys_enter_', '')] = float(p[0])
        g = {k: sum(c.get(n, 0) for n in names) for k, names in groups.items()}
        g['all'], g['cs'] = c.get('raw_syscalls:sys_enter', 0), c.get('context-switches', 0)
        res[who] = {k: v / ios for k, v in g.items()} if ios else None
    return res
for phase, lg in (('single', lambda d: [iops_log(f'{d}/single_iops.{k}.log') for k in range(1, sjobs + 1)]),
                  ('many', lambda d: [iops_log(f'{d}/host-{i}_iops.1.log') for i in range(hosts)])):
    per_round = [perf(f'{out}/round{r}/{phase}', lg(f'{out}/round{r}/{phase}')) for r in range(1, rounds + 1)]
    per_round = [x for x in per_round if x]
    for who in ('target', 'initiators'):
        rows = [x[who] for x in per_round if x.get(who)]
        if rows:
            med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
            print(f'many-hosts syscalls target={target} phase={phase} who={who} ' +
                  ' '.join(f'{k}={med[k]:.3f}' for k in ('all', 'epoll', 'recv', 'send', 'poll', 'cs')))
si, mi = M('s_init'), M('m_init')
print(f'many-hosts ratio target={target} many/single={f(statistics.median(ratios) if ratios else None, 2)} '
      f'(per round {", ".join(f"{v:.2f}" for v in ratios)}) '
      f'initiator_bound={f(si / mi if si and mi else None, 2)} starved={max(hosts - x["within"] for x in res)} '
      f'failed={max(x["failed"] for x in res)} rounds={rounds} load_start={load_start.replace(" ", ",")} '
      f'load_end={load_end.replace(" ", ",")}')
PY
echo "(written to $OUT)" >&2
