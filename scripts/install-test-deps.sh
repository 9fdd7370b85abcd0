#!/usr/bin/env bash
# Installs the real iSCSI clients the tests drive (Debian 12 packages), if they are missing:
#   libiscsi-bin      iscsi-ls, iscsi-inq, iscsi-readcapacity16, iscsi-test-cu (conformance suite)
#   qemu-utils        qemu-img, qemu-io
#   qemu-block-extra  QEMU's iscsi:// block driver
#   prometheus        promtool (scripts/monitoring-test.sh); python3-yaml for its checks
#   systemd           systemd-analyze verify of the units (scripts/dist-test.sh)
# Needs root (or sudo) for apt-get.
set -euo pipefail
need=()
command -v iscsi-test-cu >/dev/null || need+=(libiscsi-bin)
command -v qemu-img >/dev/null || need+=(qemu-utils)
dpkg-query -W -f='${Status}' qemu-block-extra 2>/dev/null | grep -q "install ok installed" || need+=(qemu-block-extra)
command -v python3 >/dev/null || need+=(python3)
command -v promtool >/dev/null || need+=(prometheus)
python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "installing: ${need[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi
