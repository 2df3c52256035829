#!/bin/bash
# ci/nightly end to end on real guests with a short suite: a first night has
# no baseline and exits 0; a second night compares with the first and still
# writes harness compare's output; --baseline DIR is used as given; a bad
# baseline is refused with status 2 before anything runs; --results keeps
# only --keep nights; --history FILE: the three nights are in the results
# history (harness history), each night's status is the history's verdict,
# history.json is beside the night and the report has its history page.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
H=$top/build/bin/harness
out=$top/build/test-nightly
[ "$(id -u)" -eq 0 ] || skip_all "needs root for libvirt's system connection"
[ -x "$H" ] || skip_all "harness not built"
rm -rf "$out" && mkdir -p "$out"
cat >"$out/tiny.yaml" <<'YAML'
suite: tiny
repeats: 3
warmup: 0
guests:
  - name: nightly-a
    image: general
    vcpus: 1
    memory_mib: 512
experiments:
  - type: cpu-contention
    duration_s: 3
    vary:
      shares: ["1024"]
      pinning: none
YAML
hist=$out/history
plan 19

"$top/ci/nightly" --no-build --suite "$out/tiny.yaml" --baseline "$out/nothing" >"$out/bad.out" 2>&1
check "a baseline that is not a results directory: status 2" $(($? != 2))
ok "... and nothing ran" test ! -e "$hist"
db=$out/history.db
mkdir -p "$out/adir"
"$top/ci/nightly" --no-build --suite "$out/tiny.yaml" --history "$out/adir" >"$out/bad2.out" 2>&1
check "--history naming a directory: status 2" $(($? != 2))

"$top/ci/nightly" --no-build --suite "$out/tiny.yaml" --results "$hist" --keep 2 --history "$db" >"$out/n1.out" 2>&1
rc1=$?
sed 's/^/# /' "$out/n1.out" | tail -n 5
check "first night: no baseline, status 0" "$rc1"
n1=$(ls -1d "$hist"/*-tiny | head -n 1)
ok "first night: records, report and compare.txt" test -f "$n1/report.pdf" -a -f "$n1/compare.txt" -a -d "$n1/runs"

"$top/ci/nightly" --no-build --suite "$out/tiny.yaml" --results "$hist" --keep 2 --history "$db" >"$out/n2.out" 2>&1
rc2=$?
sed 's/^/# /' "$out/n2.out" | tail -n 8
n2=$(ls -1d "$hist"/*-tiny | tail -n 1)
ok "second night: compared with the first" grep -qx "$n1" "$n2/baseline.txt"
"$H" compare "$n1" "$n2" >/dev/null 2>&1
diag "$(cat "$n2/compare.txt")"
ok "second night: compare.txt against the first night is written" grep -q 'regression(s) in' "$n2/compare.txt"
"$H" history detect --history "$db" --suite tiny --since 5 >/dev/null 2>&1
check "second night: status is the history's verdict ($rc2)" $((rc2 != $?))

# A baseline outside the history (the history's oldest night goes now).
cp -a "$n1" "$out/base1"
"$top/ci/nightly" --no-build --suite "$out/tiny.yaml" --results "$hist" --keep 2 --history "$db" --baseline "$out/base1" >"$out/n3.out" 2>&1
rc3=$?
n3=$(ls -1d "$hist"/*-tiny | tail -n 1)
ok "--baseline: the given directory is the baseline" grep -qx "$out/base1" "$n3/baseline.txt"
"$H" compare "$out/base1" "$n3" >/dev/null 2>&1
"$H" history detect --history "$db" --suite tiny --since 5 >/dev/null 2>&1
check "third night: status is the history's verdict ($rc3)" $((rc3 != $?))
nights=$("$H" history export --csv --history "$db" | sed 1d | cut -d, -f1 | sort -u | wc -l)
check "the history holds the three nights ($nights)" $((nights != 3))
ok "history.json beside the night, and history.txt" test -s "$n3/history.json" -a -s "$n3/history.txt"
pdftotext "$n3/report.pdf" - 2>/dev/null | grep -q 'History: the recent nights'
check "the report has the history page" $?
ok "--results keeps --keep 2 nights" test "$(ls -1d "$hist"/*/ | wc -l)" -eq 2
ok "the oldest night went first" test ! -e "$n1"

# The gate's re-run: a history whose nights before tonight were 30% faster
# (copies of the third night, scaled, older), the last two of them already
# at tonight's level; tonight makes three at the new level, a regression.
# ci/nightly runs the combination once more and fails only if that agrees.
db2=$out/history2.db
/usr/bin/python3 - "$n3" "$out/fake" <<'PY'
import glob, json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst)
for k in range(22):
    run = "20200101-%06d-tiny" % k
    d = os.path.join(dst, run)
    os.makedirs(os.path.join(d, "runs"))
    shutil.copy(os.path.join(src, "env.json"), d)
    for p in glob.glob(os.path.join(src, "runs", "*.json")):
        r = json.load(open(p))
        r["suite_run"] = run
        r["started"] -= (30 - k) * 86400
        if k < 20 and r.get("ok"):
            for g in r["guests"]:
                g["guest"]["units_per_s"] *= 1.3
        json.dump(r, open(os.path.join(d, "runs", os.path.basename(p)), "w"))
PY
"$H" history add --history "$db2" "$out"/fake/*-tiny 2>/dev/null
"$top/ci/nightly" --no-build --suite "$out/tiny.yaml" --results "$hist" --keep 2 --history "$db2" >"$out/n4.out" 2>&1
rc4=$?
sed 's/^/# /' "$out/n4.out" | grep -E 'nightly:|REGRESSION|re-run' | tail -n 8
n4=$(ls -1d "$hist"/*-tiny | tail -n 1)
check "a 23% drop over three nights: status 1 (the re-run agreed)" $((rc4 != 1))
ok "the affected combination was run again (rerun.yaml, rerun/)" test -s "$n4/rerun.yaml" -a -d "$n4/rerun"
ok "... and detection ran again with it (history-confirm.txt)" grep -q REGRESSION "$n4/history-confirm.txt"
check "the re-run is in the history as one" $(( $(sqlite3 "$db2" "select count(*) from nights where kind = 'rerun'") != 1 ))
done_testing
