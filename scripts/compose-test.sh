#!/usr/bin/env bash
# Tests docker-compose.yml: builds the images (the base image with debootstrap if it is missing),
# starts the demo with host networking on loopback addresses (scripts/compose-hostnet.yml), logs in
# through both gateways with libiscsi's tools and qemu-img/qemu-io, stops the gateway that owns the
# LUN while one qemu-io session keeps writing through the other, checks the data and the ownership
# move, checks Prometheus scrapes both gateways with rbdgw's rules loaded, and that `down` leaves no
# container, volume or network behind. Starts dockerd if none runs (and stops only that one).
# Needs root, docker.io, docker-compose, debootstrap, libiscsi-bin, qemu-utils, qemu-block-extra.
# Environment: RBDGW_COMPOSE_KEEP=1 leaves the demo running on failure (for a look at it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t0=$SECONDS
log() { printf '[compose-test %3ds] %s\n' $((SECONDS - t0)) "$*" >&2; }
project=rbdgw-compose-test
# docker-compose.yml with scripts/compose-hostnet.yml merged in and its published ports dropped
# (Compose refuses port bindings with host networking, and an override file can only add ports)
compose() { docker-compose -p "$project" -f "$work/compose.yml" "$@"; }
merge_compose() {
  docker-compose -f docker-compose.yml -f scripts/compose-hostnet.yml config >"$work/merged.yml"
  python3 - "$work/merged.yml" "$work/compose.yml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
for s in d["services"].values():
    s.pop("ports", None)
yaml.safe_dump(d, open(sys.argv[2], "w"), sort_keys=False)
PY
}
export RBDGW_ADMIN_PASSWORD=compose-test-password RBDGW_TAG=dev BASE_IMAGE=${BASE_IMAGE:-rbdgw-base:bookworm}
export RBDGW_ADMIN_URL=http://127.0.0.51:5000
target=iqn.2026-12.io.rbdgw:demo
work=$(mktemp -d)
dockerd_pid=""
up=0

need=()
command -v docker >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v iscsi-ls >/dev/null || need+=(libiscsi-bin)
command -v qemu-io >/dev/null || need+=(qemu-utils)
dpkg-query -W -f='${Status}' qemu-block-extra 2>/dev/null | grep -q "install ok installed" || need+=(qemu-block-extra)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

cleanup() {
  rc=$?
  if [ "$up" = 1 ]; then
    if [ $rc != 0 ]; then
      compose ps >&2 || true
      compose logs --tail=40 >&2 || true
    fi
    if [ $rc = 0 ] || [ "${RBDGW_COMPOSE_KEEP:-0}" != 1 ]; then
      compose down -v --remove-orphans >/dev/null 2>&1 || true
    fi
  fi
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "compose-test: FAIL: $*" >&2; exit 1; }

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  dockerd --iptables=false --bridge=none >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { cat "$work/dockerd.log" >&2; fail "dockerd did not start"; }
fi

# The shipped file as users run it (its own bridge network, ports published on the host's loopback)
# cannot run here (dockerd runs with --bridge=none); it must at least validate and keep that shape.
docker-compose -f docker-compose.yml config >"$work/shipped.yml" 2>"$work/shipped.err" \
  || { cat "$work/shipped.err" >&2; fail "docker-compose.yml does not validate"; }
python3 - "$work/shipped.yml" <<'PY' || fail "docker-compose.yml: not the published-ports variant users expect"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
services = d["services"]
bad = [n for n, s in services.items() if "network_mode" in s]
published = {}
for n, s in services.items():
    for p in s.get("ports", []):
        # docker-compose 1.x prints "127.0.0.1:3260:3260/tcp"; Compose v2 prints a mapping
        ip = p.get("host_ip") if isinstance(p, dict) else str(p).split(":")[0] if str(p).count(":") == 2 else None
        if ip != "127.0.0.1":
            bad.append(f"{n} publishes {p} beyond the loopback")
        published.setdefault(n, []).append(p)
for n in ("gw-a", "gw-b", "admin", "prometheus"):
    if n not in published:
        bad.append(f"{n} publishes no port")
for b in bad:
    print("docker-compose.yml:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
log "the shipped docker-compose.yml validates (bridge network, loopback-published ports: not run here)"

ls gateway-node/target/rbdgw-*.tar.gz >/dev/null 2>&1 || ./mvnw -B -ntp -q -Pdist -DskipTests package
[ "$BASE_IMAGE" != rbdgw-base:bookworm ] || scripts/base-image.sh
log "building images (cached when nothing changed)"
b() { docker build -q --network host --build-arg BASE_IMAGE="$BASE_IMAGE" "$@" . >/dev/null; }
b -f gateway-node/src/docker/Dockerfile --target gateway -t rbdgw-gateway:dev
b -f gateway-node/src/docker/Dockerfile --target admin -t rbdgw-admin:dev
b -f gateway-node/src/docker/Dockerfile.zookeeper -t rbdgw-zookeeper:dev
b -f gateway-node/src/docker/Dockerfile.ceph -t rbdgw-ceph-demo:dev
b -f gateway-node/src/docker/Dockerfile.prometheus -t rbdgw-prometheus:dev

log "compose up"
merge_compose
compose down -v --remove-orphans >/dev/null 2>&1 || true
up=1
compose up -d --no-build
setup=$(compose ps -q setup)
[ -n "$setup" ] || fail "no setup container"
rc=$(timeout 300 docker wait "$setup") || fail "setup did not finish in 300 s"
docker logs "$setup" >&2
[ "$rc" = 0 ] || fail "demo setup exited $rc"
log "configured"

gw_a=127.0.0.41:3260 gw_b=127.0.0.42:3260
cli() { scripts/rbdgw "$@"; }
# both gateways apply the configuration
for _ in $(seq 1 120); do
  cli --json epoch >"$work/epoch.json" 2>/dev/null && python3 - "$work/epoch.json" <<'PY' && break
import json, sys
d = json.load(open(sys.argv[1]))
gws = {g["name"]: g for g in d["gateways"]}
sys.exit(0 if all(gws.get(n, {}).get("upToDate") for n in ("gw-a", "gw-b")) else 1)
PY
  sleep 1
done
cli epoch >&2

log "discovery and login through both gateways"
iscsi-ls -s "iscsi://$gw_a" >"$work/ls.txt"
cat "$work/ls.txt" >&2
grep -q "$target" "$work/ls.txt" || fail "discovery through gw-a does not list $target"
grep -q '127.0.0.42:3260' "$work/ls.txt" || fail "discovery does not list gw-b's portal"
for gw in "$gw_a" "$gw_b"; do
  iscsi-inq "iscsi://$gw/$target/0" >"$work/inq.txt" || fail "iscsi-inq through $gw"
  grep -qi 'rbdgw\|RBD' "$work/inq.txt" || { cat "$work/inq.txt" >&2; fail "unexpected INQUIRY through $gw"; }
done

# qemu-img round trip: 8 MiB of random data in through gw-a, compared through gw-b
head -c 8388608 /dev/urandom >"$work/in.raw"
qemu-img convert -n -f raw -O raw "$work/in.raw" "iscsi://$gw_a/$target/0"
qemu-img convert -f raw -O raw "iscsi://$gw_b/$target/0" "$work/out.raw"
cmp -n 8388608 "$work/in.raw" "$work/out.raw" || fail "qemu-img round trip: data read through gw-b differs"
rm -f "$work/out.raw"
log "qemu-img round trip ok"

log "Prometheus scrapes both gateways and has the rules"
gateways_up() {
  curl -fsSG --data-urlencode 'query=sum(up{job="rbdgw"})' http://127.0.0.61:9090/api/v1/query | grep -q '"value":\[[0-9.]*,"2"\]'
}
for _ in $(seq 1 60); do
  gateways_up 2>/dev/null && break
  sleep 1
done
gateways_up \
  || fail "Prometheus does not see both gateways up"
curl -fsS http://127.0.0.61:9090/api/v1/rules | grep -q RbdgwLunWithoutOptimizedPath || fail "alert rules not loaded"

# ALUA failover: stop the owner while one qemu-io session writes through the other gateway
owner=$(cli --json alua | python3 -c 'import json,sys; print([x["owner"] for x in json.load(sys.stdin) if x["disk"]=="rbd/demo"][0])')
case "$owner" in
  gw-a) survivor=gw-b; survivor_portal=$gw_b ;;
  gw-b) survivor=gw-a; survivor_portal=$gw_a ;;
  *) fail "rbd/demo has no owner: $owner" ;;
esac
log "owner of rbd/demo: $owner; writing through $survivor while $owner stops"
n=600
{
  for i in $(seq 0 $((n - 1))); do
    printf -- "-c\0write -P %d %d 65536\0-c\0sleep 30\0" $(( (i % 250) + 1 )) $(( (8 + i) * 1048576 ))
  done
} | xargs -0 qemu-io -f raw "iscsi://$survivor_portal/$target/0" >"$work/io.txt" 2>&1 &
io_pid=$!
sleep 2
kill -0 "$io_pid" 2>/dev/null || { cat "$work/io.txt" >&2; fail "qemu-io ended early"; }
compose stop -t 30 "$owner" >&2
stopped_at=$SECONDS
owner_of_demo() {
  cli --json alua | python3 -c 'import json,sys; print([x["owner"] for x in json.load(sys.stdin) if x["disk"]=="rbd/demo"][0])'
}
for _ in $(seq 1 120); do
  now=$(owner_of_demo)
  [ "$now" = "$survivor" ] && break
  sleep 0.5
done
[ "$now" = "$survivor" ] || fail "rbd/demo still owned by $now $((SECONDS - stopped_at)) s after $owner stopped"
log "rbd/demo owned by $survivor at most $((SECONDS - stopped_at)) s after $owner's container stopped"
kill -0 "$io_pid" 2>/dev/null || fail "the write session ended before the failover was over: the test proves nothing (raise n)"
io_rc=0; wait "$io_pid" || io_rc=$?
writes=$(grep -c '^wrote 65536/65536' "$work/io.txt" || true)
if [ "$io_rc" != 0 ] || [ "$writes" != "$n" ] || grep -qi 'error\|failed' "$work/io.txt"; then
  tail -20 "$work/io.txt" >&2
  fail "I/O through $survivor during the failover: exit $io_rc, $writes of $n writes"
fi
log "$n writes in one session through $survivor, none failed, across $owner's stop and the ownership move"
cli failovers --limit 3 >&2 || true
# every write is there
args=()
for i in $(seq 0 $((n - 1))); do
  args+=(-c "read -P $(( (i % 250) + 1 )) $(( (8 + i) * 1048576 )) 65536")
done
qemu-io -f raw "iscsi://$survivor_portal/$target/0" "${args[@]}" >"$work/read.txt" 2>&1 || { tail "$work/read.txt" >&2; fail "read-back"; }
grep -qi 'pattern verification failed\|error' "$work/read.txt" && { grep -i -m5 'fail\|error' "$work/read.txt" >&2; fail "read-back: data differs"; }
[ "$(grep -c '^read 65536/65536' "$work/read.txt")" = "$n" ] || fail "read-back: not every read succeeded"
log "all $n writes read back through $survivor"

log "compose down"
compose down -v --remove-orphans >&2
up=0
left=$(docker ps -aq --filter "label=com.docker.compose.project=$project")
vols=$(docker volume ls -q --filter "label=com.docker.compose.project=$project")
nets=$(docker network ls -q --filter "label=com.docker.compose.project=$project")
[ -z "$left$vols$nets" ] || fail "left behind: containers [$left] volumes [$vols] networks [$nets]"
for p in 127.0.0.41:3260 127.0.0.42:3260 127.0.0.21:2181 127.0.0.31:3300 127.0.0.51:5000 127.0.0.61:9090; do
  (exec 3<>"/dev/tcp/${p%:*}/${p#*:}") 2>/dev/null && fail "$p still listening after down"
done
log "ok: nothing left behind; total $((SECONDS - t0)) s"
