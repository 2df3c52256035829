#!/bin/bash
# split.sh RESULTS_DIR DEST: the records of odd repeats to DEST/a/runs, of
# even repeats to DEST/b/runs, every list in them cut to its first three
# entries; the run's env.json into both.
set -e
src=$1 dst=$2
[ -d "$src/runs" ] || { echo "split.sh: no runs in '$src'" >&2; exit 2; }
rm -rf "$dst/a" "$dst/b"
mkdir -p "$dst/a/runs" "$dst/b/runs"
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
    side = "a" if r["repeat"] % 2 else "b"
    json.dump(r, open(os.path.join(dst, side, "runs", os.path.basename(p)), "w"), separators=(",", ":"))
PY
cp "$src/env.json" "$dst/a/env.json"
cp "$src/env.json" "$dst/b/env.json"
