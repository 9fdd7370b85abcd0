#!/usr/bin/env bash
# Deploys with ansible/site.yml into containers on this machine and checks the result: three
# ZooKeeper nodes, two gateways, the admin API and Prometheus run under systemd (the roles' units,
# hardening included) in containers built from ansible/tests/Dockerfile.systemd; the compose demo's
# Ceph image is the Ceph cluster and the `ceph_admin` host. All containers use the host's network,
# each service on its own 127.0.0.x address (ansible/tests/inventory), and ansible reaches them with
# `docker exec`; the firewall tasks are off (they would change the host's firewall). Then: an
# initiator logs in through both gateways, a second site.yml run changes nothing, and
# rolling-upgrade.yml upgrades both gateways from build N (the tarball) to build N+1 (the same
# tarball repacked with another version by scripts/dist-relabel.sh) while a multipath host
# (io.rbdgw.it.failover.HostWriter: ALUA path choice, a failed write retried on the other path,
# lost paths logged in again) writes numbered, checksummed blocks through the pair. Afterwards
# every acknowledged block is read back through both gateways; asserted: no I/O error seen by the
# host, nothing lost or stale, both gateways report N+1. Prints the times and the writer's figures.
# Removes every container it started; starts dockerd if none runs (and stops only that one).
# Needs root, the image rbdgw-ceph-demo:dev of scripts/compose-test.sh, the distribution tarball
# and gateway-node's test classes (`./mvnw -Pdist -DskipTests package` builds both).
# Environment: RBDGW_ANSIBLE_KEEP=1 leaves the containers on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t0=$SECONDS
log() { printf '[ansible-deploy-test %3ds] %s\n' $((SECONDS - t0)) "$*" >&2; }
fail() { echo "ansible-deploy-test: FAIL: $*" >&2; exit 1; }
tarball=$(ls "$root"/gateway-node/target/rbdgw-*.tar.gz | head -1)
version=$(basename "$tarball" .tar.gz); version=${version#rbdgw-}
writer_class=gateway-node/target/test-classes/io/rbdgw/it/failover/HostWriter.class
[ -f "$writer_class" ] || fail "no $writer_class: build with ./mvnw -Pdist -DskipTests package"
work=$(mktemp -d)
nodes=(zk1 zk2 zk3 gw-a gw-b adm prom)
declare -A addr=([zk1]=127.0.0.71 [zk2]=127.0.0.72 [zk3]=127.0.0.73 [ceph]=127.0.0.76
                 [gw-a]=127.0.0.81 [gw-b]=127.0.0.82 [adm]=127.0.0.91 [prom]=127.0.0.95)
started=()
dockerd_pid=""
writer_pid=""
cleanup() {
  rc=$?
  if [ -n "$writer_pid" ] && kill -0 "$writer_pid" 2>/dev/null; then
    kill "$writer_pid" 2>/dev/null || true
    wait "$writer_pid" 2>/dev/null || true
  fi
  if [ $rc != 0 ] && [ -f "$work/writer.log" ]; then
    echo "--- host writer" >&2
    grep -v "^[[:space:]]*at " "$work/writer.log" | tail -30 >&2
  fi
  if [ $rc != 0 ]; then
    for c in "${started[@]}"; do
      echo "--- $c" >&2
      docker exec "$c" journalctl --no-pager -n 30 -u rbdgw-gateway -u rbdgw-admin -u zookeeper 2>/dev/null >&2 || docker logs --tail 20 "$c" >&2 || true
    done
  fi
  if [ "${RBDGW_ANSIBLE_KEEP:-0}" != 1 ] || [ $rc = 0 ]; then
    for c in "${started[@]}"; do docker rm -f -v "$c" >/dev/null 2>&1 || true; done
  fi
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

need=()
command -v ansible-playbook >/dev/null || need+=(ansible)
command -v docker >/dev/null || need+=(docker.io)
command -v iscsi-ls >/dev/null || need+=(libiscsi-bin)
command -v qemu-io >/dev/null || need+=(qemu-utils)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  dockerd --iptables=false --bridge=none >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { cat "$work/dockerd.log" >&2; fail "dockerd did not start"; }
fi

docker image inspect rbdgw-ceph-demo:dev >/dev/null 2>&1 || fail "no rbdgw-ceph-demo:dev image: run scripts/compose-test.sh first"
docker build -q --network host --build-arg BASE_IMAGE="${BASE_IMAGE:-rbdgw-base:bookworm}" \
  -f ansible/tests/Dockerfile.systemd -t rbdgw-ansible-node:dev ansible/tests >/dev/null
hosts=()
for n in "${!addr[@]}"; do hosts+=(--add-host "$n:${addr[$n]}"); done

log "starting the Ceph container and ${#nodes[@]} systemd containers"
docker run -d --name rbdgw-ansible-ceph --network host "${hosts[@]}" -e CEPH_ADDR=127.0.0.76 \
  -e RBDGW_CEPH_OSD_BYTES=1073741824 rbdgw-ceph-demo:dev >/dev/null
started+=(rbdgw-ansible-ceph)
for n in "${nodes[@]}"; do
  # systemd as PID 1: SYS_ADMIN for the units' mount namespaces (ProtectSystem, PrivateTmp); not
  # privileged, so /proc/sys and the devices stay the host's and read-only
  docker run -d --name "rbdgw-ansible-$n" --network host "${hosts[@]}" -e container=docker \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp -v /sys/fs/cgroup:/sys/fs/cgroup:ro \
    rbdgw-ansible-node:dev >/dev/null
  started+=("rbdgw-ansible-$n")
done
for n in "${nodes[@]}"; do
  for _ in $(seq 1 60); do
    s=$(docker exec "rbdgw-ansible-$n" systemctl is-system-running 2>/dev/null || true)
    case "$s" in running|degraded) break ;; esac
    sleep 1
  done
  case "$s" in running|degraded) ;; *) fail "systemd in $n: $s" ;; esac
done
for _ in $(seq 1 180); do docker exec rbdgw-ansible-ceph test -f /etc/ceph-demo/ceph.conf 2>/dev/null && break; sleep 1; done
docker exec rbdgw-ansible-ceph test -f /etc/ceph-demo/ceph.conf || fail "Ceph container not ready"
# the ceph_admin host's ceph CLI finds the cluster and the admin keyring through /etc/ceph/ceph.conf
docker exec rbdgw-ansible-ceph ln -sf /var/lib/ceph-demo/ceph.conf /etc/ceph/ceph.conf
log "containers up"

hash=$(printf 'ansible-test-password\n' | java -jar admin-api/target/rbdgw-admin.jar hash-password --iterations 10000 | tail -n1)
export RBDGW_VERSION=$version RBDGW_DIST_TARBALL=$tarball RBDGW_ADMIN_PASSWORD_HASH=$hash ANSIBLE_FORCE_COLOR=0
play() { (cd ansible && ansible-playbook -i tests/inventory/hosts.yml "$@"); }
log "site.yml (build $version)"
site_t0=$SECONDS
play site.yml >"$work/site1.log" 2>&1 || { tail -60 "$work/site1.log" >&2; fail "site.yml"; }
site_s=$((SECONDS - site_t0))
grep -A20 'PLAY RECAP' "$work/site1.log" >&2

cli() {
  docker exec -e RBDGW_ADMIN_URL=https://adm:5000 -e RBDGW_ADMIN_PASSWORD=ansible-test-password \
    -e JAVA_TOOL_OPTIONS="-Djavax.net.ssl.trustStore=/etc/rbdgw/admin-truststore.p12 -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit" \
    rbdgw-ansible-adm rbdgw "$@" 2> >(grep -v 'Picked up JAVA_TOOL_OPTIONS' >&2)
}
target=iqn.2026-12.io.rbdgw:ansible
cli target create "$target" --no-acl
cli disk create rbd/demo --import
cli lun add "$target" rbd/demo
cli gateway list >&2
for _ in $(seq 1 60); do
  cli --json epoch | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if sum(1 for g in d["gateways"] if g.get("upToDate")) == 2 else 1)' && break
  sleep 1
done
iscsi-ls -s iscsi://127.0.0.81:3260 >"$work/ls.txt"; cat "$work/ls.txt" >&2
grep -q '127.0.0.82:3260' "$work/ls.txt" || fail "discovery does not list gw-b"
# at 64 MiB: the host writer below uses the LUN's first 4 MiB
qemu-io -f raw -c 'write -P 0x5a 64M 1M' "iscsi://127.0.0.81:3260/$target/0" >/dev/null
qemu-io -f raw -c 'read -P 0x5a 64M 1M' "iscsi://127.0.0.82:3260/$target/0" | grep -q '^read 1048576/1048576' || fail "read through gw-b"
# the units' hardening holds: no capabilities, read-only system, the rbdgw user
docker exec rbdgw-ansible-gw-a bash -c 'pid=$(systemctl show -p MainPID --value rbdgw-gateway); grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/$pid/status; ps -o user= -p $pid' >"$work/caps.txt"
cat "$work/caps.txt" >&2
grep -q 'CapEff:.*0000000000000000' "$work/caps.txt" && grep -q 'NoNewPrivs:.*1' "$work/caps.txt" && grep -q '^rbdgw' "$work/caps.txt" \
  || fail "the gateway does not run unprivileged"
curl -fsS -G --data-urlencode 'query=sum(up{job="rbdgw"})' http://127.0.0.95:9090/api/v1/query >"$work/prom.json" || true
# every service listens on its own loopback address: none of them on every address (Debian's ZooKeeper
# init script opened a JMX port there); the containers share this network namespace
wildcard=$(ss -ltnpH | awk '$4 ~ /^(\*|0\.0\.0\.0|\[::\]):/' | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u \
  | while read -r pid; do
      tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -qE 'QuorumPeerMain|rbdgw|prometheus' && echo "$pid"
    done || true)
[ -z "$wildcard" ] || { ss -ltnp | grep -E "pid=($(echo $wildcard | tr ' ' '|'))," >&2; fail "a deployed service listens on every address"; }
log "deployed: both gateways serve the LUN; no service listens on every address"

log "site.yml again: must change nothing"
play site.yml >"$work/site2.log" 2>&1 || { tail -60 "$work/site2.log" >&2; fail "second site.yml"; }
grep -A20 'PLAY RECAP' "$work/site2.log" >&2
if grep -A20 'PLAY RECAP' "$work/site2.log" | grep -E 'changed=[1-9]'; then
  grep -B3 '^changed:' "$work/site2.log" | head -40 >&2
  fail "site.yml is not idempotent"
fi

# what each gateway reports: its membership (the API), its metrics and its command line
check_versions() {
  local want=$1 gw v
  cli --json gateway list >"$work/gateways.json"
  python3 - "$want" "$work/gateways.json" <<'PY' || { cat "$work/gateways.json" >&2; fail "the API does not list both gateways at version $want"; }
import json, sys
want, gws = sys.argv[1], {g["name"]: g for g in json.load(open(sys.argv[2]))}
sys.exit(0 if all(gws.get(n, {}).get("version") == want and gws[n]["alive"] for n in ("gw-a", "gw-b")) else 1)
PY
  for gw in gw-a gw-b; do
    curl -fsS -o "$work/metrics.txt" "http://${addr[$gw]}:9287/metrics" || fail "$gw's metrics"
    grep -q "^rbdgw_build_info{.*version=\"$want\"" "$work/metrics.txt" \
      || fail "$gw's metrics do not report rbdgw_build_info version $want"
    v=$(docker exec "rbdgw-ansible-$gw" rbdgw-gateway --version 2>/dev/null)
    [ "$v" = "rbdgw $want" ] || fail "$gw: rbdgw-gateway --version says '$v', not 'rbdgw $want'"
  done
}
check_versions "$version"
log "both gateways report build $version"

# build N+1: the same code repacked as another version, so that the upgrade really changes the
# installed build (directory, jars, the version every gateway reports)
next_version="$version-next"
next_tarball=$(scripts/dist-relabel.sh "$tarball" "$next_version" "$work/next")

# a multipath host writes through the pair during the whole upgrade
log "host writer: starting (numbered, checksummed 4 KiB writes through the Active/Optimized path)"
java -cp "gateway-node/target/test-classes:gateway-node/target/gateway-node.jar" io.rbdgw.it.failover.HostWriter \
  --target "$target" --portal 127.0.0.81:3260 --portal 127.0.0.82:3260 \
  --stop-file "$work/writer.stop" --status-file "$work/writer.status" --max-seconds 1500 \
  >"$work/writer.log" 2>&1 &
writer_pid=$!
acked() { sed -n 's/.* acked=\([0-9]*\) .*/\1/p' "$work/writer.status" 2>/dev/null || true; }
for _ in $(seq 1 60); do
  kill -0 "$writer_pid" 2>/dev/null || fail "the host writer ended before the upgrade"
  [ "$(acked)" -gt 100 ] 2>/dev/null && break
  sleep 1
done
[ "$(acked)" -gt 100 ] 2>/dev/null || fail "the host writer acknowledged no writes in 60 s"

log "rolling-upgrade.yml: build $version -> $next_version, under the host writer"
upgrade_t0=$SECONDS
RBDGW_VERSION=$next_version RBDGW_DIST_TARBALL=$next_tarball play rolling-upgrade.yml >"$work/upgrade.log" 2>&1 \
  || { tail -60 "$work/upgrade.log" >&2; fail "rolling-upgrade.yml"; }
upgrade_s=$((SECONDS - upgrade_t0))
grep -A20 'PLAY RECAP' "$work/upgrade.log" >&2
kill -0 "$writer_pid" 2>/dev/null || fail "the host writer ended during the upgrade: the test proves nothing"
# a few seconds of writing through the upgraded pair, then stop and read everything back
sleep 5
touch "$work/writer.stop"
for _ in $(seq 1 240); do kill -0 "$writer_pid" 2>/dev/null || break; sleep 0.5; done
kill -0 "$writer_pid" 2>/dev/null && fail "the host writer did not finish its read-back in 120 s"
writer_rc=0; wait "$writer_pid" || writer_rc=$?
writer_pid=""
grep -E '^(verify|path|host-writer)' "$work/writer.log" >&2
summary=$(grep '^host-writer writes=' "$work/writer.log" || true)
[ "$writer_rc" = 0 ] && [ -n "$summary" ] || fail "host writer: exit $writer_rc (I/O error, lost or stale data, or no summary)"
[ "$(grep -c '^verify .* lost=0 stale=0 torn=0 foreign=0' "$work/writer.log")" = 2 ] \
  || fail "the read-back through both gateways is not clean"
cli --json gateway list | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if all(not g["draining"] and g["alive"] for g in d) else 1)' \
  || fail "a gateway is still draining or down after the upgrade"
check_versions "$next_version"
for gw in gw-a gw-b; do
  [ "$(docker exec "rbdgw-ansible-$gw" readlink /opt/rbdgw/current)" = "/opt/rbdgw/rbdgw-$next_version" ] \
    || fail "$gw: /opt/rbdgw/current does not point at $next_version"
done
qemu-io -f raw -c 'read -P 0x5a 64M 1M' "iscsi://127.0.0.81:3260/$target/0" | grep -q '^read 1048576/1048576' || fail "read after the upgrade"
log "upgraded: both gateways report build $next_version"
echo "ansible-deploy-test: site.yml ${site_s} s; rolling upgrade of 2 gateways ($version -> $next_version) ${upgrade_s} s under I/O: ${summary#host-writer }" >&2
vols=$(for c in "${started[@]}"; do docker inspect -f '{{range .Mounts}}{{if .Name}}{{.Name}} {{end}}{{end}}' "$c"; done)
for c in "${started[@]}"; do docker rm -f -v "$c" >/dev/null; done
started=()
[ -z "$(docker ps -aq --filter name=rbdgw-ansible-)" ] || fail "containers left behind"
for v in $vols; do docker volume inspect "$v" >/dev/null 2>&1 && fail "volume $v left behind"; done
log "ok: containers and their volumes removed; total $((SECONDS - t0)) s"
