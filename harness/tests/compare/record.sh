#!/bin/bash
# Record the real runs behind tests/t-compare.sh: two runs of one suite
# (stats-aa.yaml, the quick suite's shape with repeats: auto), one after the
# other on the same host, trimmed by trim.sh into tests/data/compare/a and
# tests/data/compare/b. Boots guests: run it under the shared lock, after
# 'make images', e.g.
#   flock -o /tmp/harness-guests.lock harness/tests/compare/record.sh [KEEP_DIR]
# It starts and stops libvirtd itself (ci/libvirtd). The full results
# directories go to KEEP_DIR when given, else they are removed.
set -e
top=$(cd "$(dirname "$0")/../../.." && pwd)
H=$top/build/bin/harness
out=$top/harness/tests/data/compare
if [ -n "$1" ]; then
	res=$1
	mkdir -p "$res"
else
	res=$(mktemp -d)
	trap 'rm -rf "$res"' EXIT
fi
"$top/ci/libvirtd" start
rc=0
for side in a b; do
	"$H" run --results "$res/$side" suite "$top/harness/tests/compare/stats-aa.yaml" || { rc=$?; break; }
done
"$top/ci/libvirtd" stop
[ $rc = 0 ] || exit $rc
for side in a b; do
	"$top/harness/tests/compare/trim.sh" "$(ls -d "$res/$side"/*-stats-aa)" "$out/$side"
done
