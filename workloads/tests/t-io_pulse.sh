#!/bin/bash
# io_pulse: bytes written against the file, latencies per cycle, errors.
. "$(dirname "$0")/lib.sh"
need python3 "python3 is needed to read the JSON"
bin=$WL_BIN/io_pulse
plan 6

"$bin" --file "$scratch/f" --size 64k --sleep-ms 1 --cycles 5 --keep >"$scratch/p.json"
check "exits 0" $?
ok "5 cycles of 64 KiB are 327680 bytes" jtrue "$scratch/p.json" "d['totals']['cycles']==5 and d['totals']['bytes']==327680 and len(d['samples'])==5"
ok "the file holds the bytes reported" test "$(stat -c %s "$scratch/f")" -eq 327680
ok "write and fsync latency summaries count every cycle" \
	jtrue "$scratch/p.json" "d['totals']['fsync_latency_us']['count']==5 and d['totals']['write_latency_us']['min']>0"
"$bin" --file "$scratch/g" --size 4k --cycles 2 --sleep-ms 0 >/dev/null
ok "without --keep the file is removed" test ! -e "$scratch/g"
"$bin" --file "$scratch/nodir/f" --cycles 1 >"$scratch/e.json" 2>/dev/null
ok "an unwritable path: exit 1 and the error names it" \
	bash -c "[ $? -eq 1 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if \"nodir/f\" in d[\"error\"] else 1)' '$scratch/e.json'"
done_testing
