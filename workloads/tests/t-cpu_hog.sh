#!/bin/bash
# cpu_hog: the document's shape, counts that add up, strict options, SIGTERM.
. "$(dirname "$0")/lib.sh"
need python3 "python3 is needed to read the JSON"
bin=$WL_BIN/cpu_hog
plan 10

"$bin" --threads 2 --duration 0.6 --interval-ms 100 >"$scratch/a.json"
check "exits 0 on a normal run" $?
ok "document header: tool, version 1, params.threads, error null" \
	jtrue "$scratch/a.json" "d['tool']=='cpu_hog' and d['version']==1 and d['params']['threads']==2 and d['error'] is None"
ok "samples carry t, per-thread units and units_per_s" \
	jtrue "$scratch/a.json" "len(d['samples'])>=4 and all(len(s['units'])==2 and s['units_per_s']>=0 for s in d['samples'])"
ok "interval units add up to the total" \
	jtrue "$scratch/a.json" "sum(sum(s['units']) for s in d['samples'])==d['totals']['units']>0"
ok "per-thread rates sum to the total rate" \
	jtrue "$scratch/a.json" "abs(sum(d['totals']['per_thread_units_per_s'])-d['totals']['units_per_s'])<1e-6*d['totals']['units_per_s']+1e-9"

"$bin" --threads 3 --units 7 --duration 0 >"$scratch/u.json"
ok "--units 7 with 3 threads does exactly 21 units" jtrue "$scratch/u.json" "d['totals']['units']==21 and d['totals']['per_thread_units']==[7,7,7]"

"$bin" --threads 2x >"$scratch/bad.json" 2>/dev/null
check "a bad --threads value exits 2" $([ $? -eq 2 ]; echo $?)
ok "the error names the option" jtrue "$scratch/bad.json" "'--threads' in d['error'] and '2x' in d['error']"

"$bin" --threads 1 --duration 30 >"$scratch/term.json" &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
check "SIGTERM ends the run with exit 0" $?
ok "SIGTERM: stopped_early and results so far" \
	jtrue "$scratch/term.json" "d['stopped_early'] and d['totals']['units']>0 and d['totals']['elapsed_s']<29"
done_testing
