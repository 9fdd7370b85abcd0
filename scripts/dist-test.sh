#!/usr/bin/env bash
# Tests the release distribution (gateway-node/target/rbdgw-<version>.tar.gz, built by
# `./mvnw -Pdist package`): its contents, the JVM memory bin/rbdgw-gateway derives from the host and
# from a cgroup limit, a gateway started from the unpacked tree through a symlinked bin/rbdgw-gateway
# with --config FILE (a command-line option overriding the file), the CLI against it, and
# `systemd-analyze verify` of the units. Loopback only, free ports; stops only what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=$(ls gateway-node/target/rbdgw-*.tar.gz 2>/dev/null | head -1)
[ -n "$tarball" ] || { echo "dist-test: no tarball; build it: ./mvnw -Pdist -DskipTests package" >&2; exit 2; }
work=$(mktemp -d)
gw_pid=""
cleanup() {
  if [ -n "$gw_pid" ] && kill -0 "$gw_pid" 2>/dev/null; then kill "$gw_pid"; wait "$gw_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "dist-test: FAIL: $*" >&2; [ -f "$work/gw.out" ] && tail -30 "$work/gw.out" >&2; exit 1; }

tar -C "$work" -xzf "$tarball"
dist=$(echo "$work"/rbdgw-*)
for f in bin/rbdgw-gateway bin/rbdgw-admin bin/rbdgw lib/gateway-node.jar lib/rbdgw-admin.jar \
         etc/gateway.yml.example etc/admin.yml.example systemd/rbdgw-gateway.service systemd/rbdgw-admin.service; do
  [ -e "$dist/$f" ] || fail "distribution lacks $f"
done
for f in bin/rbdgw-gateway bin/rbdgw-admin bin/rbdgw; do [ -x "$dist/$f" ] || fail "$f is not executable"; done

# the build reports the version the distribution is named after (its jars' manifests)
version=$(basename "$dist"); version=${version#rbdgw-}
[ "$("$dist/bin/rbdgw-gateway" --version)" = "rbdgw $version" ] || fail "rbdgw-gateway --version: $("$dist/bin/rbdgw-gateway" --version)"
[ "$("$dist/bin/rbdgw" --version)" = "rbdgw admin CLI $version" ] || fail "rbdgw --version: $("$dist/bin/rbdgw" --version)"

# JVM memory: a quarter of the cgroup limit for direct memory when there is one, of RAM otherwise
ram_mib=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024 ))
cg="$work/cgroup"; mkdir -p "$cg/memory"
echo 4294967296 >"$cg/memory/memory.limit_in_bytes"
cmd=$(RBDGW_CGROUP_ROOT="$cg" RBDGW_PRINT_JAVA_COMMAND=1 "$dist/bin/rbdgw-gateway" run)
[[ "$cmd" == *"-XX:MaxDirectMemorySize=1024m"* && "$cmd" == *"-XX:MaxRAMPercentage=25"* ]] || fail "4 GiB cgroup limit: $cmd"
echo max >"$cg/memory.max"
cmd=$(RBDGW_CGROUP_ROOT="$cg" RBDGW_PRINT_JAVA_COMMAND=1 RBDGW_DIRECT_PERCENT=50 "$dist/bin/rbdgw-gateway" run)
[[ "$cmd" == *"-XX:MaxDirectMemorySize=$(( ram_mib * 50 / 100 ))m"* ]] || fail "no limit, 50%: $cmd (RAM ${ram_mib} MiB)"
cmd=$(RBDGW_PRINT_JAVA_COMMAND=1 RBDGW_JAVA_OPTS=-XX:MaxRAMPercentage=10 "$dist/bin/rbdgw-gateway" run --name x)
[[ "$cmd" == *"-XX:MaxRAMPercentage=25 "*"-XX:MaxRAMPercentage=10 -jar $dist/lib/gateway-node.jar run --name x" ]] \
  || fail "RBDGW_JAVA_OPTS must come last: $cmd"
# malloc: tcmalloc preloaded when the library is there (RBDGW_TCMALLOC names it), glibc's on request or without it
touch "$work/libtcmalloc.so.4"
cmd=$(RBDGW_PRINT_JAVA_COMMAND=1 RBDGW_TCMALLOC="$work/libtcmalloc.so.4" "$dist/bin/rbdgw-gateway" run)
[[ "$cmd" == "LD_PRELOAD=$work/libtcmalloc.so.4 "* ]] || fail "RBDGW_TCMALLOC: $cmd"
cmd=$(RBDGW_PRINT_JAVA_COMMAND=1 RBDGW_MALLOC=system RBDGW_TCMALLOC="$work/libtcmalloc.so.4" "$dist/bin/rbdgw-gateway" run)
[[ "$cmd" != *LD_PRELOAD* ]] || fail "RBDGW_MALLOC=system: $cmd"
if RBDGW_PRINT_JAVA_COMMAND=1 RBDGW_TCMALLOC="$work/no-such-libtcmalloc.so.4" "$dist/bin/rbdgw-gateway" run \
    >/dev/null 2>&1; then
  fail "an RBDGW_TCMALLOC that names no file must be refused, not replaced by another malloc"
fi
if RBDGW_PRINT_JAVA_COMMAND=1 RBDGW_TCMALLOC="$work" "$dist/bin/rbdgw-gateway" run >/dev/null 2>&1; then
  fail "an RBDGW_TCMALLOC that names a directory must be refused"
fi
if RBDGW_PRINT_JAVA_COMMAND=1 RBDGW_MALLOC=jemalloc "$dist/bin/rbdgw-gateway" run >/dev/null 2>&1; then
  fail "RBDGW_MALLOC=jemalloc must be refused"
fi
# a host without the library: every path the script looks at hidden (/dev/null bound over it, in a mount
# namespace of its own): the default falls back to glibc's malloc, an explicit RBDGW_MALLOC=tcmalloc stops
# shellcheck disable=SC2016
hide_tcmalloc='for lib in /usr/lib/x86_64-linux-gnu/libtcmalloc.so.4 /usr/lib/aarch64-linux-gnu/libtcmalloc.so.4 \
    /usr/lib64/libtcmalloc.so.4 /usr/lib/libtcmalloc.so.4; do
  if [ -e "$lib" ]; then mount --bind /dev/null "$lib" || exit 9; fi
done'
cmd=$(unshare -rm sh -c "$hide_tcmalloc"'
  RBDGW_PRINT_JAVA_COMMAND=1 "$0" run' "$dist/bin/rbdgw-gateway") \
  || fail "without tcmalloc installed the default must start on glibc's malloc (or unshare -rm failed)"
[[ "$cmd" != *LD_PRELOAD* ]] || fail "no tcmalloc installed, default: $cmd"
if out=$(unshare -rm sh -c "$hide_tcmalloc"'
  RBDGW_PRINT_JAVA_COMMAND=1 RBDGW_MALLOC=tcmalloc "$0" run' "$dist/bin/rbdgw-gateway" 2>&1); then
  fail "RBDGW_MALLOC=tcmalloc on a host without the library must be refused: $out"
fi
[[ "$out" == *"no libtcmalloc.so.4 is installed"* ]] || fail "RBDGW_MALLOC=tcmalloc without the library: $out"

. scripts/free-ports.sh
ports=$(free_ports 4)
read -r portal file_portal metrics admin <<<"$ports"
echo "dist-test-password" >"$work/admin-password"
cat >"$work/gateway.yml" <<YML
memory: true
data-dir: $work/data
listen: 127.0.0.1:$file_portal
metrics-listen: 127.0.0.1:$metrics
admin-listen: 127.0.0.1:$admin
admin-password-file: $work/admin-password
target-iqn: iqn.2026-12.io.rbdgw:dist-test
YML
# through a symlink, as /usr/local/bin/rbdgw-gateway -> /opt/rbdgw/current/bin/rbdgw-gateway
ln -s "$dist/bin/rbdgw-gateway" "$work/rbdgw-gateway"
"$work/rbdgw-gateway" standalone --config "$work/gateway.yml" --listen "127.0.0.1:$portal" >"$work/gw.out" 2>&1 &
gw_pid=$!
for _ in $(seq 1 120); do
  grep -q 'gateway is up' "$work/gw.out" && break
  kill -0 "$gw_pid" 2>/dev/null || fail "gateway exited"
  sleep 0.5
done
grep -q 'gateway is up' "$work/gw.out" || fail "gateway did not come up in 60 s"
grep -q "portal:    127.0.0.1:$portal" "$work/gw.out" || fail "the command line's --listen did not replace the file's"
iscsi-ls "iscsi://127.0.0.1:$portal" | grep -q 'iqn.2026-12.io.rbdgw:dist-test' || fail "iscsi-ls through the portal"
python3 - "$file_portal" <<'PY' || fail "the file's portal must not be open (the command line replaced it)"
import socket, sys
s = socket.socket()
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0 else 1)
PY
# to a file: `curl | grep -q` fails under pipefail when grep stops reading early
curl -fsS -o "$work/metrics.txt" "http://127.0.0.1:$metrics/metrics" || fail "metrics on the file's --metrics-listen"
grep -q '^rbdgw_iscsi_sessions' "$work/metrics.txt" || fail "metrics on the file's --metrics-listen"
grep -q "version:   $version" "$work/gw.out" || fail "the banner does not name version $version"
grep -q "^rbdgw_build_info{.*version=\"$version\"" "$work/metrics.txt" || fail "metrics: no rbdgw_build_info with version $version"
"$dist/bin/rbdgw" --url "http://127.0.0.1:$admin" --password-file "$work/admin-password" epoch >"$work/epoch.out" \
  || fail "bin/rbdgw epoch: $(cat "$work/epoch.out")"
kill "$gw_pid"
rc=0; wait "$gw_pid" || rc=$?
gw_pid=""
[ "$rc" = 0 ] || fail "gateway exit status $rc after SIGTERM"

# a broken file is one clear line and exit status 2
echo "portal: 1.2.3.4" >"$work/bad.yml"
rc=0; "$dist/bin/rbdgw-gateway" run --config "$work/bad.yml" >"$work/bad.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "'portal' is not an option of 'run'" "$work/bad.out" || fail "bad config: rc $rc: $(cat "$work/bad.out")"

if command -v systemd-analyze >/dev/null; then
  # verify needs the ExecStart binaries: point the units at the unpacked tree
  mkdir -p "$work/units"
  for u in "$dist"/systemd/*.service; do
    sed "s|/opt/rbdgw/current|$dist|g" "$u" >"$work/units/$(basename "$u")"
  done
  out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$work"/units/*.service 2>&1) || fail "systemd-analyze verify: $out"
  # anything it says about our units is a finding (it also warns about unrelated system units)
  if echo "$out" | grep -E 'rbdgw-(gateway|admin)\.service' | grep -v 'Documentation'; then
    fail "systemd-analyze verify: $out"
  fi
  echo "dist-test: systemd-analyze verify: ok"
else
  echo "dist-test: systemd-analyze not installed: units not verified" >&2
fi
echo "dist-test: ok ($(basename "$tarball"))"
