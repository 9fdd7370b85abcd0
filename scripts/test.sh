#!/usr/bin/env bash
# Runs the whole test suite: unit tests, integration tests against the gateway process with real
# iSCSI clients (libiscsi tools, qemu-img), libiscsi's conformance suite, and the RBD backend's
# integration tests against a real single-node Ceph cluster. Installs the clients it needs first
# (apt-get; the Ceph script installs Ceph's own packages).
# Usage: scripts/test.sh [extra maven arguments]
# Environment: RBDGW_CEPH_DIR (default target/ceph-dev) where the cluster lives;
#              RBDGW_KEEP_CEPH=1 leaves the cluster running afterwards (the next run reuses it);
#              RBDGW_DEPLOY_TESTS=0 skips the deployment tests that otherwise run last:
#              scripts/ansible-test.sh (lint, syntax, templates; under 1 min),
#              scripts/compose-test.sh (docker-compose.yml: builds the images, about 2 min with
#              cached images, 8-10 min without) and scripts/ansible-deploy-test.sh (site.yml into
#              systemd containers, idempotence, rolling-upgrade.yml from build N to N+1 under a
#              writing multipath host: 4-11 min, +4 min to build its image). They start dockerd if
#              none runs and leave nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh

CEPH_DIR=${RBDGW_CEPH_DIR:-$PWD/target/ceph-dev}
if [ "${RBDGW_KEEP_CEPH:-0}" != 1 ]; then
  trap 'scripts/ceph-dev-cluster.sh down "$CEPH_DIR" || true' EXIT
fi
RBDGW_CEPH_CONF=$(scripts/ceph-dev-cluster.sh up "$CEPH_DIR")
export RBDGW_CEPH_CONF

# When Maven fails, the output of the failing test classes (redirected to files by the plugins) is
# printed last, so that a CI log that keeps only its tail still shows why.
failed_test_output() {
  local report out
  for report in */target/surefire-reports/*.txt */target/failsafe-reports/*.txt; do
    [ -f "$report" ] || continue
    case "$report" in *-output.txt) continue ;; esac
    if grep -qE 'FAILURE|Errors: [1-9]|Failures: [1-9]' "$report"; then
      out=${report%.txt}-output.txt
      echo "==== $report"
      grep -vE '^\s+at (org\.junit|java\.base|org\.apache\.maven)' "$report" | head -60
      if [ -f "$out" ]; then
        echo "==== last 150 lines of $out"
        tail -150 "$out"
      fi
    fi
  done
  # a fork killed by its timeout leaves no report for the hanging class: show the newest output files
  for out in $(ls -t */target/failsafe-reports/*-output.txt */target/surefire-reports/*-output.txt \
      2>/dev/null | head -2); do
    echo "==== newest output: last 80 lines of $out"
    tail -80 "$out"
  done
}

# -Pdist: also the release tarball (gateway-node/target/rbdgw-<version>.tar.gz), tested below
if ! ./mvnw -B -ntp -Pdist verify "$@"; then
  failed_test_output
  exit 1
fi
scripts/dist-test.sh
scripts/monitoring-test.sh
if [ "${RBDGW_DEPLOY_TESTS:-1}" != 0 ]; then
  scripts/ansible-test.sh
  scripts/compose-test.sh
  scripts/ansible-deploy-test.sh
fi
