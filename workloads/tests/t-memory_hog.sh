#!/bin/bash
# memory_hog: resident size against the target, steps, bad sizes.
. "$(dirname "$0")/lib.sh"
need python3 "python3 is needed to read the JSON"
bin=$WL_BIN/memory_hog
plan 10

"$bin" --target 96m --step 32m --step-ms 10 --duration 0.5 >"$scratch/m.json"
check "exits 0" $?
ok "reaches the target in 3 steps" jtrue "$scratch/m.json" "d['totals']['reached_target'] and d['totals']['steps']==3 and d['totals']['allocated_bytes']==96<<20"
# The resident-size bounds are about the hog's own memory. Under ASan the
# process also holds ASan's shadow of every page the hog maps (4 MiB a
# 32 MiB step on x86_64), so its RSS measures the sanitizer too: the bounds
# are checked on the plain build of the same source, and the sanitized run
# above checks the rest.
rss_bin=$bin rss_why=
if ldd "$bin" 2>/dev/null | grep -q libasan; then
	rss_bin=${WL_PLAIN_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}/memory_hog
	rss_why=" (plain build: ASan's shadow memory is not the hog's)"
fi
if [ -x "$rss_bin" ] && ! ldd "$rss_bin" 2>/dev/null | grep -q libasan; then
	"$rss_bin" --target 96m --step 32m --step-ms 10 --duration 0.5 >"$scratch/rss.json"
	ok "resident size is at least the target and at most target + 8 MiB$rss_why" \
		jtrue "$scratch/rss.json" "96<<20 <= d['totals']['peak_rss_bytes'] <= (96<<20)+(8<<20)"
	ok "each step's RSS grows by about one step$rss_why" \
		jtrue "$scratch/rss.json" "all(abs((b['rss_bytes']-a['rss_bytes'])-(32<<20)) < (2<<20) for a,b in zip(d['samples'],d['samples'][1:]))"
else
	skip "resident size bound: $bin is sanitized and no plain build is at $rss_bin"
	skip "RSS per step: $bin is sanitized and no plain build is at $rss_bin"
fi
# --dirty-rate: stopped for 0.4 s mid-run (as a paused guest), the
# workload's own clock shows a gap of at least that long.
"$bin" --target 16m --step 16m --dirty-rate 32m --duration 1.5 >"$scratch/d.json" &
pid=$!
sleep 0.6; kill -STOP $pid; sleep 0.4; kill -CONT $pid
wait $pid
check "--dirty-rate: exits 0" $?
ok "--dirty-rate: pages were rewritten and the rate is recorded" \
	jtrue "$scratch/d.json" "d['totals']['rewritten_bytes'] > 0 and d['totals']['dirty_rate_bytes_s'] > 0 and d['params']['dirty_rate_bytes_s']==32<<20"
ok "--dirty-rate: the stop shows as a stall of at least 0.4 s" \
	jtrue "$scratch/d.json" "d['totals']['max_stall_ms'] >= 390 and any(s['gap_ms'] >= 390 for s in d['totals']['stalls'])"
"$bin" --target 16m --dirty-rate 1x >"$scratch/badrate.json" 2>/dev/null
check "a bad --dirty-rate exits 2" $([ $? -eq 2 ]; echo $?)
"$bin" --target 12q >"$scratch/bad.json" 2>/dev/null
check "a bad size exits 2" $([ $? -eq 2 ]; echo $?)
ok "the error names --target" jtrue "$scratch/bad.json" "'--target' in d['error']"
done_testing
