#!/usr/bin/env bash
# tools/build-fio-libiscsi.sh [DEST]
#
# Builds fio with the 'libiscsi' ioengine, which the benchmark (bench/iscsi-bench.sh) drives against
# the iSCSI target from userspace (no kernel initiator needed).
#
# Debian 12's fio package (3.33) is configured without --enable-libiscsi. This script rebuilds the
# same Debian source package with that engine, using only the Debian archive, and installs the
# binary as DEST [/opt/rbdgw-tools/bin/fio-iscsi]. /usr/bin/fio is left alone.
#
# Works on a fresh Debian 12 as root: adds a deb-src entry if apt has none, installs the build
# dependencies with apt-get. Idempotent: an existing DEST that has the engine is kept (FORCE=1 rebuilds).
# Env: WORK (build directory) [/var/tmp/rbdgw-fio-build]  FORCE [0]
# Takes about 2-3 minutes on 2 cores. Prints the installed path on the last line.
set -euo pipefail
DEST=${1:-/opt/rbdgw-tools/bin/fio-iscsi}
WORK=${WORK:-/var/tmp/rbdgw-fio-build}
FORCE=${FORCE:-0}

has_engine() { [ -x "$1" ] && "$1" --enghelp 2>/dev/null | grep -qw libiscsi; }

if [ "$FORCE" != 1 ] && has_engine "$DEST"; then
  echo "already built: $("$DEST" --version)" >&2
  echo "$DEST"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then echo "run as root (apt-get is needed)" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive

# deb-src for the Debian archive, unless apt can already find the fio source package
if [ -z "$(apt-get source --print-uris fio 2>/dev/null | grep '\.dsc' || true)" ]; then
  . /etc/os-release
  cat > /etc/apt/sources.list.d/rbdgw-deb-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: ${VERSION_CODENAME:-bookworm} ${VERSION_CODENAME:-bookworm}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update
fi
apt-get install -y --no-install-recommends libiscsi-dev libaio-dev zlib1g-dev dpkg-dev pkg-config \
  gcc make ca-certificates xz-utils libiscsi-bin

mkdir -p "$WORK"
cd "$WORK"
if ! ls -d fio-*/ >/dev/null 2>&1; then
  apt-get source --download-only fio
  dpkg-source --no-check -x fio_*.dsc
fi
cd "$(ls -d fio-*/ | head -1)"
# --disable-native: the binary must run on any x86-64 host, not only the build machine
./configure --disable-native --enable-libiscsi > "$WORK/configure.log"
grep -E 'iscsi engine' "$WORK/configure.log"
grep -qE 'iscsi engine +yes' "$WORK/configure.log" || { echo "configure did not enable libiscsi" >&2; exit 1; }
make -j"$(nproc)" fio > "$WORK/make.log" 2>&1 || { tail -30 "$WORK/make.log" >&2; exit 1; }
install -D -m 0755 fio "$DEST"
has_engine "$DEST" || { echo "built fio lacks the libiscsi engine" >&2; exit 1; }
"$DEST" --version >&2
echo "usage: $DEST --ioengine=libiscsi --filename='iscsi\\://127.0.0.1\\:3260/iqn.x\\:y/1' ... (escape every ':' as '\\:')" >&2
echo "$DEST"
