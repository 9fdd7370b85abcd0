#!/usr/bin/env bash
# qemu-integrity.sh URL OUTDIR
#
# Real-client data-integrity check of an iSCSI LUN with QEMU's iSCSI block driver
# (qemu-utils + qemu-block-extra, which uses libiscsi). OVERWRITES THE WHOLE LUN.
#   1. builds a source image the size of the LUN: random data, a zero gap, random data,
#      zeros, one random 4 KiB block at the very end; raw + qcow2 copies
#   2. qemu-img convert -f qcow2 -O raw src.qcow2 URL
#   3. qemu-img compare -f qcow2 -F raw src.qcow2 URL       (exit 0 = identical)
#   4. qemu-img dd if=URL of=readback.raw, sha256 vs src.raw
#   5. qemu-io pattern writes/reads (write -P / read -P) incl. 512-aligned, odd lengths
# Writes OUTDIR/integrity.log and OUTDIR/result.txt (PASS/FAIL per step).
# Needs: qemu-img, qemu-io, sha256sum, python3. LUN must be <= MAX_BYTES (default 4 GiB).
set -u
if [ $# -lt 2 ]; then echo "usage: $0 iscsi://HOST[:PORT]/IQN/LUN OUTDIR" >&2; exit 2; fi
URL=$1; OUT=$2; MAX_BYTES=${MAX_BYTES:-4294967296}
mkdir -p "$OUT"; LOG="$OUT/integrity.log"; RES="$OUT/result.txt"; : > "$LOG"; : > "$RES"
run() { echo "+ $*" >> "$LOG"; "$@" >> "$LOG" 2>&1; local rc=$?; echo "rc=$rc" >> "$LOG"; return $rc; }
res() { printf '%-28s %s\n' "$1" "$2" | tee -a "$RES"; }

SIZE=$(qemu-img info --output=json "$URL" 2>>"$LOG" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])' 2>/dev/null)
[ -n "$SIZE" ] || { res info FAIL; exit 1; }
run qemu-img info "$URL"
[ "$SIZE" -le "$MAX_BYTES" ] || { res size "FAIL (LUN $SIZE bytes > MAX_BYTES)"; exit 1; }
MB=$((SIZE / 1048576))
W=$OUT/work; mkdir -p "$W"
rm -f "$W/src.raw" "$W/src.qcow2" "$W/readback.raw"
truncate -s "$SIZE" "$W/src.raw"
dd if=/dev/urandom of="$W/src.raw" bs=1M count=$((MB * 30 / 100)) conv=notrunc status=none
dd if=/dev/urandom of="$W/src.raw" bs=1M seek=$((MB * 70 / 100)) count=$((MB * 10 / 100)) conv=notrunc status=none
dd if=/dev/urandom of="$W/src.raw" bs=4096 seek=$((SIZE / 4096 - 1)) count=1 conv=notrunc status=none
run qemu-img convert -f raw -O qcow2 "$W/src.raw" "$W/src.qcow2"
SRC_SHA=$(sha256sum < "$W/src.raw" | cut -d' ' -f1)
echo "src sha256 $SRC_SHA" >> "$LOG"

t0=$(date +%s.%N)
if run qemu-img convert -f qcow2 -O raw "$W/src.qcow2" "$URL"; then res "convert qcow2->iscsi" "PASS ($(python3 -c "print(f'{$(date +%s.%N)-$t0:.1f}')")s)"; else res "convert qcow2->iscsi" FAIL; fi
if run qemu-img compare -f qcow2 -F raw "$W/src.qcow2" "$URL"; then res "compare qcow2 vs iscsi" "PASS (identical)"; else res "compare qcow2 vs iscsi" FAIL; fi
run qemu-img dd -f raw -O raw bs=1M if="$URL" of="$W/readback.raw"
RB_SHA=$(sha256sum < "$W/readback.raw" | cut -d' ' -f1)
echo "readback sha256 $RB_SHA" >> "$LOG"
if [ "$RB_SHA" = "$SRC_SHA" ]; then res "dd readback sha256" "PASS ($RB_SHA)"; else res "dd readback sha256" "FAIL ($RB_SHA != $SRC_SHA)"; fi

# qemu-io pattern checks: (offset length pattern)
ok=1
for spec in "0 4096 0x11" "512 512 0x22" "1536 7680 0x33" "1048064 1049600 0x44" "$((SIZE - 65536)) 65536 0x55"; do
  set -- $spec
  run qemu-io -f raw -c "write -P $3 $1 $2" -c "read -P $3 $1 $2" "$URL" || ok=0
  grep -q 'Pattern verification failed' "$LOG" && ok=0
done
# neighbours of the 512-byte write must be untouched by it (0x11 before, 0x33 after)
run qemu-io -f raw -c "read -P 0x11 0 512" -c "read -P 0x22 512 512" -c "read -P 0x11 1024 512" -c "read -P 0x33 1536 512" "$URL" || ok=0
grep -q 'Pattern verification failed' "$LOG" && ok=0
[ $ok = 1 ] && res "qemu-io write/read -P" PASS || res "qemu-io write/read -P" FAIL
rm -f "$W/readback.raw"
cat "$RES"
