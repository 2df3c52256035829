#!/bin/bash
# cpu_hog against stress-ng's CPU stressor, in one run, alternating A B A B
# so that both see the same host noise.
#
# Method: bogo-ops and cpu_hog units are different units, so the comparison
# is the CPU each delivers to its workers: (user + system CPU seconds of the
# process and its threads) / wall seconds, with as many workers as CPUs.
# A stressor that is not the bottleneck keeps every CPU busy: the ratio
# cpu_hog / stress-ng should be >= 0.95. cpu_hog's own work rate per CPU
# second is printed too (a property of the kernel, for the record).
set -eu
WL_BIN=${WL_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
DUR=${DUR:-5}
ROUNDS=${ROUNDS:-3}
NCPU=$(nproc)
command -v stress-ng >/dev/null || { echo "bench cpu_hog: stress-ng is not installed (apt-get install stress-ng)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench cpu_hog: python3 is needed" >&2; exit 1; }

# measure CMD...: prints "cpu_s wall_s" of the command and its children.
measure() {
	python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t0 = time.monotonic()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f %.4f" % (ru.ru_utime + ru.ru_stime, wall))
PY
}

echo "# cpu_hog vs stress-ng --cpu $NCPU, ${DUR}s each, $ROUNDS rounds, $(nproc) CPUs, $(uname -r)"
printf '%-6s %-10s %10s %10s %12s\n' round tool cpu_s wall_s cpus_busy
ratios=
for r in $(seq 1 "$ROUNDS"); do
	read -r ca wa < <(measure "$WL_BIN/cpu_hog" --threads "$NCPU" --duration "$DUR")
	read -r cb wb < <(measure stress-ng --cpu "$NCPU" --cpu-method int64 --timeout "${DUR}s" --quiet)
	ba=$(python3 -c "print('%.4f' % ($ca/$wa))"); bb=$(python3 -c "print('%.4f' % ($cb/$wb))")
	printf '%-6s %-10s %10s %10s %12s\n' "$r" cpu_hog "$ca" "$wa" "$ba" "$r" stress-ng "$cb" "$wb" "$bb"
	ratios="$ratios $(python3 -c "print('%.3f' % ($ba/$bb))")"
done
rate=$("$WL_BIN/cpu_hog" --threads 1 --duration 2 | python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["totals"]["units_per_cpu_s"])')
# The median of the per-round ratios: other load on the host hits one tool in
# one round, and the median keeps that round from deciding.
python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print('ratio cpu_hog/stress-ng (CPU delivered) per round:', ' '.join('%.3f' % x for x in r), ' median: %.3f' % statistics.median(r))" $ratios
echo "cpu_hog units per CPU second (1 thread): $rate"
