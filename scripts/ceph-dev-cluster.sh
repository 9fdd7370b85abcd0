#!/usr/bin/env bash
# ceph-dev-cluster.sh - rbdgw's throw-away, single-node, REAL Ceph cluster (Debian 12 "bookworm"
# packages, Ceph 16.2.x Pacific) bound to 127.0.0.1 only, for the RBD integration tests
# (scripts/test.sh starts it before maven) and for benchmarks. Based on the ceph-mini.sh recipe.
# Safety: binds to loopback only; `down` signals only pids from DIR/run/*.pid whose
# /proc/PID/cmdline is a ceph-* daemon started with -c DIR/ceph.conf; never wipes a directory it
# did not create.
#
#   ceph-dev-cluster.sh up     DIR   install packages if missing, (re)create + start the cluster
#                             in DIR, wait until rbd I/O works and HEALTH_OK,
#                             print the ceph.conf path on stdout (everything else -> stderr)
#   ceph-dev-cluster.sh down   DIR   stop only the daemons started from DIR (pid files + cmdline check)
#   ceph-dev-cluster.sh status DIR   show daemons (pid, RSS) and `ceph -s`; exit 0 only if all run
#   ceph-dev-cluster.sh purge  DIR   down + delete DIR (only if DIR was made by this script)
#
# What you get in DIR:
#   ceph.conf                          cluster conf (mon_host on 127.0.0.1, cephx on)
#   ceph.client.admin.keyring          client.admin (all caps)
#   ceph.client.$CLIENT.keyring        gateway user, caps: mon 'profile rbd'
#                                      osd 'profile rbd pool=$POOL' mgr 'profile rbd pool=$POOL'
#   env                                shell-sourceable CEPH_* variables
#   run/*.pid run/*.asok log/*.log     daemon pid files, admin sockets, logs
# The pool $POOL (default "rbd") exists and is `rbd pool init`-ed; pool size 1 / min_size 1.
# With memstore (default) all data lives in the OSD's RAM: `down` loses it, and a later
# `up` on the same DIR wipes DIR and builds a fresh cluster.
#
# Knobs (environment):
#   RBDGW_CEPH_STORE=memstore|bluestore  object store (bluestore = sparse file DIR/osd.N/block)
#   RBDGW_CEPH_OSDS=1                    number of OSDs (1..3)
#   RBDGW_CEPH_OSD_BYTES=4294967296      memstore device bytes / bluestore block file size
#   RBDGW_CEPH_MGR=1                     start a ceph-mgr (needed for HEALTH_OK and pg stats)
#   RBDGW_CEPH_ADDR=127.0.0.1            the address every daemon binds (another loopback address, or a
#                                       container's own address for the compose demo)
#   RBDGW_CEPH_MON_PORT=3300             mon msgr2 port; RBDGW_CEPH_MON_V1_PORT=6789 legacy port
#                                       (neither set and 3300/6789 taken by another cluster: the first
#                                       free pair 3302/3303, 3304/3305, ... is used and remembered)
#   RBDGW_CEPH_PORT_MIN=6800 RBDGW_CEPH_PORT_MAX=7300   range for osd/mgr ports
#   RBDGW_CEPH_POOL=rbd RBDGW_CEPH_PG=32 RBDGW_CEPH_POOL_SIZE=1
#   RBDGW_CEPH_CLIENT=iscsi              extra cephx client with rbd profile caps
#   RBDGW_CEPH_TIMEOUT=120               seconds to wait for readiness
#   RBDGW_CEPH_KEEP_ON_FAILURE=0         1 = leave daemons running when `up` fails (default: stop them)
#   RBDGW_CEPH_REQUIRE_HEALTH_OK=0       1 = fail `up` when not HEALTH_OK (rbd smoke test must pass anyway)
#   RBDGW_CEPH_PACKAGES="ceph-mon ceph-osd ceph-mgr ceph-common"   apt packages installed if missing
#   RBDGW_CEPH_FORCE_INSTALL=0           1 = run the apt-get update/install step even if binaries exist
#   RBDGW_CEPH_TCMALLOC=auto             auto|1|0: LD_PRELOAD libtcmalloc.so.4 into mon/mgr/osd (Debian's
#                                       Pacific daemons use glibc malloc; tcmalloc: 23-59% less OSD CPU/op)
#   RBDGW_CEPH_MEMSTORE_PAGE_SET=1       memstore page-set mode (1.7-2.7x less OSD CPU/op than bufferlist mode)
#   RBDGW_CEPH_EXTRA_CONF='key = value\nkey2 = value'   appended to ceph.conf as an extra [global]
set -euo pipefail

STORE=${RBDGW_CEPH_STORE:-memstore}
NOSD=${RBDGW_CEPH_OSDS:-1}
OSD_BYTES=${RBDGW_CEPH_OSD_BYTES:-4294967296}
WITH_MGR=${RBDGW_CEPH_MGR:-1}
ADDR=${RBDGW_CEPH_ADDR:-127.0.0.1}
MON_PORT=${RBDGW_CEPH_MON_PORT:-3300}
MON_V1_PORT=${RBDGW_CEPH_MON_V1_PORT:-6789}
AUTO_PORTS=$([ -z "${RBDGW_CEPH_MON_PORT:-}${RBDGW_CEPH_MON_V1_PORT:-}" ] && echo 1 || echo 0)
PORT_MIN=${RBDGW_CEPH_PORT_MIN:-6800}
PORT_MAX=${RBDGW_CEPH_PORT_MAX:-7300}
POOL=${RBDGW_CEPH_POOL:-rbd}
PG=${RBDGW_CEPH_PG:-32}
POOL_SIZE=${RBDGW_CEPH_POOL_SIZE:-1}
CLIENT=${RBDGW_CEPH_CLIENT:-iscsi}
TIMEOUT=${RBDGW_CEPH_TIMEOUT:-120}
REQUIRE_OK=${RBDGW_CEPH_REQUIRE_HEALTH_OK:-0}
PACKAGES=${RBDGW_CEPH_PACKAGES:-"ceph-mon ceph-osd ceph-mgr ceph-common"}
EXTRA_CONF=${RBDGW_CEPH_EXTRA_CONF:-}
# Debian's Pacific daemons are linked against glibc malloc (upstream builds use tcmalloc);
# RBDGW_CEPH_TCMALLOC=1 preloads libtcmalloc.so.4 (libgoogle-perftools4, a dependency of ceph-common)
# into the daemons: measured 23-59% less OSD CPU per op. auto = preload if the library exists.
TCMALLOC=${RBDGW_CEPH_TCMALLOC:-auto}
# memstore "page set" mode (64 KiB pages instead of one bufferlist per object): measured 1.7-2.7x less
# OSD CPU per op than the default bufferlist mode.
PAGE_SET=${RBDGW_CEPH_MEMSTORE_PAGE_SET:-1}
MARKER=.ceph-dev-cluster

log() { printf '[ceph-dev %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[ceph-dev] ERROR: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/p' "$0" | grep '^#' >&2; exit 2; }

# ---------------------------------------------------------------- helpers
ceph_() { timeout 60 ceph -c "$DIR/ceph.conf" --connect-timeout 15 "$@"; }
rbd_()  { timeout 120 rbd -c "$DIR/ceph.conf" "$@"; }

# the knobs a cluster was built with are saved in DIR/$MARKER and reused by status/down
config_string() { echo "STORE=$STORE NOSD=$NOSD WITH_MGR=$WITH_MGR MON_PORT=$MON_PORT MON_V1_PORT=$MON_V1_PORT POOL=$POOL CLIENT=$CLIENT OSD_BYTES=$OSD_BYTES POOL_SIZE=$POOL_SIZE PG=$PG TCMALLOC=$TCMALLOC PAGE_SET=$PAGE_SET EXTRA=$(printf %s "$EXTRA_CONF" | md5sum | cut -c1-8)$([ "$ADDR" = 127.0.0.1 ] || echo " ADDR=$ADDR")"; }
load_saved_config() { # sets NOSD/WITH_MGR/... from the marker of an existing cluster
  [ -s "$DIR/$MARKER" ] || return 0
  local kv
  for kv in $(cat "$DIR/$MARKER"); do
    case "${kv%%=*}" in
      STORE|NOSD|WITH_MGR|MON_PORT|MON_V1_PORT|POOL|CLIENT|OSD_BYTES|POOL_SIZE|PG|TCMALLOC|PAGE_SET|ADDR) printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
    esac
  done
}

daemons_expected() {
  echo mon.a
  [ "$WITH_MGR" = 1 ] && echo mgr.x
  local i; for ((i = 0; i < NOSD; i++)); do echo "osd.$i"; done
}

# pid of daemon $1 started from $DIR if it is alive, else nothing
daemon_pid() {
  local f="$DIR/run/$1.pid" pid cmd
  [ -s "$f" ] || return 1
  pid=$(cat "$f"); [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ "$cmd" == ceph-* || "$cmd" == */ceph-* ]] || return 1
  [[ "$cmd" == *"$DIR/ceph.conf"* ]] || return 1
  echo "$pid"
}

need_install() {
  local b
  for b in ceph-mon ceph-osd ceph rbd ceph-authtool monmaptool; do
    command -v "$b" >/dev/null 2>&1 || return 0
  done
  if [ "$WITH_MGR" = 1 ]; then command -v ceph-mgr >/dev/null 2>&1 || return 0; fi
  return 1
}

install_pkgs() {
  if [ "${RBDGW_CEPH_FORCE_INSTALL:-0}" != 1 ]; then need_install || return 0; fi
  [ "$(id -u)" = 0 ] || die "Ceph binaries missing and not root: apt-get install $PACKAGES"
  command -v apt-get >/dev/null || die "Ceph binaries missing and no apt-get"
  log "installing $PACKAGES (apt-get)"
  local t0=$SECONDS i
  export DEBIAN_FRONTEND=noninteractive
  for i in 1 2 3 4 5 6; do
    apt-get -qq -o DPkg::Lock::Timeout=300 update >&2 && break
    log "apt-get update failed (lock?), retry $i"; sleep 10
  done
  # shellcheck disable=SC2086
  apt-get -qq -y -o DPkg::Lock::Timeout=600 install --no-install-recommends $PACKAGES >&2 \
    || die "apt-get install $PACKAGES failed"
  need_install && die "packages installed but ceph binaries still missing"
  log "packages installed in $((SECONDS - t0))s ($(ceph --version))"
}

tcmalloc_lib() {
  local lib
  for lib in /usr/lib/x86_64-linux-gnu/libtcmalloc.so.4 /usr/lib/*/libtcmalloc.so.4; do
    [ -e "$lib" ] && { echo "$lib"; return 0; }
  done
  return 1
}

daemon_env() { # prefix for starting a daemon
  local lib
  case "$TCMALLOC" in
    1) lib=$(tcmalloc_lib) || die "RBDGW_CEPH_TCMALLOC=1 but libtcmalloc.so.4 not found (apt-get install libgoogle-perftools4)"
       echo "env LD_PRELOAD=$lib" ;;
    auto) if lib=$(tcmalloc_lib); then echo "env LD_PRELOAD=$lib"; else echo env; fi ;;
    *) echo env ;;
  esac
}

run_logged() { # run_logged WHAT CMD... : run CMD, on failure show its output and die
  local what=$1 out rc=0; shift
  out=$(mktemp)
  "$@" > "$out" 2>&1 || rc=$?
  if [ $rc != 0 ]; then
    grep -v '^[[:space:]]*$' "$out" | tail -n 25 | sed 's/^/    /' >&2; rm -f "$out"
    die "$what failed (exit $rc): $*  -- logs in $DIR/log"
  fi
  rm -f "$out"
}

port_busy() { (exec 3<>"/dev/tcp/$ADDR/$1") 2>/dev/null; }

wait_for() { # wait_for SECONDS DESCRIPTION CMD...
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.5
  done
  log "ok: $what"
}

osds_up() {
  local n
  n=$(ceph_ osd stat -f json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("num_up_osds",0), d.get("num_in_osds",0))')
  [ "$n" = "$NOSD $NOSD" ]
}

pgs_clean() { # needs a mgr
  ceph_ pg stat -f json | /usr/bin/python3 -c '
import json,sys
d=json.load(sys.stdin); d=d.get("pg_summary",d)
states=d.get("num_pg_by_state",[]); total=d.get("num_pgs",0)
clean=sum(s["num"] for s in states if s["name"]=="active+clean")
sys.exit(0 if total>0 and clean==total else 1)'
}

health_ok() { [ "$(ceph_ health 2>/dev/null)" = HEALTH_OK ]; }

smoke_test() { # rbd write + read-back as the gateway user
  local img="rbdgw-smoke-$$" tmp rc=0
  tmp=$(mktemp)
  head -c 1048576 /dev/urandom > "$tmp"
  rbd_ --id "$CLIENT" create "$POOL/$img" --size 4M >&2 &&
  rbd_ --id "$CLIENT" import --no-progress "$tmp" "$POOL/$img-imp" >&2 &&
  [ "$(rbd_ --id "$CLIENT" export --no-progress "$POOL/$img-imp" - | md5sum)" = "$(md5sum < "$tmp")" ] || rc=1
  rbd_ --id "$CLIENT" rm --no-progress "$POOL/$img" >&2 2>/dev/null || true
  rbd_ --id "$CLIENT" rm --no-progress "$POOL/$img-imp" >&2 2>/dev/null || true
  rm -f "$tmp"
  return $rc
}

write_conf() {
  local fsid=$1
  cat > "$DIR/ceph.conf" <<EOF
# generated by ceph-dev-cluster.sh - single node test cluster on $ADDR
[global]
fsid = $fsid
mon host = [v2:$ADDR:$MON_PORT,v1:$ADDR:$MON_V1_PORT]
mon initial members = a
public addr = $ADDR
cluster addr = $ADDR
ms bind ipv4 = true
ms bind ipv6 = false
ms bind port min = $PORT_MIN
ms bind port max = $PORT_MAX
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
run dir = $DIR/run
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 5
mgr initial modules = iostat
osd pool default size = $POOL_SIZE
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
# test-cluster tuning: mon commits map changes after 0.1s instead of 1s, daemons report
# stats to the mgr every 1s instead of 5s  -> "up" takes ~8s instead of ~15s
paxos propose interval = 0.1
mgr stats period = 1
mgr tick period = 1

[mon]
mon data = $DIR/\$name
mon cluster log file = $DIR/log/cluster.log
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log

[mgr]
mgr data = $DIR/\$name
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log

[osd]
osd data = $DIR/\$name
osd objectstore = $STORE
pid file = $DIR/run/\$name.pid
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
EOF
  if [ "$STORE" = memstore ]; then
    cat >> "$DIR/ceph.conf" <<EOF
memstore device bytes = $OSD_BYTES
memstore page set = $([ "$PAGE_SET" = 1 ] && echo true || echo false)
EOF
  else
    cat >> "$DIR/ceph.conf" <<EOF
bluestore block path = $DIR/\$name/block.img
bluestore block create = true
bluestore block size = $OSD_BYTES
osd memory target = 1073741824
EOF
  fi
  cat >> "$DIR/ceph.conf" <<EOF

[client]
keyring = $DIR/\$cluster.\$name.keyring
admin socket = $DIR/run/\$name.\$pid.\$cctid.asok
EOF
  if [ "$WITH_MGR" != 1 ]; then
    # without a mgr the mon raises MGR_DOWN ("no active mgr") 120 s after mkfs; push that out
    printf '\n# no ceph-mgr in this cluster\n[mon]\nmon mgr mkfs grace = 31536000\n' >> "$DIR/ceph.conf"
  fi
  if [ -n "$EXTRA_CONF" ]; then
    printf '\n# RBDGW_CEPH_EXTRA_CONF\n[global]\n%b\n' "$EXTRA_CONF" >> "$DIR/ceph.conf"
  fi
}

# ---------------------------------------------------------------- commands
cmd_down() {
  [ -d "$DIR" ] || { log "nothing to stop: $DIR does not exist"; return 0; }
  local f name pid total=0 phase pids names i end
  shopt -s nullglob
  # osds and mgr first (an osd tells the mon it is going down), then the mon
  for phase in other mon; do
    pids=(); names=()
    for f in "$DIR"/run/*.pid; do
      name=$(basename "$f" .pid)
      if [ $phase = mon ] && [[ $name != mon.* ]]; then continue; fi
      if [ $phase = other ] && [[ $name == mon.* ]]; then continue; fi
      if pid=$(daemon_pid "$name"); then
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid"); names+=("$name")
      fi
    done
    for i in "${!pids[@]}"; do
      end=$((SECONDS + 20))
      while kill -0 "${pids[$i]}" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
      if kill -0 "${pids[$i]}" 2>/dev/null; then
        log "${names[$i]} (pid ${pids[$i]}) ignored SIGTERM for 20s, sending SIGKILL"
        kill -KILL "${pids[$i]}" 2>/dev/null || true
      fi
    done
    total=$((total + ${#pids[@]}))
  done
  for f in "$DIR"/run/*.pid; do
    name=$(basename "$f" .pid)
    rm -f "$f" "$DIR/run/$name.asok"
  done
  log "down: $total daemon(s) stopped"
}

cmd_status() {
  [ -f "$DIR/ceph.conf" ] || { echo "no cluster in $DIR"; return 1; }
  local name pid all=0 rss
  for name in $(daemons_expected); do
    if pid=$(daemon_pid "$name"); then
      rss=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status")
      printf '%-8s running  pid %-7s rss %6d MiB\n' "$name" "$pid" $((rss / 1024))
    else
      printf '%-8s stopped\n' "$name"; all=1
    fi
  done
  echo "conf: $DIR/ceph.conf"
  if daemon_pid mon.a >/dev/null; then
    ceph_ -s || all=1
  fi
  return $all
}

cmd_up() {
  install_pkgs
  mkdir -p "$DIR"
  if [ "$AUTO_PORTS" = 1 ] && [ -s "$DIR/$MARKER" ]; then # ports picked by an earlier up
    MON_PORT=$(tr ' ' '\n' < "$DIR/$MARKER" | sed -n 's/^MON_PORT=//p')
    MON_V1_PORT=$(tr ' ' '\n' < "$DIR/$MARKER" | sed -n 's/^MON_V1_PORT=//p')
    [[ "$MON_PORT" =~ ^[0-9]+$ && "$MON_V1_PORT" =~ ^[0-9]+$ ]] || { MON_PORT=3300; MON_V1_PORT=6789; }
  fi
  # already running with the same knobs?
  local name running=0 missing=0 want; want=$(config_string)
  shopt -s nullglob
  for name in "$DIR"/run/*.pid; do
    daemon_pid "$(basename "$name" .pid)" >/dev/null && running=$((running + 1))
  done
  for name in $(daemons_expected); do
    daemon_pid "$name" >/dev/null || missing=$((missing + 1))
  done
  if [ -f "$DIR/$MARKER" ] && [ $missing = 0 ] && [ "$(cat "$DIR/$MARKER")" = "$want" ]; then
    log "cluster in $DIR already running"
    wait_for "$TIMEOUT" "osds up" osds_up || die "cluster running but OSDs not up; see $DIR/log"
    echo "$DIR/ceph.conf"; return 0
  fi
  if [ $running -gt 0 ]; then
    log "cluster in $DIR incomplete or built with other knobs ($running running, $missing missing): stopping it"
    cmd_down
  fi
  # fresh build; never wipe a directory we did not make
  if [ -n "$(ls -A "$DIR")" ] && [ ! -f "$DIR/$MARKER" ]; then
    die "$DIR is not empty and was not created by ceph-dev-cluster.sh; refusing to wipe it"
  fi
  [ "$NOSD" -ge 1 ] && [ "$NOSD" -le 3 ] || die "RBDGW_CEPH_OSDS must be 1..3"
  [ "$STORE" = memstore ] || [ "$STORE" = bluestore ] || die "RBDGW_CEPH_STORE must be memstore or bluestore"
  if [ "$TCMALLOC" = 1 ]; then
    tcmalloc_lib >/dev/null || die "RBDGW_CEPH_TCMALLOC=1 but libtcmalloc.so.4 not found (apt-get install libgoogle-perftools4)"
  fi
  local p i
  if [ "$AUTO_PORTS" = 1 ] && { port_busy "$MON_PORT" || port_busy "$MON_V1_PORT"; }; then
    for ((i = 1; i <= 40; i++)); do
      MON_PORT=$((3300 + 2 * i)); MON_V1_PORT=$((MON_PORT + 1))
      port_busy "$MON_PORT" || port_busy "$MON_V1_PORT" || break
    done
    log "default mon ports taken (another cluster?): using $MON_PORT/$MON_V1_PORT"
  fi
  for p in "$MON_PORT" "$MON_V1_PORT"; do
    port_busy "$p" && die "$ADDR:$p already in use (another cluster? set RBDGW_CEPH_MON_PORT / RBDGW_CEPH_MON_V1_PORT)"
  done
  local t0=$SECONDS
  # on any failure from here on, stop what was started (logs stay in DIR/log)
  if [ "${RBDGW_CEPH_KEEP_ON_FAILURE:-0}" != 1 ]; then
    trap 'rc=$?; if [ $rc != 0 ]; then log "up failed (exit $rc): stopping the daemons it started; logs: $DIR/log"; cmd_down; fi' EXIT
  fi
  find "$DIR" -mindepth 1 -delete
  config_string > "$DIR/$MARKER"
  mkdir -p "$DIR/run" "$DIR/log" "$DIR/mon.a"
  local fsid; fsid=$(uuidgen)
  write_conf "$fsid"

  # keys: mon. + client.admin (bootstrap keyring only used for mon --mkfs)
  local kr="$DIR/ceph.client.admin.keyring" boot="$DIR/bootstrap.keyring"
  ceph-authtool --create-keyring "$boot" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$kr" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$boot" --import-keyring "$kr" >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:$ADDR:$MON_PORT,v1:$ADDR:$MON_V1_PORT]" "$DIR/monmap" >/dev/null
  run_logged "ceph-mon --mkfs" ceph-mon -c "$DIR/ceph.conf" --mkfs -i a --monmap "$DIR/monmap" --keyring "$boot"
  rm -f "$boot"
  # shellcheck disable=SC2046
  run_logged "starting ceph-mon" $(daemon_env) ceph-mon -c "$DIR/ceph.conf" -i a
  wait_for 60 "mon quorum" ceph_ quorum_status || die "mon did not form quorum; see $DIR/log/mon.a.log"

  if [ "$WITH_MGR" = 1 ]; then
    mkdir -p "$DIR/mgr.x"
    ceph_ auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$DIR/mgr.x/keyring" >&2
    # shellcheck disable=SC2046
    run_logged "starting ceph-mgr" $(daemon_env) ceph-mgr -c "$DIR/ceph.conf" -i x
  fi

  local i uuid secret id
  for ((i = 0; i < NOSD; i++)); do
    uuid=$(uuidgen); secret=$(ceph-authtool --gen-print-key)
    id=$(echo "{\"cephx_secret\": \"$secret\"}" | ceph_ osd new "$uuid" -i -)
    [ "$id" = "$i" ] || die "ceph osd new returned id '$id', expected $i"
    mkdir -p "$DIR/osd.$i"
    ceph-authtool --create-keyring "$DIR/osd.$i/keyring" --name "osd.$i" --add-key "$secret" >/dev/null
    run_logged "ceph-osd --mkfs (osd.$i)" ceph-osd -c "$DIR/ceph.conf" -i "$i" --mkfs --osd-uuid "$uuid"
    # shellcheck disable=SC2046
    run_logged "starting ceph-osd (osd.$i)" $(daemon_env) ceph-osd -c "$DIR/ceph.conf" -i "$i"
    daemon_pid "osd.$i" >/dev/null || { sleep 1; daemon_pid "osd.$i" >/dev/null; } \
      || die "ceph-osd.$i failed to start; see $DIR/log/osd.$i.log"
  done
  wait_for "$TIMEOUT" "$NOSD osd(s) up" osds_up || die "OSDs not up after ${TIMEOUT}s; see $DIR/log/osd.*.log"

  ceph_ osd pool create "$POOL" "$PG" "$PG" >&2
  timeout "$TIMEOUT" rbd -c "$DIR/ceph.conf" pool init "$POOL" || die "rbd pool init $POOL failed/timed out"
  ceph_ auth get-or-create "client.$CLIENT" mon 'profile rbd' osd "profile rbd pool=$POOL" mgr "profile rbd pool=$POOL" \
    -o "$DIR/ceph.$CLIENT.keyring.tmp" >&2
  mv "$DIR/ceph.$CLIENT.keyring.tmp" "$DIR/ceph.client.$CLIENT.keyring"
  if [ "$WITH_MGR" = 1 ]; then
    wait_for "$TIMEOUT" "pgs active+clean" pgs_clean || die "PGs not active+clean after ${TIMEOUT}s: $(ceph_ pg stat 2>&1)"
  fi
  smoke_test || die "rbd smoke test (write/read as client.$CLIENT) failed"
  log "ok: rbd write/read-back as client.$CLIENT"
  if ! wait_for "$TIMEOUT" "HEALTH_OK" health_ok; then
    log "WARNING: not HEALTH_OK: $(ceph_ health detail 2>&1 | tr '\n' ' ')"
    [ "$REQUIRE_OK" = 1 ] && die "cluster not HEALTH_OK after ${TIMEOUT}s"
  fi

  cat > "$DIR/env" <<EOF
export CEPH_CONF=$DIR/ceph.conf
export RBDGW_CEPH_CONF=$DIR/ceph.conf
export RBDGW_CEPH_DIR=$DIR
export RBDGW_CEPH_POOL=$POOL
export RBDGW_CEPH_CLIENT=$CLIENT
export RBDGW_CEPH_CLIENT_KEYRING=$DIR/ceph.client.$CLIENT.keyring
export RBDGW_CEPH_ADMIN_KEYRING=$DIR/ceph.client.admin.keyring
export RBDGW_CEPH_MON_HOST='[v2:$ADDR:$MON_PORT,v1:$ADDR:$MON_V1_PORT]'
EOF
  trap - EXIT
  log "cluster up in $((SECONDS - t0))s: $STORE, $NOSD osd(s), mgr=$WITH_MGR, pool '$POOL', user client.$CLIENT, daemons started with '$(daemon_env)'"
  echo "$DIR/ceph.conf"
}

# ---------------------------------------------------------------- main
[ $# -eq 2 ] || usage
CMD=$1
mkdir_p_parent=$(dirname -- "$2")
[ -d "$mkdir_p_parent" ] || mkdir -p "$mkdir_p_parent"
if [ -d "$2" ]; then DIR=$(cd -- "$2" && pwd -P); else DIR=$(cd -- "$mkdir_p_parent" && pwd -P)/$(basename -- "$2"); fi
case "$CMD" in
  up)     cmd_up ;;
  down)   cmd_down ;;
  status) load_saved_config; cmd_status ;;
  purge)
    cmd_down
    if [ -d "$DIR" ]; then
      [ -f "$DIR/$MARKER" ] || die "$DIR was not created by ceph-dev-cluster.sh; not deleting"
      rm -rf "$DIR"; log "purged $DIR"
    fi ;;
  *) usage ;;
esac
