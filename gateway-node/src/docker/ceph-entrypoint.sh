#!/bin/bash
# Starts a single-node Ceph cluster (ceph-dev-cluster.sh), creates the demo's RBD images, writes a
# client ceph.conf and client.rbdgw's keyring (profile rbd) to /etc/ceph-demo for the gateways and
# the admin API, then waits; SIGTERM stops the daemons in order.
set -euo pipefail
dir=/var/lib/ceph-demo
addr=${CEPH_ADDR:-$(hostname -i | awk '{print $1}')}
export RBDGW_CEPH_ADDR=$addr RBDGW_CEPH_CLIENT=${RBDGW_CEPH_CLIENT:-rbdgw}
export RBDGW_CEPH_OSD_BYTES=${RBDGW_CEPH_OSD_BYTES:-2147483648} RBDGW_CEPH_TIMEOUT=${RBDGW_CEPH_TIMEOUT:-180}
rm -rf "$dir" /etc/ceph-demo/ceph.conf
conf=$(ceph-dev-cluster.sh up "$dir")
stop() {
  ceph-dev-cluster.sh down "$dir" || true
  exit 0
}
trap stop TERM INT
for spec in ${CEPH_DEMO_IMAGES:-rbd/demo:1G}; do
  image=${spec%%:*}
  rbd -c "$conf" info "$image" >/dev/null 2>&1 || rbd -c "$conf" create "$image" --size "${spec#*:}"
done
out=/etc/ceph-demo
fsid=$(awk '$1 == "fsid" { print $3 }' "$conf")
mon=$(awk -F' = ' '$1 == "mon host" { print $2 }' "$conf")
cat >"$out/ceph.conf.tmp" <<CONF
[global]
fsid = $fsid
mon host = $mon
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
[client]
keyring = /etc/ceph/ceph.client.\$id.keyring
CONF
cp "$dir/ceph.client.$RBDGW_CEPH_CLIENT.keyring" "$out/ceph.client.$RBDGW_CEPH_CLIENT.keyring"
chmod 0644 "$out/ceph.client.$RBDGW_CEPH_CLIENT.keyring" "$out/ceph.conf.tmp"
mv "$out/ceph.conf.tmp" "$out/ceph.conf"   # last: its presence means the cluster is ready
echo "ceph demo cluster up on $addr; clients: $out/ceph.conf, client.$RBDGW_CEPH_CLIENT"
sleep infinity &
wait $!
