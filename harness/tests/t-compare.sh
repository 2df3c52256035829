#!/bin/bash
# harness compare on real records: two runs of one short suite, A then A',
# one after the other on this host (tests/compare/stats-aa.yaml: the quick
# suite's shape, two guests on one host CPU at 1024:1024 and 2048:1024, 5 s a
# run, repeats: auto with min 6), recorded and trimmed by
# tests/compare/record.sh into tests/data/compare/{a,b}. A against A' is "no
# regression" with every line testable; A against a copy of A' whose
# units_per_s is scaled by 0.85 is a regression of units_per_s alone; a copy
# whose env.json names another QEMU version is refused unless
# --allow-env-change; two runs a side cannot detect anything and say how
# many they need. The same records show where repeats: auto stopped on real
# guests, and the stop is checked against the CIs computed here from the
# records.
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

plan 21
A=$data/a
B=$data/b
$PY - "$A" "$B" <<'PY'
import collections, glob, json, sys
for d in sys.argv[1:]:
    recs = [json.load(open(p)) for p in glob.glob(d + "/runs/*.json")]
    n = collections.Counter(json.dumps(r["settings"], sort_keys=True) for r in recs
                            if r["ok"] and not r["warmup"])
    assert len(n) == 2 and min(n.values()) >= 6, (d, n)
a, b = (json.load(open(d + "/env.json"))["plan"]["seed"] for d in sys.argv[1:])
assert a != b, "A and A' are the same run"
PY
check "two real runs, each with >= 6 runs in each of its two settings" $?
. "$top/guest/tests/schema.sh"
schema=$top/harness/schema/run.schema.json
if [ $have_jsonschema = 1 ]; then
	rc=0
	for f in "$A"/runs/*.json "$B"/runs/*.json; do valid "$f" || rc=1; done
	check "the records validate against run.schema.json" $rc
else
	echo "ok $((tap_n + 1)) # SKIP python3-jsonschema missing"; tap_n=$((tap_n + 1))
fi

# A/A: the false-positive check.
"$H" compare "$A" "$B" >"$tmp/aa.txt" 2>&1
rc=$?
diag "$(cat "$tmp/aa.txt")"
check "A against A': no regression, exit 0" $(( rc != 0 || ! $(grep -c '^0 regression(s)' "$tmp/aa.txt") ))
"$H" compare --json "$A" "$B" >"$tmp/aa.json" 2>/dev/null
$PY - "$tmp/aa.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
c = j["comparisons"]
assert len(c) == 12, len(c)
assert not any("runs_needed" in x for x in c), [x for x in c if "runs_needed" in x]
assert j["regressions"] == 0 and not any(x["regression"] for x in c)
PY
check "A against A': all 12 lines could have detected a change (the no is not for want of runs)" $?

# scale_units DIR VM1 VM2: a copy of A' in DIR, each guest's units_per_s
# times its factor.
scale_units() {
	cp -r "$B" "$1"
	$PY - "$1/runs" "$2" "$3" <<'PY'
import glob, json, sys
k = {"vm1": float(sys.argv[2]), "vm2": float(sys.argv[3])}
for p in glob.glob(sys.argv[1] + "/*.json"):
    r = json.load(open(p))
    for g in r["guests"]:
        g["guest"]["units_per_s"] *= k[g["name"]]
    json.dump(r, open(p, "w"))
PY
}

# A' with one metric scaled by 0.85.
scale_units "$tmp/slow" 0.85 0.85
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
    assert c["metric_mean_rel_change"] <= -0.05, c
assert j["regressions"] == len(regs)
# A units_per_s line left unflagged is one whose own noise hides 15 %:
# its bootstrap CI reaches above -5 % (the floor), or the data are too few.
for c in j["comparisons"]:
    if c["metric"] == "units_per_s" and not c["regression"]:
        assert c["rel_change_ci95_high"] > -0.05, c
PY
check "--json: Holm-adjusted p, a bootstrap CI below zero, the noise guard's mean change; unflagged units_per_s lines are the noisy ones" $?

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

# Two runs a side: the permutation test cannot reach p < 0.05 / 12.
mkdir -p "$tmp/a2/runs" "$tmp/b2/runs"
cp "$A/env.json" "$tmp/a2/"
cp "$B/env.json" "$tmp/b2/"
for s in shares=1024_1024 shares=2048_1024; do
	cp $(ls "$A"/runs/*"$s"*.json | head -n 2) "$tmp/a2/runs/"
	cp $(ls "$B"/runs/*"$s"*.json | head -n 2) "$tmp/b2/runs/"
done
for p in "$tmp"/b2/runs/*.json; do
	$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); [g["guest"].update(units_per_s=g["guest"]["units_per_s"]*0.5) for g in r["guests"]]; json.dump(r, open(sys.argv[1], "w"))' "$p"
done
"$H" compare "$tmp/a2" "$tmp/b2" >"$tmp/two.txt" 2>&1
rc=$?
diag "$(cat "$tmp/two.txt")"
# 12 lines: the smallest two-sided p with k runs a side is 2/C(2k,k), below
# 0.05/12 from k = 6 (2/924) on.
check "two runs a side, even halved: cannot detect, says it needs 6 runs a side, exit 0" \
	$(( rc != 0 || ! $(grep -c 'cannot detect: needs >= 6 runs a side' "$tmp/two.txt") ))

# The quick suite's 6 repeats: the first 6 rounds of each run, compared,
# leave no line untestable.
for side in a b; do
	mkdir -p "$tmp/six-$side/runs"
	cp "$data/$side/env.json" "$tmp/six-$side/"
	for k in 1 2 3 4 5 6; do cp "$data/$side"/runs/*-r$k.json "$tmp/six-$side/runs/"; done
done
"$H" compare --json "$tmp/six-a" "$tmp/six-b" >"$tmp/six.json" 2>/dev/null
rc=$?
$PY - "$tmp/six.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["comparisons"]
assert len(c) == 12 and all(x["runs_base"] == x["runs_new"] == 6 for x in c), c
assert not any("runs_needed" in x for x in c), [x for x in c if "runs_needed" in x]
PY
check "6 runs a side (the quick suite's repeats): all 12 lines testable, no regression" $(( rc != 0 || $? != 0 ))

# Issue 20, item 5: each compare fix on the recorded runs.
# (1) "cannot detect" from Holm's real thresholds: every value of A' scaled
# by 0.1 (every line far apart) and vm2's host_cpu_util at 2048:1024 left in
# 4 runs a side: its p = 2/70 = 0.0286 passes Holm's last step (the 11 other
# lines rejected first), so it is a change, not "cannot detect" (min_p x 12
# would have said so).
cp -r "$A" "$tmp/h-a"
cp -r "$B" "$tmp/h-b"
$PY - "$tmp/h-a/runs" "$tmp/h-b/runs" <<'PY'
import glob, json, sys
for side, d in enumerate(sys.argv[1:]):
    for p in glob.glob(d + "/*.json"):
        r = json.load(open(p))
        for g in r["guests"]:
            if side:
                g["guest"]["units_per_s"] *= 0.1
                g["measured_share"] *= 0.1
                g["host_cpu_util"] *= 0.1
            if g["name"] == "vm2" and r["settings"]["shares"] == "2048:1024" and r["repeat"] > 4:
                del g["host_cpu_util"]
        json.dump(r, open(p, "w"))
PY
"$H" compare --json "$tmp/h-a" "$tmp/h-b" >"$tmp/holm.json" 2>/dev/null
$PY - "$tmp/holm.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["comparisons"]
l = [x for x in c if x["runs_base"] == 4]
assert len(l) == 1 and l[0]["metric"] == "host_cpu_util" and l[0]["guest"] == "vm2", l
l = l[0]
assert abs(l["p"] - 2 / 70) < 1e-12 and l["p_holm"] < 0.05, l
assert l["verdict"] == "changed" and "runs_needed" not in l, l
assert not any(x["verdict"] == "cannot detect" for x in c), c
PY
check "a 4-vs-4 line Holm rejects (p = p_holm = 0.0286) is a change, not 'cannot detect'" $?

# (2) The noise guard per guest: vm1's units_per_s x 0.85, vm2's x 1.15 (a
# guest whose change is the opposite): over all lines the metric's mean
# change is about 0, which hid vm1's significant 15 % drop at 2048:1024 as
# "within noise"; per guest it is a regression.
scale_units "$tmp/guard" 0.85 1.15
"$H" compare --json "$A" "$tmp/guard" >"$tmp/guard.json" 2>/dev/null
rc=$?
$PY - "$tmp/guard.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["comparisons"]
u = [x for x in c if x["metric"] == "units_per_s"]
assert abs(sum(x["rel_change"] for x in u) / len(u)) < 0.05, u
l = [x for x in u if x["guest"] == "vm1" and x["settings"].startswith("shares=2048")][0]
assert l["p_holm"] < 0.05 and l["regression"] and l["verdict"] == "REGRESSION", l
assert l["metric_mean_rel_change"] <= -0.05, l
assert not any(x["verdict"] == "within noise" for x in c), c
PY
check "one guest's opposite change does not hide vm1's 15 % drop as 'within noise' (exit 1)" $(( rc != 1 || $? != 0 ))

# (3) Records naming a guest twice are bad input, named, not extra runs; a
# second copy of a record (the same run_id) is refused naming both files.
cp -r "$B" "$tmp/dupname"
for p in "$tmp"/dupname/runs/*.json; do sed -i 's/"name":"vm2"/"name":"vm1"/' "$p"; done
"$H" compare "$A" "$tmp/dupname" >"$tmp/dupname.txt" 2>&1
rc=$?
diag "$(head -n 3 "$tmp/dupname.txt")"
check "records naming a guest twice: refused and named, exit 2" \
	$(( rc != 2 || ! $(grep -c "names guest 'vm1' twice (bad input); skipped" "$tmp/dupname.txt") ))
cp -r "$B" "$tmp/dupid"
for p in "$tmp"/dupid/runs/*.json; do cp "$p" "$tmp/dupid/runs/zz-${p##*/}"; done
"$H" compare --json "$A" "$tmp/dupid" >"$tmp/dupid.json" 2>"$tmp/dupid.err"
rc=$?
$PY - "$tmp/dupid.json" "$tmp/aa.json" <<'PY'
import json, sys
c, aa = (json.load(open(p))["comparisons"] for p in sys.argv[1:])
assert all(x["runs_new"] == 8 for x in c), [x["runs_new"] for x in c]
assert [x["p"] for x in c] == [x["p"] for x in aa]
PY
check "copies of records (same run_id): refused naming both files, the runs counted once" \
	$(( rc != 0 || $? != 0 || $(grep -c "/zz-.*' has the run_id .* of '.*/runs/0.*' (a duplicate record, bad input); skipped" "$tmp/dupid.err") != 16 ))

# (4) The labels say which test compare runs.
"$H" experiments cpu-contention >"$tmp/exp.txt"
grep -q "compare = permutation test, Holm" "$tmp/exp.txt" && ! grep -qi welch "$tmp/exp.txt"
check "harness experiments: compare = permutation test (not Welch's t-test)" $?
"$H" compare --json "$A" "$B" 2>/dev/null | grep -q '"ci":.*"studentized (bootstrap-t)'
check "compare --json names the studentized bootstrap" $?

# (6) The bootstrap CI on A/A splits of the recorded runs (4-8 runs a side,
# 10 splits each, harness/bench/compare-rates.sh): at most 6 % of 95 % CIs
# exclude 0 (the percentile bootstrap excluded it in 9.2 % of these).
AA_SPLITS=0 SCALED_SPLITS=0 COV_SPLITS=10 HARNESS=$H "$top/harness/bench/compare-rates.sh" >"$tmp/cov.txt" 2>&1
diag "$(cat "$tmp/cov.txt")"
read -r ex n < <(sed -n 's/^coverage, 4-8 runs a side: \([0-9]*\) of \([0-9]*\) CIs.*/\1 \2/p' "$tmp/cov.txt")
check "A/A bootstrap CIs that exclude 0: ${ex:-?} of ${n:-?}, at most 6 %" $(( ${n:-0} < 600 || 100 * ${ex:-999} > 6 * ${n:-1} ))

# repeats: auto on real guests: where each run stopped and why, checked
# against the relative 95% CI half-widths computed here from its records
# (t quantiles from a table, not from the harness).
for side in a b; do
	$PY - "$data/$side" >"$tmp/auto-$side.txt" 2>&1 <<'PY'
import glob, json, math, re, statistics, sys
d = sys.argv[1]
T975 = {1: 12.706205, 2: 4.302653, 3: 3.182446, 4: 2.776445, 5: 2.570582, 6: 2.446912,
        7: 2.364624, 8: 2.306004, 9: 2.262157, 10: 2.228139, 11: 2.200985}
rep = json.load(open(d + "/summary.json"))["repeats"]
assert rep["mode"] == "auto" and (rep["min"], rep["max"], rep["target_ci"]) == (6, 8, 0.05), rep
recs = [json.load(open(p)) for p in glob.glob(d + "/runs/*.json")]
recs = [r for r in recs if r["ok"] and not r["warmup"]]
rounds = max(r["repeat"] for r in recs)
assert all(sum(1 for r in recs if r["repeat"] == k) == 2 for k in range(1, rounds + 1)), "a round is incomplete"

def widest(upto):
    w = 0
    groups = {}
    for r in recs:
        if r["repeat"] <= upto:
            groups.setdefault(json.dumps(r["settings"], sort_keys=True), []).append(r)
    for rs in groups.values():
        for name in ("vm1", "vm2"):
            gs = [[g for g in r["guests"] if g["name"] == name][0] for r in rs]
            for vals in ([g["guest"]["units_per_s"] for g in gs], [g["measured_share"] for g in gs],
                         [g["host_cpu_util"] for g in gs]):
                m, n = statistics.mean(vals), len(vals)
                w = max(w, T975[n - 1] * statistics.stdev(vals) / math.sqrt(n) / abs(m))
    return w

why = rep["stopped"]
print("stopped:", why)
w = widest(rounds)
print("rounds %d, widest %.4g%%" % (rounds, 100 * w))
m = re.match(r"target reached after (\d+) rounds: .* \(widest ([0-9.e+-]+)%", why)
if m:
    assert int(m.group(1)) == rounds and rep["min"] <= rounds <= rep["max"], why
    assert w <= rep["target_ci"], "stopped on a target it had not reached"
else:
    m = re.match(r"maximum of (\d+) rounds reached; the widest relative 95% CI half-width is ([0-9.e+-]+)%", why)
    assert m and int(m.group(1)) == rounds == rep["max"], why
    assert w > rep["target_ci"], "ran to the maximum though the target was reached"
assert abs(float(m.group(2)) - 100 * w) <= 0.01 * 100 * w, (m.group(2), 100 * w)
for k in range(rep["min"], rounds):
    assert widest(k) > rep["target_ci"], "the target was reached after round %d already" % k
PY
	check "repeats: auto in run $side: stopped where its CIs say, and says why" $?
	diag "$(cat "$tmp/auto-$side.txt")"
done
if command -v gnuplot >/dev/null && command -v groff >/dev/null && command -v ps2pdf >/dev/null &&
	command -v pdftotext >/dev/null; then
	"$H" report "$A" -o "$tmp/a.pdf" >/dev/null 2>&1 &&
		pdftotext -f 1 -l 1 "$tmp/a.pdf" - | tr '\n' ' ' >"$tmp/a-p1.txt"
	grep -q "Repeats: auto, at least 6 and at most 8 rounds" "$tmp/a-p1.txt" &&
		grep -q "(stopped: maximum of 8 rounds reached; the widest relative 95% CI half-width is 35.4%" "$tmp/a-p1.txt"
	check "the report's first page gives repeats: auto's bounds and why the rounds stopped" $?
else
	skip "gnuplot, groff, ps2pdf or pdftotext missing (make deps)"
fi
done_testing
