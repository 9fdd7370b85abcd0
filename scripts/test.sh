#!/usr/bin/env bash
# Runs the whole test suite: unit tests, integration tests against the gateway process with real
# iSCSI clients (libiscsi tools, qemu-img), and libiscsi's conformance suite. Installs the clients
# it needs first (apt-get). Usage: scripts/test.sh [extra maven arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
exec ./mvnw -B -ntp verify "$@"
