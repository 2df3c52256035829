#!/bin/bash
# Record the real runs behind tests/t-compare.sh: ten interleaved repeats of
# one cpu-contention setting (stats-aa.yaml), split into odd repeats (a) and
# even repeats (b), the records trimmed as tests/data/ trims them (every list
# cut to its first three entries), env.json beside each. Boots guests: run it
# under the shared lock, e.g.
#   flock -o /tmp/harness-guests.lock harness/tests/compare/record.sh
# It starts and stops libvirtd itself (ci/libvirtd).
set -e
top=$(cd "$(dirname "$0")/../../.." && pwd)
H=$top/build/bin/harness
out=$top/harness/tests/data/compare
res=$(mktemp -d)
trap 'rm -rf "$res"' EXIT
"$top/ci/libvirtd" start
rc=0
"$H" run --results "$res" suite "$top/harness/tests/compare/stats-aa.yaml" || rc=$?
"$top/ci/libvirtd" stop
[ $rc = 0 ] || exit $rc
exec "$top/harness/tests/compare/split.sh" "$res"/*-stats-aa "$out"
