#!/bin/bash
# One-shot configuration of the compose demo through the CLI: two gateways (each its own target
# port group), a target without ACL, an RBD disk as LUN 0. Does nothing for what exists already.
#   RBDGW_ADMIN_URL, RBDGW_ADMIN_PASSWORD   the admin API
#   DEMO_GATEWAYS   "gw-a=HOST:PORT gw-b=HOST:PORT" (the portals initiators reach)
#   DEMO_TARGET     target IQN (default iqn.2026-12.io.rbdgw:demo)
#   DEMO_DISKS      RBD images (pool/image) to export, in LUN order (default rbd/demo)
set -euo pipefail
target=${DEMO_TARGET:-iqn.2026-12.io.rbdgw:demo}
for _ in $(seq 1 120); do
  rbdgw epoch >/dev/null 2>&1 && break
  sleep 1
done
rbdgw epoch >/dev/null
tpg=1
for gw in ${DEMO_GATEWAYS:?DEMO_GATEWAYS is required}; do
  name=${gw%%=*}
  # the list also shows gateways that are alive but not declared ("declared" : false)
  if ! rbdgw --json gateway list | awk -v n="\"$name\"," '
      $1 == "\"name\"" { cur = $3 } $1 == "\"declared\"" && cur == n && $3 == "true," { found = 1 }
      END { exit !found }'; then
    rbdgw gateway add "$name" --portal "${gw#*=}" --tpg "$tpg"
  fi
  tpg=$((tpg + 1))
done
rbdgw --json target list | grep -q "\"$target\"" || rbdgw target create "$target" --no-acl
for disk in ${DEMO_DISKS:-rbd/demo}; do
  rbdgw --json disk list | grep -q "\"$disk\"" || rbdgw disk create "$disk" --import
  rbdgw --json lun list "$target" 2>/dev/null | grep -q "\"$disk\"" || rbdgw lun add "$target" "$disk"
done
rbdgw epoch
echo "demo configured: iscsi://<portal>/$target/0"
