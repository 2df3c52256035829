#!/bin/bash
# The PDF report from a results directory made here with known values: the
# accelerator on the first page, the table of measured against expected
# shares, the plots, failures listed with their reason, and clear errors for
# a directory that is not a finished run. Needs gnuplot, groff, ghostscript.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
H=$top/build/bin/harness
[ -x "$H" ] || skip_all "harness not built"
command -v gnuplot >/dev/null && command -v groff >/dev/null && command -v ps2pdf >/dev/null ||
	skip_all "gnuplot, groff or ps2pdf missing (make deps)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d=$tmp/20260101-000000-t
mkdir -p "$d/runs"

cat >"$d/env.json" <<'JSON'
{"schema": "harness-env/1", "accelerator": {"name": "tcg", "reason": "no usable /dev/kvm"},
 "host_cpu": "Test CPU", "host_cpus": 2, "cpu_weight_mechanism": "nice",
 "cpu_weight_reason": "test reason", "images": [{"guest": "vm1", "image": "general", "suite": "stable",
 "kernel": "6.12", "digest": "abc"}]}
JSON
for r in 1 2; do
	cat >"$d/runs/00$r-cpu-contention-r$r.json" <<JSON
{"schema": "harness-run/1", "run_id": "00$r-cpu-contention-r$r", "experiment": "cpu-contention", "ok": true,
 "settings": {"shares": "2048:1024", "pinning": "same"}, "fairness_index": 0.99,
 "series": {"t": [0.5, 1.0, 1.5], "host_cpu_share": {"vm1": [0.6, 0.7, 0.65], "vm2": [0.4, 0.3, 0.35]}},
 "guests": [{"name": "vm1", "weight": 2048, "measured_share": 0.6$r, "expected_share": 0.66,
             "guest": {"units_per_s": 2000, "steal_pct": 0}},
            {"name": "vm2", "weight": 1024, "measured_share": 0.3$((9 - r)), "expected_share": 0.34,
             "guest": {"units_per_s": 1000, "steal_pct": 0}}]}
JSON
done
cat >"$d/runs/003-cpu-contention-r3.json" <<'JSON'
{"schema": "harness-run/1", "run_id": "003-cpu-contention-r3", "experiment": "cpu-contention", "ok": false,
 "settings": {"shares": "1024:1024", "pinning": "same"}, "error": "guest agent of 'vm2' did not answer within 10 s"}
JSON
cat >"$d/summary.json" <<'JSON'
{"schema": "harness-summary/1", "groups": [{"experiment": "cpu-contention",
 "settings": {"shares": "2048:1024", "pinning": "same"}, "runs": 2,
 "fairness_index": {"n": 2, "mean": 0.99},
 "guests": [{"name": "vm1", "weight": {"mean": 2048}, "expected_share": {"mean": 0.66},
             "measured_share": {"n": 2, "mean": 0.615, "ci95_low": 0.551, "ci95_high": 0.678},
             "units_per_s": {"mean": 2000}, "steal_pct": {"mean": 0}},
            {"name": "vm2", "weight": {"mean": 1024}, "expected_share": {"mean": 0.34},
             "measured_share": {"n": 2, "mean": 0.385, "ci95_low": 0.321, "ci95_high": 0.448},
             "units_per_s": {"mean": 1000}, "steal_pct": {"mean": 0}}]}]}
JSON

cat >"$d/suite.yaml" <<'YAML'
suite: t-suite
repeats: 2
experiments:
  - type: cpu-contention
YAML

plan 31
$H report "$d" -o "$tmp/r.pdf" >/dev/null 2>"$tmp/err"
check "a PDF is written" $?
ok "it is a PDF" sh -c "head -c 5 '$tmp/r.pdf' | grep -q '%PDF-'"
pdftotext -layout -f 1 -l 1 "$tmp/r.pdf" "$tmp/p1.txt"
pdftotext -layout "$tmp/r.pdf" "$tmp/all.txt"
ok "the first page names the accelerator and says TCG measures emulation" \
	sh -c "grep -q 'Accelerator: TCG' '$tmp/p1.txt' && grep -q 'measure QEMU.s emulation' '$tmp/p1.txt'"
ok "the environment table" grep -q "Test CPU" "$tmp/all.txt"
ok "measured beside expected, with the confidence interval" \
	grep -Eq "vm1 +2048 +0\.660 +0\.615 +0\.551.0\.678" "$tmp/all.txt"
ok "the failed run and its reason" grep -q "did not answer within 10 s" "$tmp/all.txt"
ok "the time-series and the bar plots" \
	sh -c "grep -q 'Host CPU share over time' '$tmp/all.txt' && grep -q 'Measured host CPU share' '$tmp/all.txt'"
ok "page 1 says what was run: the suite and its experiments" \
	sh -c "grep -q 'What was run' '$tmp/p1.txt' && grep -q 'Suite t-suite' '$tmp/p1.txt' && grep -q 'cpu-contention' '$tmp/p1.txt'"
ok "page 1 has the verdict table: expected, measured with its CI, tolerance, pass" \
	grep -Eq "vm1 +measured_share +0\.660 +0\.615 \(0\.551.0\.678\) +.0\.05 +pass" "$tmp/p1.txt"
ok "and its summary line: the failed run, the checks" grep -q "1 run(s) failed; 0 check(s) against theory fail, 2 pass" "$tmp/p1.txt"
ok "page 1 says whether the run was compared with a baseline" grep -q "not compared with a baseline" "$tmp/p1.txt"
ok "the experiment's section opens with its explanation and theory" \
	sh -c "grep -q 'Both guests run a CPU-bound program' '$tmp/all.txt' && grep -q 'Theory:' '$tmp/all.txt'"
ok "the appendix: the command to reproduce, the suite as run, the digests" \
	sh -c "grep -qF 'harness run suite $d/suite.yaml' '$tmp/all.txt' && grep -q 'suite: t-suite' '$tmp/all.txt' &&
	       grep -q 'no domain XML digests' '$tmp/all.txt' && grep -Eq 'vm1 +general .* abc' '$tmp/all.txt'"
ok "page 1 opens with the summary: suite and runs, host, checks, baseline, failed runs" \
	sh -c "grep -q 't-suite: 3 recorded run(s), 2 succeeded, 1 failed' '$tmp/p1.txt' &&
	       grep -Eq 'host +Test CPU, 2 CPUs' '$tmp/p1.txt' && grep -q '2 of 2 check(s) against theory pass, 0 fail' '$tmp/p1.txt' &&
	       grep -Eq 'failed runs +003-cpu-contention-r3' '$tmp/p1.txt'"

# No heading alone at the foot of a page: a page's last line of text is
# never a numbered heading ("4." or "4.2. ...").
orphans() {
	local n p
	n=$(pdfinfo "$1" | awk '/^Pages:/ { print $2 }')
	for p in $(seq 1 "$n"); do
		pdftotext -layout -f "$p" -l "$p" "$1" - | grep -v '^[[:space:]]*$' | grep -v 'Page [0-9]' | tail -n 1 |
			grep -E '^ *[0-9]+(\.[0-9]+)*\. ' && echo "page $p"
	done
}
o=$(orphans "$tmp/r.pdf")
check "no heading alone at the foot of a page ${o:+($o)}" $((${#o} != 0))

# Poppler's word boxes are about 0.92 of the font size: 8 pt prints as 7.3.
pdftotext -bbox "$tmp/r.pdf" "$tmp/bbox.html"
small=$(awk -F'"' '/<word/ { h = $8 - $4; if (h < 7.3) n++ } END { print n + 0 }' "$tmp/bbox.html")
check "no text smaller than 8 pt, plots included ($small smaller words)" $((small != 0))

# Far from theory: FAIL on page 1. A comparison kept beside the results: its section.
cp -r "$d" "$tmp/f"
sed -i 's/"mean": 0.615/"mean": 0.9/' "$tmp/f/summary.json"
printf 'metric units_per_s vm1: REGRESSION -15.0 %%\n' >"$tmp/f/compare.txt"
$H report "$tmp/f" -o "$tmp/f.pdf" >/dev/null 2>&1
check "a report with a failed check is written" $?
pdftotext -layout -f 1 -l 1 "$tmp/f.pdf" "$tmp/f1.txt"
pdftotext -layout "$tmp/f.pdf" "$tmp/fall.txt"
ok "a measurement outside the tolerance fails on page 1" \
	sh -c "grep -Eq 'vm1 +measured_share +0\.660 +0\.900 .* FAIL' '$tmp/f1.txt' && grep -q '1 check(s) against theory fail' '$tmp/f1.txt'"
ok "the comparison kept in the results directory is shown" \
	sh -c "grep -q 'compared with a baseline; see' '$tmp/f1.txt' && grep -q 'Comparison with a baseline' '$tmp/fall.txt' &&
	       grep -q 'REGRESSION -15.0 %' '$tmp/fall.txt'"

# Two settings varied: an interaction plot.
cp -r "$d" "$tmp/i"
python3 - "$tmp/i/summary.json" <<'PY'
import copy, json, sys
s = json.load(open(sys.argv[1]))
g = s["groups"][0]
s["groups"] = []
for sh in ("1024:1024", "2048:1024"):
    for pin in ("same", "different"):
        h = copy.deepcopy(g)
        h["settings"] = {"shares": sh, "pinning": pin}
        s["groups"].append(h)
json.dump(s, open(sys.argv[1], "w"))
PY
$H report "$tmp/i" -o "$tmp/i.pdf" >/dev/null 2>&1
check "a report of a two-way suite is written" $?
pdftotext -layout "$tmp/i.pdf" "$tmp/iall.txt"
ok "with an interaction plot of the two settings" \
	sh -c "grep -q 'Interaction of shares and pinning' '$tmp/iall.txt' && grep -q 'Parallel lines mean' '$tmp/iall.txt'"

# Values that are not numbers (a missing mean, an interval of one run, a
# limit that was never reached) print as a dash, never nan; a word "nan" of
# the suite's own text stays.
cp -r "$d" "$tmp/n"
sed -i 's/^suite: t-suite/suite: nan/' "$tmp/n/suite.yaml"
cat >"$tmp/n/runs/004-memory-limits-r1.json" <<'JSON'
{"schema": "harness-run/1", "run_id": "004-memory-limits-r1", "experiment": "memory-limits", "ok": true, "repeat": 1,
 "settings": {"mechanism": "memory-high"}, "limit_bytes": 67108864, "peak_bytes": 68157440, "acted": "memory.high"}
JSON
python3 - "$tmp/n/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
g = s["groups"][0]["guests"]
del g[0]["measured_share"]["ci95_low"], g[0]["measured_share"]["ci95_high"]
g[1]["measured_share"] = {"n": 0, "mean": None}
s["groups"].append({"experiment": "memory-limits", "settings": {"mechanism": "memory-high"}, "runs": 1})
json.dump(s, open(sys.argv[1], "w"))
PY
$H report "$tmp/n" -o "$tmp/n.pdf" >/dev/null 2>&1
check "a report with values that are not numbers is written" $?
pdftotext -layout "$tmp/n.pdf" "$tmp/nall.txt"
# (The suite's name, "nan", is on the lines that name the suite.)
ok "no cell or sentence says nan or inf" sh -c "! grep -Ewi -- '-?(nan|inf)' '$tmp/nall.txt' | grep -qvi 'suite'"
ok "a mean without an interval prints alone; no mean: not measured" \
	sh -c "grep -Eq 'vm1 +measured_share +0\.660 +0\.615 +' '$tmp/nall.txt' && grep -Eq 'vm2 +measured_share +0\.340 +not measured' '$tmp/nall.txt'"
ok "a limit never reached is a dash, and the table says why" \
	sh -c "grep -Eq '^ *1 +64\.0 +— +— +65\.0' '$tmp/nall.txt' && grep -q 'not reached' '$tmp/nall.txt'"
ok "the suite's own word nan is kept" grep -q "Suite nan" "$tmp/nall.txt"

# A tolerance that each run carries (theory.h: the accelerator, the A/A
# noise, the sampling): the verdict uses the group's, not a fixed one.
cp -r "$d" "$tmp/t"
rm -f "$tmp/t/runs/"*.json
python3 - "$tmp/t/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
def nice(tol, mean):
    return {"experiment": "nice", "settings": {"nice": "0:3", "tol": str(tol)}, "runs": 2,
            "measured_share_first": {"n": 2, "mean": mean, "ci95_low": mean - 0.01, "ci95_high": mean + 0.01},
            "expected_share_first": {"n": 2, "mean": 0.661}, "tolerance_share_first": {"n": 2, "mean": tol}}
s["groups"] = [nice(0.047, 0.640), nice(0.012, 0.640)]
json.dump(s, open(sys.argv[1], "w"))
PY
$H report "$tmp/t" -o "$tmp/t.pdf" >/dev/null 2>&1
check "a report of runs with their own tolerances is written" $?
pdftotext -layout -f 1 -l 1 "$tmp/t.pdf" "$tmp/t1.txt"
ok "within the run's own tolerance: pass, the tolerance shown" \
	grep -Eq "all +measured_share_first +0\.661 +0\.640 .* .0\.047 +pass" "$tmp/t1.txt"
ok "outside a narrower one: FAIL" \
	grep -Eq "all +measured_share_first +0\.661 +0\.640 .* .0\.012 +FAIL" "$tmp/t1.txt"

$H report "$tmp/nope" -o "$tmp/x.pdf" 2>"$tmp/err2"
check "not a results directory: non-zero exit" $((! $?))
ok "and a clear message" grep -q "not a results directory of a finished run" "$tmp/err2"
done_testing
