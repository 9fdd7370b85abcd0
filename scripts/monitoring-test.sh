#!/usr/bin/env bash
# Tests the monitoring files in ansible/monitoring: `promtool check rules` and `promtool test rules`
# on the alert rules, and that every metric the rules and the Grafana dashboard use exists in a live
# /metrics scrape of a standalone gateway (memory LUN, temp data dir, free loopback ports) after some
# iSCSI traffic and one refused login. Needs promtool (Debian: prometheus), libiscsi-bin and
# gateway-node/target/gateway-node.jar.
set -euo pipefail
cd "$(dirname "$0")/.."
mon=ansible/monitoring
jar=gateway-node/target/gateway-node.jar
[ -f "$jar" ] || { echo "monitoring-test: build $jar first" >&2; exit 2; }
command -v promtool >/dev/null || { echo "monitoring-test: promtool missing (apt-get install prometheus)" >&2; exit 2; }

promtool check rules "$mon/rbdgw-alerts.yml"
(cd "$mon" && promtool test rules rbdgw-alerts.test.yml)

work=$(mktemp -d)
gw_pid=""
cleanup() {
  if [ -n "$gw_pid" ] && kill -0 "$gw_pid" 2>/dev/null; then kill "$gw_pid"; wait "$gw_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
. scripts/free-ports.sh
ports=$(free_ports 3)
read -r portal metrics admin <<<"$ports"
java -jar "$jar" standalone --memory --data-dir "$work/data" --listen "127.0.0.1:$portal" \
  --metrics-listen "127.0.0.1:$metrics" --admin-listen "127.0.0.1:$admin" >"$work/gw.out" 2>&1 &
gw_pid=$!
for _ in $(seq 1 120); do
  grep -q 'gateway is up' "$work/gw.out" && break
  kill -0 "$gw_pid" 2>/dev/null || { cat "$work/gw.out" >&2; exit 1; }
  sleep 0.5
done
grep -q 'gateway is up' "$work/gw.out" || { echo "monitoring-test: gateway did not start" >&2; exit 1; }
iscsi-inq "iscsi://127.0.0.1:$portal/iqn.2026-11.io.rbdgw:standalone/0" >/dev/null
iscsi-inq "iscsi://127.0.0.1:$portal/iqn.2026-12.io.rbdgw:no-such-target/0" >/dev/null 2>&1 || true
curl -fsS "http://127.0.0.1:$metrics/metrics" >"$work/scrape.txt"
kill "$gw_pid"; wait "$gw_pid" || true; gw_pid=""

python3 - "$mon/rbdgw-alerts.yml" "$mon/grafana-rbdgw.json" "$work/scrape.txt" <<'PY'
import json, re, sys, yaml
rules_file, dash_file, scrape_file = sys.argv[1:]
exprs = []
for g in yaml.safe_load(open(rules_file))['groups']:
    exprs += [('rules: ' + r.get('alert', r.get('record', '?')), r['expr']) for r in g['rules']]
dash = json.load(open(dash_file))
def walk(panels):
    for p in panels:
        for t in p.get('targets', []):
            yield ('dashboard: ' + p['title'], t['expr'])
        yield from walk(p.get('panels', []))
exprs += list(walk(dash['panels']))
for v in dash['templating']['list']:
    if v.get('type') == 'query':
        exprs.append(('dashboard variable ' + v['name'], v['query']['query'] if isinstance(v['query'], dict) else v['query']))
assert len(exprs) > 30, 'found too few expressions: %d' % len(exprs)
scraped = {line.split('{')[0].split(' ')[0] for line in open(scrape_file) if line.strip() and not line.startswith('#')}
# series Prometheus makes itself, not the gateway
synthetic = {'up'}
name = re.compile(r'\b((?:rbdgw|jvm|process|system)_[a-z0-9_]+|up)\b(?!\s*\()')
missing, used = [], set()
for where, e in exprs:
    for m in name.findall(e):
        used.add(m)
        if m not in scraped and m not in synthetic:
            missing.append('%s uses %s' % (where, m))
if missing:
    sys.exit('metrics not in a live scrape:\n  ' + '\n  '.join(sorted(set(missing))))
print('monitoring-test: %d expressions, %d metric names, all in the live scrape' % (len(exprs), len(used)))
PY
echo "monitoring-test: ok"
