#!/bin/bash
# harness compare on real records: ten interleaved repeats of one
# cpu-contention setting (both guests at 1024:1024 on one host CPU, TCG),
# split into A (odd repeats) and A' (even repeats), five runs a side, with
# the env.json of that run (tests/data/compare/, recorded and trimmed by
# tests/compare/record.sh from tests/compare/stats-aa.yaml). A against A' is "no regression"; A against a copy of A' whose
# units_per_s is scaled by 0.85 is a regression of units_per_s alone; a copy
# whose env.json names another QEMU version is refused unless
# --allow-env-change; two runs a side cannot detect anything and say so.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
H=$top/build/bin/harness
PY=/usr/bin/python3
data=$top/harness/tests/data/compare
[ -x "$H" ] || skip_all "harness not built"
[ -d "$data/a/runs" ] && [ -d "$data/b/runs" ] ||
	skip_all "no real records in harness/tests/data/compare: record them once with harness/tests/compare/record.sh under the guest lock"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

plan 9
A=$data/a
B=$data/b
test "$(ls "$A/runs" | wc -l)" -ge 5 && test "$(ls "$B/runs" | wc -l)" -ge 5
check "at least five real runs a side" $?
. "$top/guest/tests/schema.sh"
schema=$top/harness/schema/run.schema.json
if [ $have_jsonschema = 1 ]; then
	rc=0
	for f in "$A"/runs/*.json "$B"/runs/*.json; do valid "$f" || rc=1; done
	check "the records validate against run.schema.json" $rc
else
	echo "ok 2 # SKIP python3-jsonschema missing"; tap_n=$((tap_n + 1))
fi

"$H" compare "$A" "$B" >"$tmp/aa.txt" 2>&1
rc=$?
diag "$(cat "$tmp/aa.txt")"
check "A against A': no regression, exit 0" $(( rc != 0 || ! $(grep -c '^0 regression(s)' "$tmp/aa.txt") ))

# A' with one metric scaled by 0.85.
cp -r "$B" "$tmp/slow"
$PY - "$tmp/slow/runs" <<'PY'
import glob, json, sys
for p in glob.glob(sys.argv[1] + "/*.json"):
    r = json.load(open(p))
    for g in r["guests"]:
        g["guest"]["units_per_s"] *= 0.85
    json.dump(r, open(p, "w"))
PY
"$H" compare "$A" "$tmp/slow" >"$tmp/slow.txt" 2>&1
rc=$?
diag "$(cat "$tmp/slow.txt")"
check "A against A' x 0.85: exit 1" $(( rc != 1 ))
regs=$(grep REGRESSION "$tmp/slow.txt")
test -n "$regs" && ! echo "$regs" | grep -v -q ' units_per_s '
check "the regressions are units_per_s alone" $?

"$H" compare --json "$A" "$tmp/slow" >"$tmp/slow.json" 2>/dev/null
$PY - "$tmp/slow.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["method"]["correction"] == "holm"
regs = [c for c in j["comparisons"] if c["regression"]]
assert regs and all(c["metric"] == "units_per_s" for c in regs), regs
for c in regs:
    assert c["rel_change_ci95_high"] < 0 and c["p_holm"] < 0.05 and c["p_exact"], c
    assert abs(c["metric_mean_rel_change"]) >= 0.05
assert j["regressions"] == len(regs)
PY
check "--json: Holm-adjusted p, a bootstrap CI below zero, the noise guard's mean change" $?

# Another QEMU version in the new run's environment.
cp -r "$B" "$tmp/qemu"
$PY - "$tmp/qemu/env.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
e["qemu_version"] = e["qemu_version"] + "-other"
json.dump(e, open(sys.argv[1], "w"))
PY
"$H" compare "$A" "$tmp/qemu" >"$tmp/qemu.txt" 2>&1
rc=$?
diag "$(cat "$tmp/qemu.txt")"
check "another QEMU version: refused with exit 2, naming it" $(( rc != 2 || ! $(grep -c "QEMU version: '.*' vs '.*-other'" "$tmp/qemu.txt") ))
"$H" compare --allow-env-change "$A" "$tmp/qemu" >"$tmp/qemu2.txt" 2>&1
check "--allow-env-change compares anyway: no regression" $?

# Two runs a side: the permutation test cannot reach p < 0.05.
mkdir -p "$tmp/a2/runs" "$tmp/b2/runs"
cp "$A/env.json" "$tmp/a2/"
cp "$B/env.json" "$tmp/b2/"
cp $(ls "$A"/runs/*.json | head -n 2) "$tmp/a2/runs/"
cp $(ls "$B"/runs/*.json | head -n 2) "$tmp/b2/runs/"
for p in "$tmp"/b2/runs/*.json; do
	$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); [g["guest"].update(units_per_s=g["guest"]["units_per_s"]*0.5) for g in r["guests"]]; json.dump(r, open(sys.argv[1], "w"))' "$p"
done
"$H" compare "$tmp/a2" "$tmp/b2" >"$tmp/two.txt" 2>&1
rc=$?
diag "$(cat "$tmp/two.txt")"
check "two runs a side, even halved: cannot detect, says how many runs it needs, exit 0" \
	$(( rc != 0 || ! $(grep -c 'cannot detect: needs >= 5 runs a side' "$tmp/two.txt") ))
done_testing
