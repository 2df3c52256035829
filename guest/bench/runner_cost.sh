#!/bin/bash
# The runner's own CPU cost while it samples at 10 Hz: harness-guest runs
# sched_mix (2 CPU-bound + 2 I/O-bound threads: 5 tasks to read per sample)
# and reports its own user + system CPU time (getrusage(RUSAGE_SELF): the
# utime/stime of /proc/self/stat, in microseconds) over its elapsed time.
# Goal: under 1% of one CPU. A second run at 100 Hz shows how it scales.
set -eu
WL_BIN=${WL_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
DUR=${DUR:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "# harness-guest own CPU cost, ${DUR}s runs, $(nproc) CPUs, $(uname -r)"
printf '%-8s %8s %10s %10s %14s\n' hz samples cpu_s elapsed_s pct_of_one_cpu
for hz in 10 100; do
	cat >"$tmp/spec.json" <<J
{"experiment": "runner-cost", "duration_s": $DUR, "sample_hz": $hz,
 "workloads": [{"name": "mix", "program": "sched_mix",
                "args": ["--cpu-threads", "2", "--io-threads", "2", "--duration", "$DUR"]}]}
J
	"$WL_BIN/harness-guest" "$tmp/spec.json" >"$tmp/out.json"
	python3 - "$tmp/out.json" "$hz" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["runner"]
print("%-8s %8d %10.4f %10.3f %14.3f" % (sys.argv[2], r["samples_taken"], r["cpu_s"], d["elapsed_s"], r["cpu_pct_of_one_cpu"]))
PY
done
