#!/usr/bin/env bash
# bench/tgt-null.sh start|stop|status
#
# The reference target for bench/iscsi-bench.sh: Debian's tgt (userspace iSCSI target) with one LUN
# on the "null" backing store (no data is stored: reads return zeros and writes are dropped; tgt
# fixes its size at 1 TiB). Measuring it beside rbdgw's memory device compares the targets' protocol
# and SCSI paths without storage.
#
# start   installs tgt if missing (apt-get, needs root), starts tgtd in the foreground mode, detached,
#         listening on $PORTAL only, creates the target and LUN 1 (LUN 0 is tgt's controller LUN),
#         then prints the LUN URL and tgtd's PID:
#             url=iscsi://127.0.0.1:3260/iqn.2026-11.io.rbdgw.bench:tgt-null/1
#             pid=12345
# stop    removes the target, asks tgtd to exit, then SIGTERM to the PID this script recorded (only).
# status  prints url= and pid= if running (exit 1 otherwise).
#
# Env: PORTAL [127.0.0.1:3260]  DIR (pid and log files) [${TMPDIR:-/tmp}/rbdgw-bench/tgt-null]
#      CPORT tgtd control port (its management socket /var/run/tgtd/socket.$CPORT) [37]; chosen away
#      from tgt's default 0 so that another tgtd on the machine is left alone.
#      IQN [iqn.2026-11.io.rbdgw.bench:tgt-null]
set -euo pipefail
PORTAL=${PORTAL:-127.0.0.1:3260}
DIR=${DIR:-${TMPDIR:-/tmp}/rbdgw-bench/tgt-null}
CPORT=${CPORT:-37}
IQN=${IQN:-iqn.2026-11.io.rbdgw.bench:tgt-null}
TID=1
URL="iscsi://$PORTAL/$IQN/1"
PIDFILE=$DIR/tgtd.pid
adm() { tgtadm -C "$CPORT" --lld iscsi "$@"; }
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-}" in
start)
  mkdir -p "$DIR"
  if running; then echo "url=$URL"; echo "pid=$(cat "$PIDFILE")"; exit 0; fi
  if ! command -v tgtd >/dev/null || ! command -v tgtadm >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "tgt is not installed and this is not root" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y tgt >&2
  fi
  port=${PORTAL##*:}
  if ss -ltn "sport = :$port" | grep -q LISTEN; then
    echo "port $port is already in use (set PORTAL=127.0.0.1:OTHER)" >&2; exit 1
  fi
  setsid nohup "$(command -v tgtd)" -f -C "$CPORT" --iscsi portal="$PORTAL" > "$DIR/tgtd.log" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 100); do adm --mode system --op show >/dev/null 2>&1 && break; sleep 0.1; done
  running || { echo "tgtd exited, see $DIR/tgtd.log" >&2; cat "$DIR/tgtd.log" >&2; exit 1; }
  adm --op new --mode target --tid $TID -T "$IQN"
  adm --op new --mode logicalunit --tid $TID --lun 1 --bstype null -b null-lun1
  adm --op bind --mode target --tid $TID -I ALL
  echo "url=$URL"
  echo "pid=$(cat "$PIDFILE")"
  ;;
stop)
  if ! [ -f "$PIDFILE" ]; then echo "not started by this script (no $PIDFILE)"; exit 0; fi
  pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null; then
    adm --op delete --mode target --tid $TID --force 2>/dev/null || true
    adm --op delete --mode system 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  if kill -0 "$pid" 2>/dev/null; then echo "tgtd $pid is still running" >&2; exit 1; fi
  rm -f "$PIDFILE"
  echo "tgtd $pid stopped"
  ;;
status)
  if running; then echo "url=$URL"; echo "pid=$(cat "$PIDFILE")"; else echo "not running"; exit 1; fi
  ;;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2
  ;;
esac
