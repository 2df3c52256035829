#!/bin/bash
# sched_mix: CPU-bound threads mostly running or runnable, I/O-bound mostly
# sleeping; context switches of the right kind.
. "$(dirname "$0")/lib.sh"
need python3 "python3 is needed to read the JSON"
bin=$WL_BIN/sched_mix
plan 6

"$bin" --cpu-threads 1 --io-threads 2 --duration 1.5 --io-sleep-us 2000 >"$scratch/s.json"
check "exits 0" $?
ok "three threads reported, classes cpu, io, io" \
	jtrue "$scratch/s.json" "[t['class'] for t in d['totals']['threads']]==['cpu','io','io']"
ok "each thread is observed as its class" \
	jtrue "$scratch/s.json" "all(t['observed']==t['class'] for t in d['totals']['threads'])"
# Time on a run queue depends on what else the machine runs: the checks
# compare what the thread itself did (run or sleep), not fractions of the
# wall clock.
ok "I/O-bound threads sleep more than they run and switch voluntarily" \
	jtrue "$scratch/s.json" "all(t['sleeping_s']>t['running_s'] and t['voluntary_ctxt_switches']>10 and t['wakeup_latency_us']['count']>10 for t in d['totals']['threads'] if t['class']=='io')"
ok "the CPU-bound thread does not sleep voluntarily" \
	jtrue "$scratch/s.json" "[t for t in d['totals']['threads'] if t['class']=='cpu'][0]['voluntary_ctxt_switches'] < 20"
# The guest's CPU over the window: busy time covers at least the threads'
# own time on a CPU (less two ticks per CPU for /proc/stat's resolution).
ok "the whole machine's CPU time over the window is recorded and covers the threads'" \
	jtrue "$scratch/s.json" "(lambda g: g['busy_s']+g['steal_s']>=sum(t['running_s'] for t in d['totals']['threads'])-2*g['tick_s']*__import__('os').cpu_count()-0.05 and g['idle_s']>=0)(d['totals']['guest_cpu'])"
done_testing
