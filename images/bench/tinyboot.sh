#!/bin/bash
# Cold boot to agent-ready of the tiny image against the general image, side
# by side in one run under whatever accelerator the harness picks (TCG here).
#   images/bench/tinyboot.sh [-n ROUNDS] [-m MEMORY_MIB]
# Each round boots one general guest alone, then one tiny guest alone (the
# `boot` experiment, start: cold, a fresh overlay or initramfs each time; 1
# vCPU, MEMORY_MIB (default 1024) for both, no NIC), so that a drift of the
# host lands on both. Prints one Markdown row per image (median, min, max of
# boot_s, domain start to guest-agent ready) and the ratio tiny/general of
# the medians. Needs root, a built tree with both images prepared (make
# images) and libvirt (ci/libvirtd start); boots guests, so run it under the
# host's guest lock where there is one.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
H=$top/build/bin/harness
n=5
mem=1024
while getopts n:m: o; do
	case $o in
	n) n=$OPTARG ;;
	m) mem=$OPTARG ;;
	*) echo "usage: $0 [-n ROUNDS] [-m MEMORY_MIB]" >&2; exit 2 ;;
	esac
done
scratch=$(mktemp -d /var/tmp/harness-tinyboot.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
for img in general tiny; do
	cat >"$scratch/$img.yaml" <<YAML
suite: tinyboot-$img
repeats: 1
warmup: 0
boot_timeout_s: 300
guests:
  - {name: tb-$img, image: $img, vcpus: 1, memory_mib: $mem}
experiments:
  - type: boot
    vary:
      start: cold
YAML
done
for i in $(seq 1 "$n"); do
	for img in general tiny; do
		"$H" -q run --results "$scratch/r-$img" suite "$scratch/$img.yaml" >&2 ||
			echo "tinyboot: round $i, $img: the run failed (see above)" >&2
	done
done
python3 - "$scratch" <<'PY'
import glob, json, statistics, sys
med = {}
print("| image | boots | median s | min s | max s |")
print("| --- | --- | --- | --- | --- |")
for img in ("general", "tiny"):
    v = [g["boot_s"] for f in sorted(glob.glob(sys.argv[1] + "/r-%s/*/runs/*.json" % img))
         for g in json.load(open(f)).get("guests", []) if g.get("ready") and g.get("boot_s") is not None]
    if v:
        med[img] = statistics.median(v)
        print("| %s | %d | %.1f | %.1f | %.1f |" % (img, len(v), med[img], min(v), max(v)))
    else:
        print("| %s | 0 | - | - | - |" % img)
if len(med) == 2:
    print("\ntiny / general (medians): %.2f" % (med["tiny"] / med["general"]))
PY
