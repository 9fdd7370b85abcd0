#!/usr/bin/env bash
# Makes build "N+1" from a release distribution without building the project again: the tarball
# repacked as rbdgw-NEW_VERSION/ with NEW_VERSION as Implementation-Version in both jars' manifests,
# which is the version the gateway reports (`rbdgw-gateway --version`, its membership in
# `rbdgw gateway list`, the rbdgw_build_info metric) and the admin API/CLI report. The code is the
# same; what differs is everything an upgrade goes by: the version, the install directory, the jars.
# Used by scripts/ansible-deploy-test.sh to upgrade from one build to the next.
# Usage: scripts/dist-relabel.sh TARBALL NEW_VERSION OUT_DIR   (prints the new tarball's path)
set -euo pipefail
[ $# = 3 ] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
src=$(readlink -f "$1"); new=$2; out=$(readlink -f "$3")
case "$new" in *[!A-Za-z0-9._+-]*|'') echo "dist-relabel: bad version '$new'" >&2; exit 2 ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -C "$work" -xzf "$src"
old_dir=$(cd "$work" && ls -d rbdgw-*)
[ "$old_dir" != "rbdgw-$new" ] || { echo "dist-relabel: $src is version $new already" >&2; exit 2; }
mv "$work/$old_dir" "$work/rbdgw-$new"
python3 - "$new" "$work/rbdgw-$new/lib/gateway-node.jar" "$work/rbdgw-$new/lib/rbdgw-admin.jar" <<'PY'
import os, re, sys, zipfile

version = sys.argv[1]
for jar in sys.argv[2:]:
    tmp = jar + ".tmp"
    with zipfile.ZipFile(jar) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "META-INF/MANIFEST.MF":
                text = data.decode("utf-8")
                text, n = re.subn(r"(?m)^Implementation-Version: .*$", "Implementation-Version: " + version, text)
                if n != 1:
                    sys.exit(f"dist-relabel: {jar} has no Implementation-Version in its manifest")
                data = text.encode("utf-8")
            zout.writestr(item, data, compress_type=item.compress_type)
    os.replace(tmp, jar)
    os.chmod(jar, 0o644)
PY
mkdir -p "$out"
tar -C "$work" -czf "$out/rbdgw-$new.tar.gz" "rbdgw-$new"
echo "$out/rbdgw-$new.tar.gz"
