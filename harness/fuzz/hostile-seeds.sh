#!/bin/bash
# The large hostile inputs of issue 24 as fuzzing seeds, made at fuzz time
# (too large to keep in the tree): a suite of 100k keys (its duplicate-key
# check was quadratic), lists nested 10^5 deep, 30,000 guests, and a
# cpu-contention record of 25k samples (its report was quadratic in them).
# usage: hostile-seeds.sh TARGET DIR   (fuzz_suite or fuzz_records)
set -e
target=$1 dir=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
case $target in
fuzz_suite)
	python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
open(d + "/keys-100k.yaml", "w").write("suite: big\n" + "".join("k%d: 1\n" % i for i in range(100000)))
open(d + "/nested-100k.yaml", "w").write("suite: deep\nx: " + "[" * 100000 + "]" * 100000 + "\n")
open(d + "/guests-30k.yaml", "w").write("suite: many\nguests:\n" + "".join(
    "  - {name: g%d, image: general}\n" % i for i in range(30000)) + "experiments:\n  - type: boot\n")
PY
	;;
fuzz_records)
	python3 - "$top/harness/tests/data/cpu-contention.run.json" "$dir" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
n = 25000
r["series"] = {"t": [round(0.5 * (i + 1), 1) for i in range(n)],
               "host_cpu_share": {g: [0.5] * n for g in ("vm1", "vm2")}}
json.dump(r, open(sys.argv[2] + "/cpu-contention-25k-samples.json", "w"))
PY
	;;
*)
	echo "usage: $0 fuzz_suite|fuzz_records DIR" >&2
	exit 2
esac
