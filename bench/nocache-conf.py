#!/usr/bin/env python3
"""nocache-conf.py SRC DST: a copy of the Ceph conf SRC with "rbd cache = false" in [client], written to DST.

What fio's rbd engine and tgt-rbd read, so that their librbd runs without its cache as the gateway's does
(RbdCluster forces rbd_cache=false). Name DST ceph.conf: Ceph takes $cluster, used in keyring paths, from
the conf file's name.
"""
import sys

src, dst = sys.argv[1], sys.argv[2]
out, done = [], False
for line in open(src).read().splitlines():
    out.append(line)
    if line.strip() == '[client]' and not done:
        out.append('rbd cache = false')
        done = True
if not done:
    out += ['[client]', 'rbd cache = false']
open(dst, 'w').write('\n'.join(out) + '\n')
