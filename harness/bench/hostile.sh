#!/bin/bash
# Issue 24's quadratic inputs, timed as whole processes (BENCHMARKS.md):
# harness report of a cpu-contention record of N samples (25k, 50k, 10^6)
# and harness run --dry-run of a suite of 100k keys and of 10^5 nested
# lists. BASE=/path/to/an/older/build/bin/harness times that one too (the
# older harness has no --dry-run: its suites run until their first error,
# with a results directory that is never made). Prints /usr/bin/time lines.
# usage: harness/bench/hostile.sh [RUNS]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
H=$top/build/bin/harness
runs=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in 25000 50000 1000000; do
	python3 - "$top/harness/tests/data/cpu-contention.run.json" "$tmp/r$n/20260101-000000-x" "$n" <<'PY'
import json, os, sys
src, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(d + "/runs")
r = json.load(open(src))
r["series"] = {"t": [round(0.1 * (i + 1), 1) for i in range(n)],
               "host_cpu_share": {g: [0.5 + 0.1 * ((i % 7) - 3) / 3 for i in range(n)] for g in ("vm1", "vm2")}}
json.dump(r, open(d + "/runs/%s.json" % r["run_id"], "w"))
json.dump({"schema": "harness-env/1", "accelerator": {"name": "tcg", "reason": "bench"}, "images": []},
          open(d + "/env.json", "w"))
ms = {"n": 1, "mean": 0.5, "ci95_low": 0.4, "ci95_high": 0.6}
json.dump({"schema": "harness-summary/1", "groups": [{"experiment": "cpu-contention", "settings": r["settings"],
           "runs": 1, "guests": [{"name": g, "measured_share": ms, "expected_share": ms} for g in ("vm1", "vm2")]}]},
          open(d + "/summary.json", "w"))
PY
done
python3 -c 'import sys; sys.stdout.write("suite: big\n" + "".join("k%d: 1\n" % i for i in range(100000)))' >"$tmp/keys.yaml"
python3 -c 'import sys; sys.stdout.write("suite: deep\nx: " + "[" * 100000 + "]" * 100000 + "\n")' >"$tmp/deep.yaml"
timeit() {
	local what=$1; shift
	for i in $(seq "$runs"); do
		/usr/bin/time -f "$what: %e s wall, %U s user, %S s sys, %M KiB peak" "$@" >/dev/null 2>"$tmp/time" || true
		tail -n 1 "$tmp/time"
	done
}
for n in 25000 50000 1000000; do
	timeit "report, $n samples" "$H" report "$tmp/r$n/20260101-000000-x" -o "$tmp/r.pdf"
	[ -n "${BASE:-}" ] && [ $n -lt 1000000 ] &&
		timeit "report, $n samples (BASE)" "$BASE" report "$tmp/r$n/20260101-000000-x" -o "$tmp/b.pdf"
done
timeit "suite of 100k keys" "$H" run --dry-run suite "$tmp/keys.yaml"
timeit "suite of 10^5 nested lists" "$H" run --dry-run suite "$tmp/deep.yaml"
if [ -n "${BASE:-}" ]; then
	timeit "suite of 100k keys (BASE)" "$BASE" run --results "$tmp/none" suite "$tmp/keys.yaml"
	timeit "suite of 10^5 nested lists (BASE)" "$BASE" run --results "$tmp/none" suite "$tmp/deep.yaml"
fi
