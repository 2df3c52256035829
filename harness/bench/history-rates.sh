#!/bin/bash
# The two-run comparison's rates on the same synthetic nights as the
# history's detector (harness/tests/test_history.c: nights resampled from
# the recorded A/A runs in tests/data/compare, a 5% drop of vm1's
# units_per_s at 2048:1024 from night 40): harness compare of night 39
# against night 40 of each seeded history, as ci/nightly compares tonight
# with last night. Prints how often compare flags the step (REGRESSION, or
# any significant change of that line), and its false regressions over
# step-free pairs per 100 compared lines. BENCHMARKS.md has the figures.
#   harness/bench/history-rates.sh [TRIALS]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
H=$top/build/bin/harness
W=$top/build/harness-tests/test_history
trials=${1:-100}
[ -x "$H" ] && [ -x "$W" ] || { echo "build first: make -C harness check" >&2; exit 2; }
export HARNESS_TEST_DATA=$top/harness/tests/data/compare
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flag=0 changed=0 false=0 lines=0
for t in $(seq 1 "$trials"); do
	for kind in step flat; do
		seed=$t step=-0.05
		[ $kind = flat ] && seed=$((1000 + t)) step=0
		"$W" --write-night "$tmp/$kind-a/20260101-000039-synth" "$seed" 39 "$step" &&
			"$W" --write-night "$tmp/$kind-b/20260101-000040-synth" "$seed" 40 "$step" || exit 1
		"$H" compare --json "$tmp/$kind-a/20260101-000039-synth" "$tmp/$kind-b/20260101-000040-synth" \
			>"$tmp/$kind.json" 2>/dev/null
		read -r f c n l < <(/usr/bin/python3 - "$tmp/$kind.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["comparisons"]
t = [x for x in c if x["settings"] == "shares=2048:1024,pinning=same" and x["guest"] == "vm1"
     and x["metric"] == "units_per_s"][0]
print(int(t["regression"]), int(t["p_holm"] < 0.05), sum(x["regression"] for x in c), len(c))
PY
)
		if [ $kind = step ]; then
			flag=$((flag + f)) changed=$((changed + c))
		else
			false=$((false + n)) lines=$((lines + l))
		fi
		rm -rf "$tmp/$kind-a" "$tmp/$kind-b"
	done
done
echo "harness compare, night 39 against night 40, $trials seeded histories:"
echo "  5% step: REGRESSION in $flag of $trials; a significant change of the line (Holm p < 0.05) in $changed"
echo "  step-free: $false false regression(s) in $lines compared lines ($(echo "scale=3; 100 * $false / $lines" | bc) per 100)"
