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

plan 9
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
$H report "$tmp/nope" -o "$tmp/x.pdf" 2>"$tmp/err2"
check "not a results directory: non-zero exit" $((! $?))
ok "and a clear message" grep -q "not a results directory of a finished run" "$tmp/err2"
done_testing
