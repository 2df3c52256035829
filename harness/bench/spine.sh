#!/bin/bash
# How long the spine takes on this host: image build (cold and cached), the
# libguestfs injection, domain start to agent-ready, and the quick suite with
# the share of its time spent measuring. Prints a Markdown table.
# Run on an otherwise idle host, as root: make -C harness bench
# The cold build uses a scratch state directory, so the real cache is kept.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
H=$top/build/bin/harness
scratch=$(mktemp -d /var/tmp/harness-bench.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

secs() { local t0=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $t0" | bc; }

"$top/ci/libvirtd" start >/dev/null 2>&1
cold_general=$(HARNESS_STATE_DIR=$scratch secs "$top/images/build-image" general)
cached_general=$(HARNESS_STATE_DIR=$scratch secs "$top/images/build-image" general)
prepare_general=$(HARNESS_STATE_DIR=$scratch secs "$H" image prepare general)
rm -rf "$scratch"/images

# Boot: three cold starts of both guests, in parallel, as a suite run does.
cat >"$scratch/boot.yaml" <<'YAML'
suite: bench-boot
repeats: 3
warmup: 0
guests:
  - {name: vm1, image: general, vcpus: 1, memory_mib: 768}
  - {name: vm2, image: security, vcpus: 1, memory_mib: 768}
experiments:
  - type: boot
YAML
"$H" -q run --results "$scratch/r" suite "$scratch/boot.yaml"
boot=$(python3 - "$scratch"/r/*/summary.json <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))["groups"][0]["guests"]
print(" / ".join("%s %.1f s (sd %.1f), QEMU RSS %.0f MiB" % (x["name"], x["boot_s"]["mean"], x["boot_s"]["sd"],
      x["qemu_rss_mib"]["mean"]) for x in g))
PY
)
t0=$(date +%s.%N)
"$H" -q run --results "$scratch/q" suite quick
quick=$(echo "$(date +%s.%N) - $t0" | bc)
measured=$(python3 - "$scratch"/q/*/runs <<'PY'
import glob, json, sys
recs = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/*.json")]
# Warm-ups measure too but are not recorded: one per settings combination.
per = sum(r["measured_s"] for r in recs) / len(recs)
combos = len({json.dumps(r["settings"], sort_keys=True) for r in recs})
print("%.1f" % (per * (len(recs) + combos)))
PY
)
accel=$(python3 -c "import json,glob; print(json.load(open(glob.glob('$scratch/q/*/env.json')[0]))['accelerator']['name'])")
"$top/ci/libvirtd" stop >/dev/null 2>&1 || true

cat <<MD
| what | figure |
| --- | --- |
| accelerator | $accel |
| image build, general, cold (mmdebstrap + mke2fs + qcow2) | $(printf %.0f "$cold_general") s |
| image build, general, cached (digest check only) | $(printf %.1f "$cached_general") s |
| payload injection, general (one libguestfs launch) | $(printf %.0f "$prepare_general") s |
| domain start to agent-ready, both guests at once (3 runs) | $boot |
| quick suite, end to end | $(printf %.0f "$quick") s |
| of which measuring (6 runs x 12 s, warm-ups included) | $measured s ($(echo "scale=0; 100 * $measured / $quick" | bc) %) |
MD
