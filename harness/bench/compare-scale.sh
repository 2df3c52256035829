#!/bin/bash
# harness compare on many groups: two results directories of N records
# each, every record a cpu-contention run of settings of its own (shares
# i:1024), two guests. compare pairs each base group with the new run's
# group of its settings; it used to scan every record for every group
# (O(records x groups): 10,000 records took more than 300 s) and now groups
# both sides once by a sorted key. Times the binary with farm-bench, beside
# HARNESS_BEFORE (an older build) when given. BENCHMARKS.md has the figures.
#   harness/bench/compare-scale.sh [N] [RUNS]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
H=${HARNESS:-$top/build/bin/harness}
n=${1:-10000} runs=${2:-3}
[ -x "$H" ] || { echo "build first: make -C harness" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for side in a b; do
	mkdir -p "$tmp/$side/runs"
	awk -v n="$n" -v d="$tmp/$side/runs" -v side="$side" 'BEGIN {
		srand(side == "a" ? 1 : 2)
		for (i = 1; i <= n; i++) {
			id = sprintf("%06d-cpu-contention-r1", i)
			f = d "/" id ".json"
			s = 0.4 + 0.2 * rand()
			printf("{\"schema\":\"harness-run/1\",\"run_id\":\"%s\",\"experiment\":\"cpu-contention\",\"ok\":true," \
			       "\"repeat\":1,\"warmup\":false,\"settings\":{\"shares\":\"%d:1024\",\"pinning\":\"same\"}," \
			       "\"guests\":[{\"name\":\"vm1\",\"measured_share\":%.6f,\"host_cpu_util\":%.6f," \
			       "\"guest\":{\"units_per_s\":%.3f}},{\"name\":\"vm2\",\"measured_share\":%.6f," \
			       "\"host_cpu_util\":%.6f,\"guest\":{\"units_per_s\":%.3f}}]}\n",
			       id, 1024 + i, s, s, 1000 * s, 1 - s, 1 - s, 1000 * (1 - s)) >f
			close(f)
		}
	}'
done
echo "two results directories of $n records, each of settings of its own"
if [ -n "${HARNESS_BEFORE:-}" ]; then
	farm-bench -n "$runs" --warmup 0 --timeout 3600 --vs "$HARNESS_BEFORE compare --json $tmp/a $tmp/b" \
		-- "$H" compare --json "$tmp/a" "$tmp/b"
else
	farm-bench -n "$runs" --warmup 0 --timeout 3600 -- "$H" compare --json "$tmp/a" "$tmp/b"
fi
