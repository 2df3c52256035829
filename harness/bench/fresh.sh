#!/bin/bash
# The quick suite with fresh guests per run, restore against cold boot, side
# by side in one invocation: harness/suites/quick.yaml with
# `fresh_guests: per-run` (every run, warm-ups too, gets guests of its own)
# and guests of the bench's own names (fbench1 general, fbench2 security,
# quick's shape), run twice: first with --no-restore (every guest boots
# cold), then restored from saved states (built by the first run that needs
# them: that build is inside the restore run's wall clock).
#   harness/bench/fresh.sh [-n REPEATS]   (default: quick's own 6)
# Prints one Markdown row per mode: runs, total wall clock, the time spent
# measuring (every run's duration_s: the workload's measured window), its
# share of the wall clock, the mean start to agent-ready per guest, the
# state build time, and the wall-clock ratio restore / cold (also without
# the one-off state build).
# Needs root, a built tree, the images and libvirt (ci/libvirtd start); boots
# guests, so run it under the host's guest lock where there is one.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
H=$top/build/bin/harness
n=
while getopts n: o; do
	case $o in
	n) n=$OPTARG ;;
	*) echo "usage: $0 [-n REPEATS]" >&2; exit 2 ;;
	esac
done
out=$(mktemp -d /var/tmp/harness-fresh-bench.XXXXXX)
state=${HARNESS_STATE_DIR:-/var/lib/harness}
# The saved states this bench builds are its own: removed with the rest.
trap 'rm -rf "$out" "$state"/savestates/general-fbench1* "$state"/savestates/security-fbench2*' EXIT
rm -rf "$state"/savestates/general-fbench1* "$state"/savestates/security-fbench2*
sed -e 's/^suite: quick$/suite: quick-fresh/' -e 's/name: vm1$/name: fbench1/' -e 's/name: vm2$/name: fbench2/' \
	${n:+-e "s/^repeats: .*/repeats: $n/"} "$top/harness/suites/quick.yaml" >"$out/suite.yaml"
printf 'fresh_guests: per-run\n' >>"$out/suite.yaml"
grep -q 'name: fbench2' "$out/suite.yaml" || { echo "quick.yaml no longer has vm1/vm2" >&2; exit 1; }

run() { # run MODE ARGS...
	local mode=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$H" run "$@" --results "$out/$mode" suite "$out/suite.yaml" >"$out/$mode.log" 2>&1 || {
		tail -n 30 "$out/$mode.log" >&2
		exit 1
	}
	t1=$(date +%s.%N)
	echo "$t0 $t1" >"$out/$mode.wall"
}
run cold --no-restore
run restore

python3 - "$out" "$state/savestates" <<'PY'
import glob, json, re, statistics, sys
out, states = sys.argv[1:3]
suite = open(out + "/suite.yaml").read()
warmup = int(re.search(r"^warmup: *(\d+)", suite, re.M).group(1))
rows = {}
for mode in ("cold", "restore"):
    t0, t1 = map(float, open("%s/%s.wall" % (out, mode)).read().split())
    recs = [json.load(open(p)) for p in glob.glob("%s/%s/*/runs/*.json" % (out, mode))]
    assert recs and all(r["ok"] for r in recs), [r.get("error") for r in recs]
    combos = {json.dumps(r["settings"], sort_keys=True) for r in recs}
    nruns = len(recs) + warmup * len(combos)  # warm-ups leave no record
    measuring = sum(r["duration_s"] for r in recs) * nruns / len(recs)
    ready, build, how = [], 0.0, set()
    for r in recs:
        for s in r["guest_starts"]:
            ready.append(s["ready_s"])
            how.add((s["start"], s.get("cold_reason", "")))
    if mode == "cold":
        assert how == {("cold", "--no-restore")}, how
    else:
        assert all(s["restored"] for r in recs for s in r["guest_starts"]), how
    if mode == "restore":
        # The states were built in the first (warm-up) run, which leaves
        # no record: their keys have the build time. Built one guest after
        # the other, so the times add up.
        build = sum(json.load(open(k))["build_s"] for k in glob.glob(states + "/*-fbench[12]/key.json"))
    span = [r["finished"] - r["started"] for r in recs]
    rows[mode] = dict(wall=t1 - t0, nruns=nruns, measuring=measuring, ready=statistics.mean(ready),
                      span=statistics.median(span), build=build)
c, r = rows["cold"], rows["restore"]
print("| fresh guests per run | runs (warm-ups included) | wall clock s | measuring s | measuring share | "
      "start to agent-ready s (mean per guest, recorded runs) | run span s (median, recorded runs) | state build s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for mode, d in (("cold (--no-restore)", c), ("restore", r)):
    print("| %s | %d | %.0f | %.0f | %.2f | %.2f | %.1f | %s |" % (mode, d["nruns"], d["wall"], d["measuring"],
          d["measuring"] / d["wall"], d["ready"], d["span"], "%.0f" % d["build"] if d["build"] else "-"))
print()
print("restore / cold wall clock: %.3f; without the one-off state build: %.3f; measuring share with restore "
      "and the state already built: %.2f" % (r["wall"] / c["wall"], (r["wall"] - r["build"]) / c["wall"],
                                             r["measuring"] / (r["wall"] - r["build"])))
PY
