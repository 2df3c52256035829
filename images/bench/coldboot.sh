#!/bin/bash
# Cold boot to agent-ready of image variants, one guest at a time.
#   images/bench/coldboot.sh [-n REPEATS] [-H HARNESS] LABEL=GENERAL_DIR,SECURITY_DIR ...
# GENERAL_DIR and SECURITY_DIR are image directories made by images/build-image
# (for instance the one of an older commit, built with HARNESS_STATE_DIR set
# to a scratch directory). For each variant: one scratch state directory whose
# images/general and images/security point at them, the payload injected
# (harness image prepare; written next to the base image, as usual), then the
# `boot` experiment (fresh overlay, domain start to guest-agent ready) REPEATS
# times for a general guest alone, then for a security guest alone (1 vCPU,
# 1024 MiB, no NIC: the standing guests' shape). -H runs another harness
# binary, for instance one built with a different kernel command line.
# Prints one Markdown row per variant and image: median, min, max in s.
# Needs root, a built tree and libvirt (ci/libvirtd start); boots guests, so
# run it under the host's guest lock where there is one.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
H=$top/build/bin/harness
n=5
while getopts n:H: o; do
	case $o in
	n) n=$OPTARG ;;
	H) H=$OPTARG ;;
	*) echo "usage: $0 [-n REPEATS] [-H HARNESS] LABEL=GENERAL_DIR,SECURITY_DIR ..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-n REPEATS] [-H HARNESS] LABEL=GENERAL_DIR,SECURITY_DIR ..." >&2; exit 2; }
scratch=$(mktemp -d /var/tmp/harness-coldboot.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
export HARNESS_TOP=$top

echo "| variant | image | boots | median s | min s | max s |"
echo "| --- | --- | --- | --- | --- | --- |"
for v in "$@"; do
	label=${v%%=*} dirs=${v#*=}
	gdir=${dirs%%,*} sdir=${dirs#*,}
	for d in "$gdir" "$sdir"; do
		[ -f "$d/image.json" ] || { echo "coldboot: '$d' is not an image directory" >&2; exit 2; }
	done
	state=$scratch/$label
	mkdir -p "$state/images"
	ln -sfn "$(cd "$gdir" && pwd)" "$state/images/general"
	ln -sfn "$(cd "$sdir" && pwd)" "$state/images/security"
	HARNESS_STATE_DIR=$state "$H" -q image prepare general security >&2
	for img in general security; do
		cat >"$state/boot-$img.yaml" <<YAML
suite: coldboot-$img
repeats: $n
warmup: 0
boot_timeout_s: 300
guests:
  - {name: cb-$img, image: $img, vcpus: 1, memory_mib: 1024}
experiments:
  - type: boot
YAML
		HARNESS_STATE_DIR=$state "$H" -q run --results "$state/r-$img" suite "$state/boot-$img.yaml" >&2 ||
			echo "coldboot: $label $img: the run failed (see above)" >&2
		python3 - "$label" "$img" "$state/r-$img" <<'PY'
import glob, json, statistics, sys
label, img, rdir = sys.argv[1:]
v = []
for f in sorted(glob.glob(rdir + "/*/runs/*.json")):
    for g in json.load(open(f)).get("guests", []):
        if g.get("ready") and g.get("boot_s") is not None:
            v.append(g["boot_s"])
if v:
    print("| %s | %s | %d | %.1f | %.1f | %.1f |" % (label, img, len(v), statistics.median(v), min(v), max(v)))
else:
    print("| %s | %s | 0 | - | - | - |" % (label, img))
PY
	done
done
