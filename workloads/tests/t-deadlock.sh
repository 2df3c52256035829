#!/bin/bash
# deadlock: a circular wait is recorded in the lock table and the state
# file; the global lock order makes progress.
. "$(dirname "$0")/lib.sh"
need python3 "python3 is needed to read the JSON"
bin=$WL_BIN/deadlock
plan 6

WL_STATE_FILE=$scratch/state.json "$bin" --threads 3 --hold-ms 50 --duration 0.8 >"$scratch/d.json"
check "exits 0 after --duration" $?
ok "reports a deadlock with every thread waiting and no progress" \
	jtrue "$scratch/d.json" "d['totals']['deadlocked'] and d['totals']['waiting_threads']==3 and d['totals']['progress']==0"
ok "thread Ti holds Li and waits for L(i+1 mod 3)" \
	jtrue "$scratch/d.json" "[(t['holds'],t['waits_for']) for t in d['totals']['threads']]==[(['L0'],'L1'),(['L1'],'L2'),(['L2'],'L0')]"
ok "the state file has the heartbeat and the lock table" \
	jtrue "$scratch/state.json" "d['progress']==0 and d['heartbeat_s']>0.5 and len(d['threads'])==3"

"$bin" --threads 3 --hold-ms 2 --duration 0.5 --order global >"$scratch/g.json"
ok "--order global makes progress and does not deadlock" \
	jtrue "$scratch/g.json" "not d['totals']['deadlocked'] and d['totals']['progress']>10"
"$bin" --order sideways >"$scratch/b.json" 2>/dev/null
ok "a bad --order is refused naming the option" \
	bash -c "[ $? -eq 2 ] && grep -q -- '--order' '$scratch/b.json'"
done_testing
