#!/bin/bash
# The admin API of the compose demo: writes an admin.yml from the environment and runs the service.
#   RBDGW_ZOOKEEPER        ZooKeeper connect string (required)
#   RBDGW_ADMIN_PASSWORD   the admin password (or RBDGW_ADMIN_PASSWORD_FILE), at least 8 characters
#   RBDGW_ADMIN_LISTEN     HOST:PORT of the API (default 0.0.0.0:5000); plain HTTP: the demo's API is
#                          published on the host's loopback only. Production: TLS, see docs/deploy.md
#   RBDGW_ADMIN_ADMIN_LISTEN  HOST:PORT of Dropwizard's admin connector (default 127.0.0.1:5001)
#   RBDGW_CEPH_CONF, RBDGW_CEPH_ID  optional: RBD image management
#   RBDGW_ZK_AUTH_FILE     ZooKeeper credential file (user:password, 0600); without it the service
#                          refuses to start (RBDGW_ZK_INSECURE=true accepts an open ZooKeeper tree)
#   RBDGW_SECRET_KEY_FILE  key file that encrypts CHAP secrets; without it CHAP secrets are refused
# Any other arguments run instead of the service (e.g. rbdgw-demo-setup).
set -euo pipefail
if [ $# -gt 0 ]; then exec "$@"; fi
: "${RBDGW_ZOOKEEPER:?RBDGW_ZOOKEEPER is required}"
if [ -n "${RBDGW_ADMIN_PASSWORD_FILE:-}" ]; then
  RBDGW_ADMIN_PASSWORD=$(head -n1 "$RBDGW_ADMIN_PASSWORD_FILE")
fi
: "${RBDGW_ADMIN_PASSWORD:?RBDGW_ADMIN_PASSWORD or RBDGW_ADMIN_PASSWORD_FILE is required}"
hash=$(printf '%s\n' "$RBDGW_ADMIN_PASSWORD" | rbdgw-admin hash-password --iterations "${RBDGW_ADMIN_HASH_ITERATIONS:-600000}" | tail -n1)
listen=${RBDGW_ADMIN_LISTEN:-0.0.0.0:5000}
admin_listen=${RBDGW_ADMIN_ADMIN_LISTEN:-127.0.0.1:5001}
conf=/var/lib/rbdgw/admin.yml
umask 077
{
  echo "adminPasswordHash: \"$hash\""
  echo "zookeeper:"
  echo "  connect: \"$RBDGW_ZOOKEEPER\""
  echo "  root: ${RBDGW_ZK_ROOT:-/rbdgw}"
  if [ -n "${RBDGW_ZK_AUTH_FILE:-}" ]; then
    echo "  authFile: $RBDGW_ZK_AUTH_FILE"
  elif [ "${RBDGW_ZK_INSECURE:-false}" = true ]; then
    echo "  insecure: true"
  fi
  if [ -n "${RBDGW_SECRET_KEY_FILE:-}" ]; then
    echo "secretKeyFile: $RBDGW_SECRET_KEY_FILE"
  fi
  if [ -n "${RBDGW_CEPH_CONF:-}" ]; then
    echo "ceph:"
    echo "  conf: $RBDGW_CEPH_CONF"
    echo "  id: ${RBDGW_CEPH_ID:-admin}"
    echo "  healthPool: ${RBDGW_CEPH_HEALTH_POOL:-rbd}"
  fi
  echo "dataDir: /var/lib/rbdgw/disks"
  echo "server:"
  echo "  applicationConnectors:"
  echo "    - type: http"
  echo "      bindHost: ${listen%:*}"
  echo "      port: ${listen##*:}"
  echo "  adminConnectors:"
  echo "    - type: http"
  echo "      bindHost: ${admin_listen%:*}"
  echo "      port: ${admin_listen##*:}"
  echo "logging:"
  echo "  level: INFO"
} >"$conf"
exec rbdgw-admin server "$conf"
