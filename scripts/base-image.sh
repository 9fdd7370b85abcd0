#!/usr/bin/env bash
# Builds the Debian 12 base image the Dockerfiles default to (BASE_IMAGE=rbdgw-base:bookworm) with
# debootstrap, for machines that cannot pull debian:bookworm from a registry. Does nothing when the
# image exists. Needs root, debootstrap and a running dockerd.
# Usage: scripts/base-image.sh [IMAGE] [MIRROR]
set -euo pipefail
image=${1:-rbdgw-base:bookworm}
mirror=${2:-http://deb.debian.org/debian}
if docker image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi
dir=$(mktemp -d /var/tmp/rbdgw-base.XXXXXX)
trap 'rm -rf "$dir"' EXIT
debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 \
  || { tail -20 "$dir.log" >&2; exit 1; }
rm -f "$dir.log"
# apt inside image builds: no recommends, no caches
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$dir/etc/apt/apt.conf.d/90rbdgw"
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
tar -C "$dir" -c . | docker import -c 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "built $image" >&2
