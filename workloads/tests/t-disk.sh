#!/bin/bash
# disk: what it reports against what the file shows; bad options; disk full.
. "$(dirname "$0")/lib.sh"
need_bin disk
need jq "jq not installed (workloads/packages.txt)"

f=$scratch/data

ok "--help prints usage and exits 0" sh -c "'$bin' --help | grep -q -- '--fsync'"

# 1. one sequential pass: every byte counted is in the file, and only those
"$bin" --file "$f" --rw write --size 8m --bs 64k --interval-ms 50 >"$scratch/w.json"
check "sequential write exits 0" $?
size=$(stat -c %s "$f")
check "io_bytes == file size == 8 MiB" "$(jq -r '[.totals.io_bytes, .totals.file_size_bytes] | map(tostring) | join(" ")' "$scratch/w.json" | grep -qx "$size $size" && [ "$size" -eq 8388608 ]; echo $?)"
ok "ops == io_bytes / bs, one latency per op" jqt '.totals.ops == 128 and .totals.latency_us.count == 128' "$scratch/w.json"
ok "latency percentiles are ordered" jqt '.totals.latency_us | .min <= .p50 and .p50 <= .p90 and .p90 <= .p99 and .p99 <= .p999 and .p999 <= .max' "$scratch/w.json"
ok "samples add up to the totals" jqt '([.samples[].io_bytes] | add) == .totals.io_bytes' "$scratch/w.json"

# 2. several workers split the file into slices: the whole file is written
rm -f "$f"
"$bin" --file "$f" --rw write --size 6m --bs 4k --workers 3 >"$scratch/w3.json"
check "3 workers: exit 0" $?
ok "3 workers: file size == io_bytes == 6 MiB" jqt ".totals.io_bytes == 6291456 and $(stat -c %s "$f") == 6291456" "$scratch/w3.json"
ok "3 workers: each did a third" jqt '[.totals.per_worker[].io_bytes] == [2097152, 2097152, 2097152]' "$scratch/w3.json"

# 3. fsync every 4 writes, per worker
"$bin" --file "$f" --rw randwrite --size 6m --bs 4k --bytes 256k --fsync 4 >"$scratch/fs.json"
ok "fsync 4: 64 writes give 16 fsyncs" jqt '.totals.ops == 64 and .totals.fsyncs == 16 and .totals.fsync_latency_us.count == 16' "$scratch/fs.json"
"$bin" --file "$f" --rw write --size 6m --bs 4k --bytes 64k --fsync end >"$scratch/fe.json"
ok "fsync end: exactly one fsync" jqt '.totals.fsyncs == 1' "$scratch/fe.json"

# 4. direct random reads of a byte count
"$bin" --file "$f" --rw randread --size 6m --bs 4k --direct --bytes 1m >"$scratch/rr.json"
st=$?
if [ $st -ne 0 ] && jq -r .error "$scratch/rr.json" | grep -q O_DIRECT; then
	skip "the file system of $scratch has no O_DIRECT"
else
	ok "direct randread: 256 ops of 4k, exit 0" jqt '.error == null and .totals.ops == 256 and .totals.io_bytes == 1048576 and .params.direct' "$scratch/rr.json"
fi

# 5. reads lay a missing file out first
"$bin" --file "$scratch/new" --rw read --size 2m --bs 1m >"$scratch/lo.json"
ok "read of a missing file lays it out (2 MiB) and reads it" jqt ".params.laid_out and .totals.io_bytes == 2097152 and $(stat -c %s "$scratch/new" 2>/dev/null || echo 0) == 2097152" "$scratch/lo.json"

# 6. SIGTERM ends a long run early, with the results so far
"$bin" --file "$f" --rw randread --size 6m --bs 4k --duration 60 >"$scratch/term.json" &
pid=$!
pids="$pids $pid"
sleep 0.5
kill -TERM $pid
wait_bounded $pid 20   # 20 s at most, then the test fails
st=$?
check "SIGTERM: exit 0 (not killed by the guard)" $st
diag "$(jq -c "{stopped_early, error, ops: .totals.ops}" "$scratch/term.json" 2>&1)"
ok "SIGTERM: stopped_early with ops counted" jqt '.stopped_early and .totals.ops > 0 and .error == null' "$scratch/term.json"

# 7. --unlink removes the file
"$bin" --file "$scratch/gone" --rw write --size 64k --unlink >/dev/null
ok "--unlink removes the file" test ! -e "$scratch/gone"

# 8. bad options: a clear error in the JSON, exit 2
ok "missing --file" bad --rw write
ok "bad --rw" bad --file "$f" --rw sideways
ok "--bs 0" bad --file "$f" --rw write --bs 0
ok "--bs 4x" bad --file "$f" --rw write --bs 4x
ok "--workers 0" bad --file "$f" --rw write --workers 0
ok "--direct with --bs 1000" bad --file "$f" --rw write --direct --bs 1000
ok "--fsync sometimes" bad --file "$f" --rw write --fsync sometimes
ok "unknown option" bad --file "$f" --rw write --speed 9
ok "error names the option" sh -c "'$bin' --file x --rw write --workers 0 2>/dev/null | jq -r .error | grep -q -- --workers"

# 9. disk full: a 1 MiB tmpfs in a private mount namespace
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	skip "disk full needs root and unshare -m"
else
	mkdir -p "$scratch/small"
	unshare -m sh -c "mount -t tmpfs -o size=1m tmpfs '$scratch/small' &&
		'$bin' --file '$scratch/small/f' --rw write --size 4m --bs 64k >'$scratch/full.json' 2>/dev/null;
		echo \$? >'$scratch/full.rc'"
	ok "disk full: exit 1" test "$(cat "$scratch/full.rc")" = 1
	ok "disk full: error says so, bytes so far kept" jqt '(.error | test("disk full.*no space left")) and .totals.io_bytes > 0 and .totals.io_bytes < 4194304' "$scratch/full.json"
	unshare -m sh -c "mount -t tmpfs -o size=1m tmpfs '$scratch/small' &&
		'$bin' --file '$scratch/small/f' --rw randwrite --size 4m >'$scratch/full2.json' 2>/dev/null"
	ok "disk full on randwrite: caught when allocating, exit 1" jqt '(.error | test("disk full"))' "$scratch/full2.json"
fi

done_testing
