#!/bin/bash
# Restore against cold boot, same guests, same run: the boot experiment with
# start: [cold, restore] on a general and a security guest (1 vCPU, 1024 MiB,
# no NIC: the standing guests' shape), shuffled rounds, one warm-up round
# (which builds the saved states), REPEATS rounds.
#   harness/bench/restore.sh [-n REPEATS]
# Prints one Markdown row per guest: median start to agent-ready (s) and QEMU
# resident memory after start (MiB) for each start, and the ratio
# restore / cold (of the medians, and the median of the per-round ratios).
# Needs root, a built tree, the images and libvirt (ci/libvirtd start);
# boots guests, so run it under the host's guest lock where there is one.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
H=$top/build/bin/harness
n=3
while getopts n: o; do
	case $o in
	n) n=$OPTARG ;;
	*) echo "usage: $0 [-n REPEATS]" >&2; exit 2 ;;
	esac
done
out=$(mktemp -d /var/tmp/harness-restore-bench.XXXXXX)
state=${HARNESS_STATE_DIR:-/var/lib/harness}
# The saved states this bench builds are its own: removed with the rest.
trap 'rm -rf "$out" "$state"/savestates/general-rbench1* "$state"/savestates/security-rbench2*' EXIT
cat >"$out/suite.yaml" <<YAML
suite: restore-bench
repeats: $n
warmup: 1
boot_timeout_s: 600
guests:
  - name: rbench1
    image: general
    vcpus: 1
    memory_mib: 1024
    nic_model: none
  - name: rbench2
    image: security
    vcpus: 1
    memory_mib: 1024
    nic_model: none
experiments:
  - type: boot
    vary:
      start: [cold, restore]
YAML
"$H" run --results "$out/results" suite "$out/suite.yaml" >"$out/run.log" 2>&1 || {
	tail -n 30 "$out/run.log" >&2
	exit 1
}
python3 - "$out"/results/*/ <<'PY'
import glob, json, statistics, sys
recs = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "runs/*.json")]
by = {}
for r in recs:
    assert r["ok"], r.get("error")
    for g in r["guests"]:
        by.setdefault((g["name"], g["image"]), {}).setdefault(r["settings"]["start"], {})[r["repeat"]] = g
print("| guest (image) | cold s: median (min-max) | restore s: median (min-max) | restore/cold (medians) | restore/cold per round: median | QEMU RSS cold / restore MiB (median) | n |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for (name, image), d in sorted(by.items()):
    c, r = d["cold"], d["restore"]
    cb = [c[k]["boot_s"] for k in sorted(c)]
    rb = [r[k]["boot_s"] for k in sorted(r)]
    pairs = [r[k]["boot_s"] / c[k]["boot_s"] for k in sorted(c) if k in r]
    assert all(r[k]["restored"] for k in r)
    mc, mr = statistics.median(cb), statistics.median(rb)
    print("| %s (%s) | %.1f (%.1f-%.1f) | %.2f (%.2f-%.2f) | %.3f | %.3f | %.0f / %.0f | %d |" % (
        name, image, mc, min(cb), max(cb), mr, min(rb), max(rb), mr / mc, statistics.median(pairs),
        statistics.median(c[k]["qemu_rss_mib"] for k in c), statistics.median(r[k]["qemu_rss_mib"] for k in r),
        len(pairs)))
PY
