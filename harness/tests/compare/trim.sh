#!/bin/bash
# trim.sh RESULTS_DIR DEST: a compact copy of a results directory for
# tests/data: every record with each list in it cut to its first three
# entries (the compared metrics are scalars; the series only make records
# big), and env.json, summary.json and suite.yaml as they are.
set -e
src=$1 dst=$2
[ -d "$src/runs" ] && [ -f "$src/env.json" ] || { echo "trim.sh: '$src' is not a results directory" >&2; exit 2; }
rm -rf "$dst"
mkdir -p "$dst/runs"
/usr/bin/python3 - "$src" "$dst" <<'PY'
import glob, json, os, sys
src, dst = sys.argv[1], sys.argv[2]
def cut(v):
    if isinstance(v, list):
        return [cut(x) for x in v[:3]]
    if isinstance(v, dict):
        return {k: cut(x) for k, x in v.items()}
    return v
for p in sorted(glob.glob(src + "/runs/*.json")):
    r = json.load(open(p))
    r["series"] = cut(r.get("series", {}))
    for g in r.get("guests", []):
        if "guest" in g:
            g["guest"] = cut(g["guest"])
    json.dump(r, open(os.path.join(dst, "runs", os.path.basename(p)), "w"), separators=(",", ":"))
PY
cp "$src/env.json" "$src/summary.json" "$src/suite.yaml" "$dst/"
