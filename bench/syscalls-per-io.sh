#!/usr/bin/env bash
# bench/syscalls-per-io.sh PID URL [RW] [N] [QD] [BS]
#
# What a running iSCSI target process spends per I/O, in two passes of exactly N I/Os each
# (fio with libiscsi, --number_ios, RW at queue depth QD against URL):
#  1. untraced: per thread (by name, from /proc/PID/task/*), the context switches (voluntary =
#     the thread went to sleep, i.e. one wake-up later; involuntary = preempted) and the CPU time in
#     user and kernel mode (utime/stime ticks), each per I/O;
#  2. under strace -f: per thread and syscall, the calls per I/O (and how many returned EAGAIN).
#     strace slows the target a lot: the counts are what matter, not the speed. epoll_wait/epoll_pwait
#     returns are the event loop's wake-ups; futex and write to an eventfd or pipe are hand-offs
#     between threads.
#
# Defaults: RW randread, N 20000, QD 1, BS 4k. Needs strace, python3 and fio-iscsi ($FIO).
set -euo pipefail
PID=$1; URL=$2; RW=${3:-randread}; N=${4:-20000}; QD=${5:-1}; BS=${6:-4k}
FIO=${FIO:-/opt/rbdgw-tools/bin/fio-iscsi}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/syscalls.XXXX")
run_fio() {
  "$FIO" --name=s --ioengine=libiscsi --filename="${URL//:/\\:}" --initiator=iqn.2026-11.io.rbdgw.bench:fio \
    --rw="$RW" --bs="$BS" --iodepth="$QD" --size=1g --number_ios="$N" --output-format=terse >/dev/null
}
# per thread: tid name voluntary involuntary utime stime
snapshot() {
  for t in /proc/"$PID"/task/*; do
    { read -r c < "$t/comm"
      v=$(awk '/^voluntary_ctxt/{print $2}' "$t/status"); i=$(awk '/^nonvoluntary_ctxt/{print $2}' "$t/status")
      u=$(awk '{ sub(/.*\) /, ""); print $12, $13 }' "$t/stat")
      echo "$(basename "$t") ${c// /_} $v $i $u"; } 2>/dev/null || true
  done
}
snapshot > "$OUT/before"; run_fio; snapshot > "$OUT/after"
python3 - "$OUT" "$N" "$(getconf CLK_TCK)" <<'EOF2'
import collections, re, sys
out, n, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(f):
    return {l.split()[0]: l.split()[1:] for l in open(f) if len(l.split()) == 6}
b, a = load(out + "/before"), load(out + "/after")
agg = collections.defaultdict(lambda: [0, 0, 0, 0])
for tid, row in a.items():
    name = re.sub(r"[-#]?\d+$", "", row[0])
    prev = b.get(tid, [row[0], 0, 0, 0, 0])
    for k in range(4):
        agg[name][k] += int(row[k + 1]) - int(prev[k + 1])
tot = [sum(v[k] for v in agg.values()) for k in range(4)]
us = 1e6 / hz / n
print(f"untraced, {n} I/Os: per I/O {tot[0] / n:.2f} voluntary + {tot[1] / n:.2f} involuntary context switches, "
      f"CPU {tot[2] * us:.1f} us user + {tot[3] * us:.1f} us kernel")
print(f"{'thread':28} {'vol/IO':>7} {'invol/IO':>8} {'user us':>8} {'kern us':>8}")
for name, v in sorted(agg.items(), key=lambda kv: -(kv[1][0] + kv[1][2] + kv[1][3])):
    if v[0] / n >= 0.01 or v[2] + v[3] > 0:
        print(f"{name:28} {v[0] / n:7.2f} {v[1] / n:8.2f} {v[2] * us:8.1f} {v[3] * us:8.1f}")
EOF2
# thread names now (threads started later show as "?")
for t in /proc/"$PID"/task/*; do echo "$(basename "$t") $(cat "$t/comm")"; done > "$OUT/threads"
strace -f -qq -p "$PID" -o "$OUT/trace" &
STRACE=$!
sleep 1
run_fio
sleep 0.5
kill -INT "$STRACE"; wait "$STRACE" 2>/dev/null || true
python3 - "$OUT" "$N" <<'EOF'
import collections, re, sys
out, n = sys.argv[1], int(sys.argv[2])
names = dict(l.split(None, 1) for l in open(out + "/threads").read().splitlines() if " " in l)
names = {k: re.sub(r"[-#]?\d+$", "", v.strip()) for k, v in names.items()}
per = collections.Counter()
eagain = collections.Counter()
for line in open(out + "/trace", errors="replace"):
    m = re.match(r"(\d+)\s+(?:<\.\.\. )?(\w+)", line)
    if not m or "resumed>" in line and "<..." not in line[:20]:
        continue
    if "unfinished" in line and line.rstrip().endswith("unfinished ...>"):
        pass  # counted once at the start; the "resumed" line is skipped below
    if line.split(None, 1)[1].startswith("<..."):
        continue
    tid, call = m.group(1), m.group(2)
    key = (names.get(tid, "?"), call)
    per[key] += 1
    if "EAGAIN" in line:
        eagain[key] += 1
total = sum(per.values())
print(f"{n} I/Os, {total} syscalls, {total / n:.2f} per I/O")
print(f"{'thread':28} {'syscall':18} {'per I/O':>8} {'EAGAIN/IO':>9}")
for (t, c), v in sorted(per.items(), key=lambda kv: -kv[1]):
    if v / n >= 0.01:
        print(f"{t:28} {c:18} {v / n:8.3f} {eagain[(t, c)] / n:9.3f}")
EOF
echo "trace: $OUT/trace"
