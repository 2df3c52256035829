#!/bin/bash
# harness-guest runs real workloads: output valid against the schema,
# deadlock detected within the bound with its wait-for graph, a stalled or
# crashing workload reported, everything stopped.
. "$(dirname "$0")/../../workloads/tests/lib.sh"
hg=$WL_BIN/harness-guest
plan 17

. "$(dirname "$0")/schema.sh"

# 1. two workloads, pinned and niced
cat >"$scratch/cpu.json" <<'J'
{"experiment": "cpu-contention", "duration_s": 1.5, "sample_hz": 10, "stall_timeout_s": 5,
 "workloads": [{"name": "cpu", "program": "cpu_hog", "args": ["--threads", "2", "--duration", "1"], "cpus": "0"},
               {"name": "mix", "program": "sched_mix", "args": ["--duration", "1"], "nice": 5}]}
J
"$hg" "$scratch/cpu.json" >"$scratch/cpu.out"
check "a normal run exits 0" $?
if [ $have_jsonschema = 1 ]; then ok "the output is valid against guest/schema/output.schema.json" valid "$scratch/cpu.out"
else skip "python3-jsonschema is not installed"; fi
ok "ok, no errors, both workloads exited 0 with their JSON" \
	jtrue "$scratch/cpu.out" "d['ok'] and d['errors']==[] and [w['exit_code'] for w in d['workloads']]==[0,0] and d['workloads'][0]['output']['tool']=='cpu_hog'"
ok "about 10 system samples per second with cpu, mem, disk, net" \
	jtrue "$scratch/cpu.out" "8 <= len(d['samples']) and all(set(s)>={'t','cpu','mem','disk','net'} for s in d['samples'])"
ok "per-task stats for the cpu_hog threads (main + 2 workers)" \
	jtrue "$scratch/cpu.out" "len(d['workloads'][0]['tasks'])==3 and max(t['run_s'] for t in d['workloads'][0]['tasks'])>0"
ok "the pinned workload ran on cpu 0 only (its threads' CPU time <= elapsed)" \
	jtrue "$scratch/cpu.out" "d['workloads'][0]['rusage']['user_s']+d['workloads'][0]['rusage']['system_s'] <= d['workloads'][0]['elapsed_s']*1.05+0.05"
ok "the runner reports its own CPU cost" jtrue "$scratch/cpu.out" "d['runner']['cpu_s']>=0 and d['runner']['samples_taken']>=8"

# 2. deadlock: detected within stall_timeout_s + 2 sample periods + start-up
cat >"$scratch/dl.json" <<'J'
{"experiment": "deadlock", "duration_s": 30, "sample_hz": 10, "stall_timeout_s": 1,
 "workloads": [{"name": "dl", "program": "deadlock", "args": ["--threads", "3", "--duration", "60"], "expect_stall": true}]}
J
timeout 40 "$hg" "$scratch/dl.json" >"$scratch/dl.out"
check "the expected deadlock run exits 0" $?
# The bound is stall_timeout_s + 2 sample periods; the check leaves room for
# a loaded host, and checks that the stall was not declared too early.
ok "detected as stalled after 1 s without progress, well within the run" \
	jtrue "$scratch/dl.out" "d['workloads'][0]['stalled'] and d['workloads'][0]['stall']['no_progress_s'] >= 1 and d['workloads'][0]['stall']['detected_after_s'] <= 5"
ok "the wait-for graph has the cycle T0 -> T1 -> T2 -> T0" \
	jtrue "$scratch/dl.out" "d['workloads'][0]['stall']['wait_for']['cycle']==['T0','T1','T2','T0']"
ok "the deadlocked workload was stopped and still printed its lock table" \
	jtrue "$scratch/dl.out" "d['workloads'][0]['terminated'] and d['workloads'][0]['output']['totals']['deadlocked'] and d['elapsed_s']<10"
if [ $have_jsonschema = 1 ]; then ok "the deadlock output is valid against the schema" valid "$scratch/dl.out"
else skip "python3-jsonschema is not installed"; fi

# 3. a program that stops making progress without a state file, and one that crashes
cat >"$scratch/bad.json" <<J
{"experiment": "faults", "duration_s": 20, "stall_timeout_s": 1, "kill_after_s": 0.5,
 "workloads": [{"name": "sleeper", "program": "$(command -v sleep)", "args": ["60"]},
               {"name": "crash", "program": "$(command -v sh)", "args": ["-c", "kill -SEGV \$\$"]},
               {"name": "idle", "program": "$(command -v sleep)", "args": ["2"], "stall_timeout_s": 0}]}
J
timeout 40 "$hg" "$scratch/bad.json" >"$scratch/bad.out"
check "a run with faults exits 1" $([ $? -eq 1 ]; echo $?)
ok "the idle program is reported stalled and stopped" \
	jtrue "$scratch/bad.out" "d['workloads'][0]['stalled'] and d['workloads'][0]['signal']=='SIGTERM' and any('sleeper' in e and 'stalled' in e for e in d['errors'])"
ok "the crash is reported with its signal" \
	jtrue "$scratch/bad.out" "d['workloads'][1]['signal']=='SIGSEGV' and any('crash' in e and 'signal' in e for e in d['errors'])"
ok "an idle workload with stall_timeout_s 0 is not judged and exits 0" \
	jtrue "$scratch/bad.out" "not d['workloads'][2]['stalled'] and d['workloads'][2]['exit_code']==0"
ok "no workload process is left behind" bash -c "! pgrep -f '^$(command -v sleep) 60\$' >/dev/null"
done_testing
