#!/bin/bash
# cpu-contention's weights on the two paths, the same suite on both: this
# machine's libvirt (ci/libvirtd: no cgroups, weights as nice values) and
# the nested host (ci/nested-host: systemd, cgroup v2, weights as
# cpu.weight through libvirt's cpu_shares). Two tiny guests of 1 vCPU,
# shares 1024:1024 and 2048:1024, pinning same, REPEATS recorded runs per
# setting (default 3) of DURATION s (default 15).
#   harness/bench/nested-shares.sh [-n REPEATS] [-d DURATION]
# Prints one Markdown row per path, setting and guest: weight, what the
# mechanism made of it (cpu.weight read back, or the nice value's weight),
# expected share, measured share (mean, min, max over the runs), and the
# guest's host CPU time split into vCPU threads and QEMU's other threads.
# Needs root, a built tree, the tiny image prepared (make images) and
# libvirt (ci/libvirtd start); boots guests and the nested host, so run it
# under the host's guest lock where there is one. Starts and stops the
# nested host itself.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
H=$top/build/bin/harness
n=3
d=15
while getopts n:d: o; do
	case $o in
	n) n=$OPTARG ;;
	d) d=$OPTARG ;;
	*) echo "usage: $0 [-n REPEATS] [-d DURATION]" >&2; exit 2 ;;
	esac
done
out=$(mktemp -d /var/tmp/harness-nested-shares.XXXXXX)
trap '"$top/ci/nested-host" stop >/dev/null 2>&1; rm -rf "$out"' EXIT
suite() { # NAME HOST-LINES GUEST-HOST
	cat <<YAML
suite: shares-$1
repeats: $n
warmup: 0
boot_timeout_s: 900
$2
guests:
  - {name: vm1, image: tiny, memory_mib: 256$3}
  - {name: vm2, image: tiny, memory_mib: 256$3}
experiments:
  - type: cpu-contention
    duration_s: $d
    vary:
      shares: ["1024:1024", "2048:1024"]
      pinning: same
YAML
}
suite nice "" "" >"$out/nice.yaml"
"$H" -q run --results "$out/r" suite "$out/nice.yaml" >&2
"$top/ci/nested-host" start >&2
suite cgroup "hosts:
  - {name: here, uri: \"qemu:///system\"}
  - {name: nested, uri: \"$("$top/ci/nested-host" uri)\"}" ", host: nested" >"$out/cgroup.yaml"
"$H" -q run --results "$out/r" suite "$out/cgroup.yaml" >&2
"$top/ci/nested-host" stop >&2
python3 - "$out/r" <<'PY'
import glob, json, statistics, sys
print("| path | shares | guest | weight | applied as | expected | measured mean (min-max) | vCPU threads s | other threads s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
rows = {}
for f in sorted(glob.glob(sys.argv[1] + "/*/runs/*.json")):
    r = json.load(open(f))
    if not r.get("ok"):
        continue
    mech = r["cpu_weights"]["mechanism"]
    for g in r["guests"]:
        k = (mech, r["settings"]["shares"], g["name"])
        rows.setdefault(k, []).append(g)
for (mech, shares, name), gs in sorted(rows.items()):
    m = [g["measured_share"] for g in gs]
    g = gs[0]
    applied = "cpu.weight %d" % g["effective_weight"] if mech == "cgroup" else "nice %d (weight %d)" % (g["nice"], g["effective_weight"])
    print("| %s | %s | %s | %d | %s | %.3f | %.3f (%.3f-%.3f) | %.1f | %.1f |" % (
        mech, shares, name, g["weight"], applied, g["expected_share"], statistics.mean(m), min(m), max(m),
        statistics.mean(x["vcpu_threads_cpu_s"] for x in gs), statistics.mean(x["other_threads_cpu_s"] for x in gs)))
PY
