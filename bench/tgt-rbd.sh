#!/usr/bin/env bash
# bench/tgt-rbd.sh start|stop|status
#
# The RBD reference target for bench/rbd-bench.sh: Debian's tgt (userspace iSCSI target) serving an
# existing RBD image through its rbd backing store (package tgt-rbd, librbd underneath: synchronous
# rbd_read/rbd_write on tgt's I/O threads), as LUN 1 (LUN 0 is tgt's controller LUN).
#
# start   installs tgt + tgt-rbd if missing (apt-get, needs root), starts tgtd in the foreground mode,
#         detached, listening on $PORTAL only, creates the target and the LUN, then prints:
#             url=iscsi://127.0.0.1:3262/iqn.2026-11.io.rbdgw.bench:tgt-rbd/1
#             pid=12345
# stop    removes the target, asks tgtd to exit, then SIGTERM to the PID this script recorded (only).
# status  prints url= and pid= if running (exit 1 otherwise).
#
# Env: IMAGE POOL/IMAGE to serve (required for start)
#      CEPH_CONF ceph.conf [$RBDGW_CEPH_CONF]   CEPH_ID client name without "client." [iscsi]
#      PORTAL [127.0.0.1:3262]  DIR (pid and log files) [${TMPDIR:-/tmp}/rbdgw-bench/tgt-rbd]
#      CPORT tgtd control port (management socket /var/run/tgtd/socket.$CPORT) [38]; away from tgt's
#      default 0 and from bench/tgt-null.sh's 37, so that other tgtds on the machine are left alone.
#      IQN [iqn.2026-11.io.rbdgw.bench:tgt-rbd]
set -euo pipefail
PORTAL=${PORTAL:-127.0.0.1:3262}
DIR=${DIR:-${TMPDIR:-/tmp}/rbdgw-bench/tgt-rbd}
CPORT=${CPORT:-38}
IQN=${IQN:-iqn.2026-11.io.rbdgw.bench:tgt-rbd}
CEPH_CONF=${CEPH_CONF:-${RBDGW_CEPH_CONF:-}}
CEPH_ID=${CEPH_ID:-iscsi}
TID=1
URL="iscsi://$PORTAL/$IQN/1"
PIDFILE=$DIR/tgtd.pid
adm() { tgtadm -C "$CPORT" --lld iscsi "$@"; }
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-}" in
start)
  [ -n "${IMAGE:-}" ] || { echo "set IMAGE=POOL/IMAGE" >&2; exit 2; }
  [ -r "$CEPH_CONF" ] || { echo "set CEPH_CONF (or RBDGW_CEPH_CONF) to a readable ceph.conf" >&2; exit 2; }
  mkdir -p "$DIR"
  if running; then echo "url=$URL"; echo "pid=$(cat "$PIDFILE")"; exit 0; fi
  if ! command -v tgtd >/dev/null || ! [ -e /usr/lib/tgt/backing-store/bs_rbd.so ]; then
    [ "$(id -u)" = 0 ] || { echo "tgt/tgt-rbd is not installed and this is not root" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y tgt tgt-rbd >&2
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
  if ! adm --op new --mode logicalunit --tid $TID --lun 1 --bstype rbd --backing-store "$IMAGE" \
      --bsopts "conf=$CEPH_CONF;id=$CEPH_ID"; then
    echo "tgt could not open rbd $IMAGE; see $DIR/tgtd.log" >&2; tail -20 "$DIR/tgtd.log" >&2
    "$0" stop >&2 || true
    exit 1
  fi
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
