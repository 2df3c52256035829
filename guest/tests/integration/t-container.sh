#!/bin/bash
# harness-guest's container mode on the host, without cgroup limits (the
# host's cgroups are never written: the runner's supervisor gets a
# --cgroup-root in a temporary directory, which is not cgroup2). Shows: the
# workload runs in its own PID namespace, its JSON is collected, a stall
# inside a container is detected, a container past the deadline is stopped,
# limits without a usable cgroup v2 hierarchy fail with the runtime's error,
# and nothing is left behind (supervisor, containers, temporary files).
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/ci/tap.sh"
WL_BIN=${WL_BIN:-$top/build/bin}
hg=$WL_BIN/harness-guest
R=${HARNESS_RUNTIME:-$top/build/runtime/harness-runtime}
[ "$(id -u)" -eq 0 ] || skip_all "needs root for namespaces"
[ -x "$hg" ] || skip_all "harness-guest is not built ($hg)"
[ -x "$R" ] || skip_all "harness-runtime is not built ($R): make -C runtime"
command -v python3 >/dev/null || skip_all "python3 is needed to read the JSON"
unshare -pfmnuic true 2>/dev/null || skip_all "namespaces are not available here"
tarball=$top/build/rootfs/busybox.tar.gz
[ -f "$tarball" ] || make -s -C "$top/images/rootfs" busybox >/dev/null 2>&1 ||
	skip_all "cannot build the busybox root filesystem"

T=$(mktemp -d /tmp/hg-ctr.XXXXXX)
mkdir "$T/tmp"
cleanup() {
	# Only processes this test started: the containers' inits it was told about.
	for f in "$T"/*.out; do
		[ -f "$f" ] || continue
		for p in $(python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(" ".join(str(w["container"]["init_pid"]) for w in d["workloads"] if w.get("container") and w["container"]["init_pid"]))' "$f" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# The runner starts its own supervisor: no shared one, cgroups in a plain
# directory, the busybox root from build/rootfs; network namespace private.
export HARNESS_RUNTIME=$R HARNESS_GUEST_ROOTFS_DIR=$top/build/rootfs
export HARNESS_RUNTIME_SOCKET=$T/no-shared-supervisor HARNESS_GUEST_CGROUP_ROOT=$T/no-cgroup/harness
export TMPDIR=$T/tmp
run_hg() { timeout 120 unshare -n "$hg" "$@"; }

jtrue() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}
. "$(dirname "$0")/../schema.sh"
# Nothing left: an empty TMPDIR, no container init alive, no process (the
# supervisor runs from a memfd copy) whose command line names the TMPDIR.
nothing_left() {
	[ -z "$(ls -A "$T/tmp")" ] || { diag "left in TMPDIR: $(ls -A "$T/tmp")"; return 1; }
	HG_OUT=$1 HG_TMP=$T/tmp python3 -c '
import json, os, sys
d = json.load(open(os.environ["HG_OUT"]))
for w in d["workloads"]:
    p = (w.get("container") or {}).get("init_pid")
    if p and os.path.exists("/proc/%d" % p):
        print("# init %d still runs" % p); sys.exit(1)
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        cmd = open("/proc/%s/cmdline" % p, "rb").read()
    except OSError:
        continue
    if os.environ["HG_TMP"].encode() in cmd:
        print("# left running: %s %r" % (p, cmd)); sys.exit(1)
'
}

plan 18

# 1. cpu_hog in a busybox container next to one run directly.
cat >"$T/cpu.json" <<'J'
{"experiment": "container", "duration_s": 2, "sample_hz": 10,
 "workloads": [{"name": "boxed", "program": "cpu_hog", "args": ["--threads", "2", "--duration", "1"],
                "env": {"WL_TEST": "1"}, "container": {"rootfs": "busybox"}},
               {"name": "direct", "program": "cpu_hog", "args": ["--threads", "1", "--duration", "1"]}]}
J
run_hg "$T/cpu.json" >"$T/cpu.out" 2>"$T/cpu.err"
check "a run with a container exits 0" $?
[ -s "$T/cpu.err" ] && diag "$(cat "$T/cpu.err")"
if [ $have_jsonschema = 1 ]; then ok "the output is valid against guest/schema/output.schema.json" valid "$T/cpu.out"
else skip "python3-jsonschema is not installed"; fi
ok "the container's cpu_hog JSON is collected" \
	jtrue "$T/cpu.out" "d['ok'] and d['workloads'][0]['output']['tool']=='cpu_hog' and d['workloads'][0]['exit_code']==0"
ok "the workload is pid 1 in its own PID namespace, another pid on the host" \
	jtrue "$T/cpu.out" "(c:=d['workloads'][0]['container'])['ns_pid']==1 and c['init_pid']>1 and c['init_pid']==d['workloads'][0]['pid']"
ok "the output names the container, its runtime, its own supervisor and the root" \
	jtrue "$T/cpu.out" "(c:=d['workloads'][0]['container'])['name']=='boxed' and c['runtime']=='harness-runtime' and c['supervisor']=='own' and c['rootfs']=='busybox' and c['state']=='exited' and c['limits']=={}"
ok "the container's threads were sampled by host pid (main + 2 workers)" \
	jtrue "$T/cpu.out" "len((w:=d['workloads'][0])['tasks'])==3 and max(t['run_s'] for t in w['tasks'])>0.1 and len(w['samples'])>=5"
ok "the direct workload is unchanged (rusage, no container)" \
	jtrue "$T/cpu.out" "(w:=d['workloads'][1])['rusage']['user_s']>0 and 'container' not in w"
ok "no supervisor, container or temporary file is left" nothing_left "$T/cpu.out"

# 2. a deadlock in a container: detected through the shared state file.
cat >"$T/dl.json" <<'J'
{"experiment": "deadlock", "duration_s": 30, "sample_hz": 10, "stall_timeout_s": 1,
 "workloads": [{"name": "dl", "program": "deadlock", "args": ["--threads", "2", "--duration", "60"],
                "expect_stall": true, "container": {"rootfs": "busybox", "name": "dl-box"}}]}
J
run_hg "$T/dl.json" >"$T/dl.out"
check "the expected deadlock in a container is found (exit 0)" $?
ok "its wait-for graph has a cycle and it was stopped within the bound" \
	jtrue "$T/dl.out" "(w:=d['workloads'][0])['stalled'] and w['stall']['wait_for']['cycle'] and w['terminated'] and d['elapsed_s']<15 and w['container']['name']=='dl-box'"
ok "nothing is left after the deadlock run" nothing_left "$T/dl.out"

# 3. past the deadline: SIGTERM through the pidfd, results so far collected.
cat >"$T/late.json" <<'J'
{"experiment": "late", "duration_s": 1, "grace_s": 0, "kill_after_s": 2, "sample_hz": 10,
 "workloads": [{"name": "late", "program": "cpu_hog", "args": ["--duration", "60"], "container": {"rootfs": "busybox"}}]}
J
run_hg "$T/late.json" >"$T/late.out"
check "a container stopped at the deadline is not an error" $?
ok "it got SIGTERM and printed its results so far" \
	jtrue "$T/late.out" "(w:=d['workloads'][0])['terminated'] and not w['killed'] and w['output']['stopped_early'] and d['elapsed_s']<10"
ok "nothing is left after the deadline" nothing_left "$T/late.out"

# 4. limits without a usable cgroup v2 hierarchy: the runtime's own error.
cat >"$T/lim.json" <<'J'
{"experiment": "limits", "duration_s": 1, "sample_hz": 10,
 "workloads": [{"name": "lim", "program": "cpu_hog", "args": ["--duration", "1"],
                "container": {"rootfs": "busybox", "memory_max": "64M", "cpu_max": 0.5, "pids_max": 64}}]}
J
run_hg "$T/lim.json" >"$T/lim.out"
check "limits on a host without cgroup v2 make the run fail (exit 1)" $([ $? -eq 1 ]; echo $?)
ok "with the runtime's clear error in the runner's JSON" \
	jtrue "$T/lim.out" "not d['ok'] and any(\"no usable cgroup v2 hierarchy\" in e and \"'lim'\" in e for e in d['errors'])"
ok "the limits asked for are recorded" \
	jtrue "$T/lim.out" "d['workloads'][0]['container']['limits']=={'memory_max':'64M','cpu_max':0.5,'pids_max':64}"
ok "nothing is left after the refused start" nothing_left "$T/lim.out"
done_testing
