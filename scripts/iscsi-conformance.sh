#!/usr/bin/env bash
# iscsi-conformance.sh URL OUTDIR
#
# Runs libiscsi's conformance suite (iscsi-test-cu, Debian package libiscsi-bin)
# against ANY iSCSI target LUN and writes:
#   OUTDIR/raw.log              every suite's full iscsi-test-cu output, concatenated, with headers
#   OUTDIR/suites/<S>.log       the same, one file per suite
#   OUTDIR/tests.tsv            one row per test: family suite test status n_failed_asserts message
#   OUTDIR/summary.tsv          one row per suite: family.suite tests pass fail skip timeout crash notrun rc wall_s
#   OUTDIR/totals.txt           totals over all suites + CUnit's own counters + wall time
#
# URL is a LUN URL: iscsi://[user[%pass]@]127.0.0.1[:port]/<target-iqn>/<lun>
#
# Each suite (e.g. SCSI.Read10, iSCSI.iSCSITMF) runs in its OWN iscsi-test-cu process
# under a timeout, because a single hang (target or test-tool) would otherwise stop the
# whole suite. If a suite times out or crashes, the tests it did not finish are retried one by one
# (each in its own process; the status then comes from that retry, marked '[single-test retry]').
#
# Status per test (from CUnit's verdict; libiscsi prints skips as "[SKIPPED]" but CUnit
# counts them as passed):
#   FAIL     CUnit verdict FAILED
#   SKIP     CUnit verdict passed, and the test printed at least one "[SKIPPED]" line
#            (feature reported as not implemented / not applicable by the target)
#   PASS     CUnit verdict passed, no "[SKIPPED]" line
#   TIMEOUT  the test started but had no verdict when the timeout killed the process
#   CRASH    the test started but iscsi-test-cu died of a signal (e.g. segfault, rc 139) first
#   NOTRUN   listed by --list but never started (e.g. login failed)
#
# Environment knobs (all optional):
#   INIT1 / INIT2    initiator names (-i / -I)   [iqn.2026-11.test:init1 / iqn.2026-11.test:init2]
#   MPATH_URL        second URL for MultipathIO tests [same as URL]; "none" = do not pass one
#   FAMILIES         families to run [ "SCSI iSCSI" ]  (ALL = SCSI + iSCSI; LINUX = sg devices only)
#   ONLY             extended regex; only suites whose FAMILY.SUITE name matches run
#   EXCLUDE          extended regex; suites whose FAMILY.SUITE name matches are left out
#                    (e.g. to run reservation suites separately when a target leaks a reservation
#                    into later suites: EXCLUDE='Prout|Prin|Reserve6', then ONLY='Prout|Prin|Reserve6')
#   PRE_SUITE_CMD    shell command run before every suite (e.g. restart the target so that state
#                    such as a leaked reservation cannot spill into the next suite) [none]
#   SUITE_TIMEOUT    seconds per suite process [300]
#   TEST_TIMEOUT     seconds per single-test retry process [60]
#   DATALOSS         1 = pass -d (destructive tests: writes to the LUN!) [1]
#   SANITIZE         1 = pass -S (SANITIZE opcode tests) [1]
#   TESTCU           path of iscsi-test-cu [iscsi-test-cu]
set -u

if [ $# -lt 2 ]; then
  echo "usage: $0 iscsi://HOST[:PORT]/IQN/LUN OUTDIR" >&2
  exit 2
fi
URL=$1
OUT=$2
INIT1=${INIT1:-iqn.2026-11.test:init1}
INIT2=${INIT2:-iqn.2026-11.test:init2}
MPATH_URL=${MPATH_URL:-$URL}
FAMILIES=${FAMILIES:-"SCSI iSCSI"}
ONLY=${ONLY:-.}
EXCLUDE=${EXCLUDE:-}
PRE_SUITE_CMD=${PRE_SUITE_CMD:-}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-300}
TEST_TIMEOUT=${TEST_TIMEOUT:-60}
DATALOSS=${DATALOSS:-1}
SANITIZE=${SANITIZE:-1}
TESTCU=${TESTCU:-iscsi-test-cu}

command -v "$TESTCU" >/dev/null || { echo "$TESTCU not found (apt-get install libiscsi-bin)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is needed for the summary" >&2; exit 2; }

mkdir -p "$OUT/suites" "$OUT/tests"
: > "$OUT/raw.log"

OPTS=(-i "$INIT1" -I "$INIT2")
[ "$DATALOSS" = 1 ] && OPTS+=(-d)
[ "$SANITIZE" = 1 ] && OPTS+=(-S)
TAIL=("$URL")
[ "$MPATH_URL" != none ] && TAIL+=("$MPATH_URL")

{
  echo "date: $(date -u +%FT%TZ)"
  echo "url: $URL"
  echo "mpath_url: $MPATH_URL"
  echo "iscsi-test-cu: $(command -v "$TESTCU") ($(dpkg-query -W -f='${Package} ${Version}' libiscsi-bin 2>/dev/null || echo unknown))"
  echo "options: ${OPTS[*]}"
  echo "families: $FAMILIES  only: $ONLY  exclude: ${EXCLUDE:-none}  pre_suite_cmd: ${PRE_SUITE_CMD:-none}  suite_timeout: $SUITE_TIMEOUT  test_timeout: $TEST_TIMEOUT"
} > "$OUT/meta.txt"

# Sanity: can we log in at all?
if command -v iscsi-inq >/dev/null; then
  if ! timeout 20 iscsi-inq -i "$INIT1" "$URL" > "$OUT/inquiry.txt" 2>&1; then
    echo "WARNING: iscsi-inq $URL failed; see $OUT/inquiry.txt (continuing)" | tee -a "$OUT/meta.txt" >&2
  fi
fi

"$TESTCU" --list > "$OUT/list.txt" 2>&1
SUITES=()
for fam in $FAMILIES; do
  while read -r s; do
    [ -n "$EXCLUDE" ] && grep -qE -- "$EXCLUDE" <<<"$s" && continue
    SUITES+=("$s")
  done < <(awk -F. -v f="$fam" 'NF==2 && $1==f' "$OUT/list.txt" | grep -E -- "$ONLY")
done
[ ${#SUITES[@]} -gt 0 ] || { echo "no suites selected" >&2; exit 2; }

# suite -> rc, wall
: > "$OUT/suite-runs.tsv"
T0=$(date +%s.%N)
for s in "${SUITES[@]}"; do
  log="$OUT/suites/$s.log"
  [ -n "$PRE_SUITE_CMD" ] && bash -c "$PRE_SUITE_CMD" >> "$OUT/pre-suite-cmd.log" 2>&1
  t1=$(date +%s.%N)
  timeout -k 10 "$SUITE_TIMEOUT" "$TESTCU" "${OPTS[@]}" -t "$s" "${TAIL[@]}" > "$log" 2>&1 < /dev/null
  rc=$?
  t2=$(date +%s.%N)
  wall=$(python3 -c "print(f'{$t2-$t1:.3f}')")
  printf '%s\t%s\t%s\n' "$s" "$rc" "$wall" >> "$OUT/suite-runs.tsv"
  { echo "===== SUITE $s  rc=$rc  wall_s=$wall"; cat "$log"; echo; } >> "$OUT/raw.log"
  echo "$s rc=$rc wall=${wall}s" >&2
  if [ "$rc" = 124 ] || [ "$rc" -ge 128 ]; then
    # Timeout (124, or 137 after the -k kill) or crash (128+signal): retry the tests that got
    # no verdict one by one (the hung/crashing one will simply time out/crash again).
    done_tests=$(python3 - "$log" <<'PY'
import re,sys
txt=open(sys.argv[1],errors='replace').read()
for m in re.finditer(r'^  Test: (\S+) \.\.\.(.*?)(?=^  Test: |^Suite: |^Run Summary|\Z)', txt, re.S|re.M):
    if re.search(r'(^|\.\.\.)(passed|FAILED)', m.group(0), re.M): print(m.group(1))
PY
)
    for t in $(awk -F. -v s="$s" 'NF==3 && ($1"."$2)==s {print $3}' "$OUT/list.txt"); do
      if ! grep -qx -- "$t" <<<"$done_tests"; then
        tlog="$OUT/tests/$s.$t.log"
        timeout -k 10 "$TEST_TIMEOUT" "$TESTCU" "${OPTS[@]}" -t "$s.$t" "${TAIL[@]}" > "$tlog" 2>&1 < /dev/null
        trc=$?
        printf '%s\t%s\tretry\n' "$s.$t" "$trc" >> "$OUT/suite-runs.tsv"
        { echo "===== RETRY $s.$t  rc=$trc"; cat "$tlog"; echo; } >> "$OUT/raw.log"
        echo "  retry $s.$t rc=$trc" >&2
      fi
    done
  fi
done
T1=$(date +%s.%N)
WALL=$(python3 -c "print(f'{$T1-$T0:.1f}')")

python3 - "$OUT" "$WALL" <<'PY'
import re, sys, os, collections
out, wall = sys.argv[1], sys.argv[2]
listing = [l.strip() for l in open(os.path.join(out, 'list.txt'))]
runs = {}
retry_rc = {}
for l in open(os.path.join(out, 'suite-runs.tsv')):
    p = l.rstrip('\n').split('\t')
    if len(p) >= 3 and p[2] != 'retry':
        runs[p[0]] = (p[1], p[2])
    elif len(p) >= 3:
        retry_rc[p[0]] = p[1]

blk = re.compile(r'^  Test: (\S+) \.\.\.(.*?)(?=^  Test: |^Suite: |^Run Summary|\Z)', re.S | re.M)
verdict = re.compile(r'(?:^|\.\.\.)(passed|FAILED)', re.M)

def novd(rc):
    try: rc = int(rc)
    except Exception: return 'TIMEOUT'
    if rc in (124, 137): return 'TIMEOUT'
    if rc >= 128: return 'CRASH'
    return 'TIMEOUT'

def parse(path, rc=''):
    res = {}
    cu = None
    if not os.path.exists(path):
        return res, cu
    txt = open(path, errors='replace').read()
    for m in blk.finditer(txt):
        name, body = m.group(1), m.group(0)
        v = verdict.search(body)
        if not v:
            st = novd(rc)
            res[name] = (st, 0, 'no verdict: ' + ('killed by timeout' if st == 'TIMEOUT' else f'iscsi-test-cu died, rc={rc}'))
            continue
        pre = body[:v.start()]
        post = body[v.end():]
        nfail = len(re.findall(r'^\s+\d+\. \S+:\d+\s+- ', post, re.M))
        first = ''
        for x in pre.split('\n'):
            if '[FAILED]' in x: first = x[x.index('[FAILED]'):].strip(); break
        if v.group(1) == 'FAILED':
            if not first:
                fl = re.search(r'^\s+1\. (.*)$', post, re.M)
                first = fl.group(1).strip() if fl else ''
            res[name] = ('FAIL', nfail, first)
        elif '[SKIPPED]' in pre:
            sk = re.search(r'\[SKIPPED\][^\n]*', pre)
            res[name] = ('SKIP', 0, sk.group(0).strip())
        else:
            res[name] = ('PASS', 0, '')
    m = re.search(r'tests\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\n\s*asserts\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', txt)
    if m:
        cu = tuple(int(x) for x in m.groups())
    return res, cu

rows = []
summ = []
fam_tot = collections.OrderedDict()
cu_tot = [0] * 9
cu_missing = []
for suite in runs:
    res, cu = parse(os.path.join(out, 'suites', suite + '.log'), runs[suite][0])
    if cu:
        cu_tot = [a + b for a, b in zip(cu_tot, cu)]
    else:
        cu_missing.append(suite)
    tests = [l.split('.')[2] for l in listing if l.count('.') == 2 and l.startswith(suite + '.')]
    c = collections.Counter()
    for t in tests:
        st = res.get(t)
        if st is None or st[0] in ('TIMEOUT', 'CRASH'):
            r, _ = parse(os.path.join(out, 'tests', suite + '.' + t + '.log'), retry_rc.get(suite + '.' + t, ''))
            if t in r:
                st = (r[t][0], r[t][1], (r[t][2] + ' [single-test retry]').strip())
            elif st is None:
                st = ('NOTRUN', 0, 'never started')
        c[st[0]] += 1
        fam, sname = suite.split('.', 1)
        rows.append((fam, sname, t, st[0], str(st[1]), st[2].replace('\t', ' ')))
    rc, w = runs[suite]
    summ.append((suite, len(tests), c['PASS'], c['FAIL'], c['SKIP'], c['TIMEOUT'], c['CRASH'], c['NOTRUN'], rc, w))
    fam = suite.split('.')[0]
    f = fam_tot.setdefault(fam, collections.Counter())
    f['tests'] += len(tests)
    for k in ('PASS', 'FAIL', 'SKIP', 'TIMEOUT', 'CRASH', 'NOTRUN'):
        f[k] += c[k]

with open(os.path.join(out, 'tests.tsv'), 'w') as fh:
    fh.write('family\tsuite\ttest\tstatus\tn_failed_asserts\tmessage\n')
    for r in rows:
        fh.write('\t'.join(r) + '\n')
with open(os.path.join(out, 'summary.tsv'), 'w') as fh:
    fh.write('suite\ttests\tpass\tfail\tskip\ttimeout\tcrash\tnotrun\trc\twall_s\n')
    for s in summ:
        fh.write('\t'.join(str(x) for x in s) + '\n')
    T = collections.Counter()
    for f, c in fam_tot.items():
        fh.write(f'TOTAL.{f}\t{c["tests"]}\t{c["PASS"]}\t{c["FAIL"]}\t{c["SKIP"]}\t{c["TIMEOUT"]}\t{c["CRASH"]}\t{c["NOTRUN"]}\t\t\n')
        T.update(c)
    fh.write(f'TOTAL\t{T["tests"]}\t{T["PASS"]}\t{T["FAIL"]}\t{T["SKIP"]}\t{T["TIMEOUT"]}\t{T["CRASH"]}\t{T["NOTRUN"]}\t\t{wall}\n')
with open(os.path.join(out, 'totals.txt'), 'w') as fh:
    fh.write(f'suites: {len(summ)}\n')
    fh.write(f'tests: {T["tests"]}  pass: {T["PASS"]}  fail: {T["FAIL"]}  skip: {T["SKIP"]}  timeout: {T["TIMEOUT"]}  crash: {T["CRASH"]}  notrun: {T["NOTRUN"]}\n')
    fh.write(f'CUnit counters summed over suite runs (tests total/ran/passed/failed/inactive, asserts total/ran/passed/failed): {cu_tot}\n')
    if cu_missing:
        fh.write(f'suites without a CUnit Run Summary (killed/crashed): {" ".join(cu_missing)}\n')
    fh.write(f'wall_s: {wall}\n')
print(open(os.path.join(out, 'totals.txt')).read(), end='')
PY
