#!/bin/bash
# harness export --csv on a real cpu-contention record: one row per guest and
# metric of the descriptor plus the run-wide ones, eight fields each, every
# field quoted so that a value with quotes and commas survives a CSV reader.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
H=$top/build/bin/harness
PY=/usr/bin/python3
[ -x "$H" ] || skip_all "harness not built"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

plan 5
mkdir -p "$tmp/r/runs"
cp "$top/harness/tests/data/cpu-contention.run.json" "$tmp/r/runs/"
# A failed run is not exported.
cp "$top/harness/tests/data/cpu-contention-failed.run.json" "$tmp/r/runs/"
# The same record with a setting holding quotes and a comma.
$PY -c '
import json, sys
r = json.load(open(sys.argv[1]))
r["run_id"] = "006-odd"
r["settings"]["pinning"] = "a \"b\", c"
json.dump(r, open(sys.argv[2], "w"))' "$top/harness/tests/data/cpu-contention.run.json" "$tmp/r/runs/006-odd.json"

"$H" export "$tmp/r" --csv >"$tmp/out.csv"
check "export exits 0" $?
$PY - "$tmp/out.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ["run", "experiment", "settings", "repeat", "guest", "metric", "value", "unit"], rows[0]
body = rows[1:]
assert all(len(r) == 8 for r in rows)
# 2 runs x (6 per-guest metrics x 2 guests + fairness_index)
assert len(body) == 2 * 13, len(body)
odd = [r for r in body if r[0] == "006-odd"]
assert odd and odd[0][2] == 'shares=2048:1024;pinning=a "b", c', odd[0][2]
ups = [r for r in body if r[4] == "vm1" and r[5] == "units_per_s" and r[0] != "006-odd"]
assert abs(float(ups[0][6]) - 3224.5312249026993) < 1e-9 and ups[0][7] == "work units/s", ups
fi = [r for r in body if r[5] == "fairness_index"]
assert len(fi) == 2 and fi[0][4] == ""
PY
check "a CSV reader gets the header, 13 rows a run, the quoted settings and the exact values" $?
grep -q '^"run","experiment","settings"' "$tmp/out.csv" && ! grep -q '^[^"]' "$tmp/out.csv"
check "every line starts with a quoted field" $?
"$H" export "$tmp/r" --csv -o "$tmp/file.csv" && cmp -s "$tmp/out.csv" "$tmp/file.csv"
check "-o FILE writes the same CSV" $?
"$H" export "$tmp/nope" --csv >/dev/null 2>"$tmp/err"
check "a missing results directory exits 2 and says so" $(( $? != 2 || ! $(grep -c "cannot open results" "$tmp/err") ))
done_testing
