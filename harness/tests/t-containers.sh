#!/bin/bash
# The container experiments on a real guest: the standing vm1 (general image,
# borrowed; left up for the next test), one suite with proportional-share and
# memory-limits, isolation, api-call, admission and overhead at short
# durations (one run each, no warm-up), every record against the run-record
# schema and against what theory expects with a tolerance for
# TCG, the report, and nothing left behind in the guest. Then the same
# experiments in vm2 (the security image, Debian testing's kernel, no crun):
# isolation against crun refused there before anything starts, and
# proportional-share, memory-limits (the module built for testing's kernel),
# isolation and api-call run there once each (about 2 minutes more).
# Needs root and the images ('make images'); about 4 minutes under TCG.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
schema=$top/harness/schema/run.schema.json
H=$top/build/bin/harness
out=$top/build/test-containers

[ "$(id -u)" -eq 0 ] || skip_all "needs root for libvirt's system connection"
[ -x "$H" ] || skip_all "harness not built"
python3 -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema missing (make deps)"

started_here=0
if ! "$top/ci/libvirtd" status >/dev/null 2>&1; then
	"$top/ci/libvirtd" start >&2 && started_here=1
elif grep -q 'started by ci/libvirtd' <("$top/ci/libvirtd" status); then
	started_here=0	# someone else's daemon: theirs to stop
fi
# The standing guests stay up (t-spine.sh reuses and removes them); only a
# daemon this test started is stopped.
cleanup() { [ $started_here = 1 ] && "$top/ci/libvirtd" stop >/dev/null 2>&1; }
trap cleanup EXIT
rm -rf "$out" && mkdir -p "$out"

plan 34

$H vm up >"$out/vm-up.txt" 2>&1
check "vm up: the standing guests answer" $?
ok "vm1 (general) answers" grep -Eq '^vm1 +running .* answering' "$out/vm-up.txt"
ok "vm2 (security) answers" grep -Eq '^vm2 +running .* answering' "$out/vm-up.txt"

cat >"$out/suite.yaml" <<'YAML'
suite: containers-test
repeats: 1
warmup: 0
boot_timeout_s: 600
guests:
  - name: vm1
    image: general
    vcpus: 1
    memory_mib: 1024
experiments:
  - type: proportional-share
    duration_s: 4
    vary:
      scenario: [weights, idle, cap, io]
  - type: memory-limits
    duration_s: 4
    vary:
      mechanism: [kmon-soft, kmon-hard, memory-high, memory-max]
  - type: isolation
    duration_s: 4
    vary:
      starts: ["5"]
  - type: api-call
    duration_s: 3
    vary:
      concurrency: ["1", "4"]
  - type: admission
    duration_s: 1
  - type: overhead
    duration_s: 3
    vary:
      starts: ["5"]
YAML
$H run --results "$out/results" suite "$out/suite.yaml" >"$out/run.log" 2>&1
check "the suite runs and every run succeeds" $?
[ $? -eq 0 ] || diag "$(tail -20 "$out/run.log")"
dir=$(ls -d "$out"/results/*/ 2>/dev/null | head -1)

python3 - "$schema" "$dir"/runs/*.json >"$out/schema.txt" 2>&1 <<'PY'
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
bad = 0
for f in sys.argv[2:]:
    for e in list(jsonschema.Draft202012Validator(s).iter_errors(json.load(open(f))))[:3]:
        print("%s: %s at %s" % (f, e.message, list(e.absolute_path))); bad += 1
print("%d records" % (len(sys.argv) - 2))
sys.exit(1 if bad or len(sys.argv) - 2 != 13 else 0)
PY
check "13 records, each valid against the run-record schema" $?
diag "$(tail -5 "$out/schema.txt")"

# Every measured value the checks see, for the report of the test.
python3 - "$dir" >"$out/values.txt" 2>&1 <<'PY'
import glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/runs/*.json")):
    r = json.load(open(f))
    keys = ["share_first", "share_second", "utilization", "idle_cpu_s", "io_cycles_per_s", "acted", "killed",
            "warning_bytes", "checks", "requests_per_s", "rtt_p50_us", "rtt_p99_us", "starts", "queued_wait_ms",
            "throughput_ratio", "container_start_ms", "vm_boot_s", "start_ms_harness_runtime", "start_ms_crun", "missing", "kill_bytes", "peak_bytes", "overshoot_bytes", "detection_latency_ms", "error"]
    print(r["experiment"], json.dumps(r["settings"]), {k: r[k] for k in keys if r.get(k) is not None})
PY
diag "$(cat "$out/values.txt")"

# check_runs EXPERIMENT SETTING VALUE PYTHON-EXPRESSION: true for every record
# of that setting (r is the record, M is a MiB).
check_runs() { check_runs_in "$dir" 1 "$@"; }
# check_runs_in RESULTS-DIR RECORDS EXPERIMENT SETTING VALUE PYTHON-EXPRESSION
check_runs_in() {
	python3 - "$@" <<'PY'
import glob, json, sys
d, n, exp, key, val, cond = sys.argv[1:]
M = 1024.0 * 1024
recs = [json.load(open(f)) for f in glob.glob(d + "/runs/*.json")]
recs = [r for r in recs if r["experiment"] == exp and (key == "-" or r["settings"].get(key) == val)]
assert len(recs) == int(n), len(recs)
for r in recs:
    assert r["ok"], r["error"]
    assert eval(cond), {k: v for k, v in r.items() if k not in ("containers", "container", "guest")}
PY
}
ok "cpu.weight 300:100 on one CPU: shares 0.75 and 0.25 (+-0.07)" check_runs proportional-share scenario weights \
	'abs(r["share_first"] - 0.75) <= 0.07 and abs(r["expected_share_first"] - 0.75) < 1e-9'
ok "an idle container of weight 10000 changes nothing: still 0.75 (+-0.07), it used under 0.2 s of CPU" \
	check_runs proportional-share scenario idle 'abs(r["share_first"] - 0.75) <= 0.07 and r["idle_cpu_s"] < 0.2'
ok "cpu.max 0.3 caps a container even alone: utilization <= 0.35 (and above 0.2)" \
	check_runs proportional-share scenario cap '0.2 < r["utilization"] <= 0.35'
ok "CPU-bound against I/O-bound at equal weights: the I/O one keeps cycling, the CPU one gets the rest" \
	check_runs proportional-share scenario io 'r["io_cycles_per_s"] > 5 and r["share_first"] > 0.5'
ok "memwatch soft limit: a warning at or past 64 MiB, no kill" check_runs memory-limits mechanism kmon-soft \
	'not r["killed"] and r["acted"].startswith("memwatch soft") and 64 * M <= r["warning_bytes"] < 100 * M'
ok "memwatch hard limit: killed past 64 MiB, overshoot under 24 MiB, warning at half" \
	check_runs memory-limits mechanism kmon-hard \
	'r["killed"] and r["acted"].startswith("memwatch hard") and 0 <= r["overshoot_bytes"] < 24 * M and 32 * M <= r["warning_bytes"] < 64 * M'
ok "memwatch: the warning and the kill from the module's own events (/dev/memwatch), not the kernel log" \
	check_runs memory-limits mechanism kmon-hard 'r["kmon_source"].startswith("memwatch events") and r["container"]["kernel_monitor"]["killed"]["rss"] == r["kill_bytes"]'
ok "memory.max: the OOM killer, peak within 64 MiB" check_runs memory-limits mechanism memory-max \
	'r["killed"] and "OOM" in r["acted"] and r["peak_bytes"] <= 64 * M'
ok "memory.high: throttled (high events), never killed" check_runs memory-limits mechanism memory-high \
	'not r["killed"] and r["memory_high_events"] > 0 and r["peak_bytes"] >= 60 * M'
ok "isolation: own PID 1, hostname and mounts in a busybox and a Debian container" \
	check_runs isolation starts 5 'all(r["checks"][k] for k in ("own_pid1", "own_hostname", "own_mounts"))'
ok "isolation: the guest sees both containers' process trees, each in its own PID namespace" \
	check_runs isolation starts 5 'r["checks"]["guest_sees_both"] and r["guest_view"]["foreign_processes"] >= 2'
ok "isolation: both containers report the guest's kernel; start latency of harness-runtime and crun measured" \
	check_runs isolation starts 5 'r["checks"]["same_kernel"] and r["start_ms_harness_runtime"] > 0 and r["start_ms_crun"] > 0'
ok "api-call: the client container reaches the server by name, requests/s and RTT percentiles (1 connection)" \
	check_runs api-call concurrency 1 'r["requests_per_s"] > 1 and 0 < r["rtt_p50_us"] <= r["rtt_p99_us"] and r["errors"] == 0'
ok "api-call: 4 connections" check_runs api-call concurrency 4 'r["requests_per_s"] > 1 and r["errors"] == 0'
ok "admission: P0 and P1 admitted (safe sequence P0 P1), P2 refused, the same queued, then run when P0 ends" \
	check_runs admission - - '[s["outcome"] for s in r["starts"]] == ["admitted", "admitted", "refused", "queued"] and r["starts"][1]["safe_sequence"] == "P0 P1" and "no safe sequence" in r["starts"][2]["reason"] and r["queued_ran_after_release"] and r["matches_expected"]'
ok "overhead: cpu_hog in a container within 20% of bare (best of 2 each, TCG); a container starts faster than the VM boots" \
	check_runs overhead starts 5 'abs(r["throughput_ratio"] - 1) < 0.2 and r["vm_boot_s"] * 1000 > r["container_start_ms"] > 0'

$H vm exec vm1 -- /bin/sh -c '! lsmod | grep -q "^memwatch " && ! ls /run/harness-runtime/containers/* 2>/dev/null | grep -q . && ! ps -eo comm | grep -Eq "^(cpu_hog|memory_hog|io_pulse|api|harness-runtime)$"' \
	>"$out/leftovers.txt" 2>&1
check "nothing left in the guest: no workload, supervisor, container or loaded module" $?

$H report "$dir" -o "$out/report.pdf" >/dev/null 2>"$out/report.err" && pdftotext -layout "$out/report.pdf" "$out/report.txt"
ok "the report has the proportional-share plot and the memory table" \
	sh -c "grep -q 'Proportional share: measured against expected' '$out/report.txt' && grep -q 'overshoot MiB' '$out/report.txt'"

# The same experiments in vm2. Its image has no crun: the comparison against
# crun is refused before anything starts, with file, line and key.
cat >"$out/vm2-crun.yaml" <<'YAML'
suite: containers-vm2-crun
guests:
  - name: vm2
    image: security
    vcpus: 1
    memory_mib: 1024
experiments:
  - type: isolation
    duration_s: 4
YAML
$H run --results "$out/vm2-crun-results" suite "$out/vm2-crun.yaml" >/dev/null 2>"$out/vm2-crun.err"
check "isolation against crun in vm2: refused (non-zero exit)" $((! $?))
ok "the refusal names the file, the line, the guest and the missing crun; nothing started" \
	sh -c "grep -q \"vm2-crun.yaml:8: type: against: crun cannot run in guest 'vm2': its image 'security' has no crun\" '$out/vm2-crun.err' && test ! -e '$out/vm2-crun-results'"
diag "$(cat "$out/vm2-crun.err")"

cat >"$out/vm2.yaml" <<'YAML'
suite: containers-vm2
repeats: 1
warmup: 0
boot_timeout_s: 600
guests:
  - name: vm2
    image: security
    vcpus: 1
    memory_mib: 1024
experiments:
  - type: proportional-share
    duration_s: 4
    vary:
      guest: vm2
      scenario: [weights, cap]
  - type: memory-limits
    duration_s: 4
    vary:
      guest: vm2
      mechanism: kmon-hard
  - type: isolation
    duration_s: 4
    vary:
      guest: vm2
      against: none
      starts: ["3"]
  - type: api-call
    duration_s: 3
    vary:
      guest: vm2
YAML
start=$(date +%s)
$H run --results "$out/results-vm2" suite "$out/vm2.yaml" >"$out/run-vm2.log" 2>&1
check "vm2: the suite runs and every run succeeds ($(( $(date +%s) - start )) s)" $?
[ $? -eq 0 ] || diag "$(tail -20 "$out/run-vm2.log")"
dir2=$(ls -d "$out"/results-vm2/*/ 2>/dev/null | head -1)
python3 - "$schema" "$dir2"/runs/*.json >"$out/schema-vm2.txt" 2>&1 <<'PY'
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
bad = 0
for f in sys.argv[2:]:
    r = json.load(open(f))
    for e in list(jsonschema.Draft202012Validator(s).iter_errors(r))[:3]:
        print("%s: %s at %s" % (f, e.message, list(e.absolute_path))); bad += 1
    g = r.get("guest") or {}
    if g.get("name") != "vm2" or g.get("image") != "security":
        print("%s: ran in %s" % (f, g)); bad += 1
print("%d records" % (len(sys.argv) - 2))
sys.exit(1 if bad or len(sys.argv) - 2 != 5 else 0)
PY
check "vm2: 5 records, valid against the schema, each from vm2 (security image)" $?
diag "$(tail -5 "$out/schema-vm2.txt")"
python3 - "$dir2" >"$out/values-vm2.txt" 2>&1 <<'PY'
import glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/runs/*.json")):
    r = json.load(open(f))
    keys = ["share_first", "utilization", "acted", "killed", "warning_bytes", "kill_bytes", "overshoot_bytes",
            "detection_latency_ms", "checks", "start_ms_harness_runtime", "start_ms_crun", "requests_per_s",
            "rtt_p50_us", "rtt_p99_us", "error"]
    print(r["experiment"], json.dumps(r["settings"]), {k: r[k] for k in keys if r.get(k) is not None})
PY
diag "$(cat "$out/values-vm2.txt")"
ok "vm2: cpu.weight 300:100 on one CPU: shares 0.75 and 0.25 (+-0.07)" \
	check_runs_in "$dir2" 1 proportional-share scenario weights 'abs(r["share_first"] - 0.75) <= 0.07'
ok "vm2: cpu.max 0.3 caps a container even alone: utilization <= 0.35 (and above 0.2)" \
	check_runs_in "$dir2" 1 proportional-share scenario cap '0.2 < r["utilization"] <= 0.35'
ok "vm2: memwatch (built for testing's kernel) hard limit: killed past 64 MiB, overshoot under 24 MiB, warning at half" \
	check_runs_in "$dir2" 1 memory-limits mechanism kmon-hard \
	'r["killed"] and r["acted"].startswith("memwatch hard") and 0 <= r["overshoot_bytes"] < 24 * M and 32 * M <= r["warning_bytes"] < 64 * M and r["kmon_source"].startswith("memwatch events")'
ok "vm2: isolation: own PID 1, hostname and mounts, one kernel, both trees seen; no crun comparison" \
	check_runs_in "$dir2" 1 isolation against none \
	'all(r["checks"].values()) and r["start_ms_harness_runtime"] > 0 and r.get("start_ms_crun") is None'
ok "vm2: isolation: the second container's root, the guest's own / bound, is read-only inside (the busybox one is not)" \
	check_runs_in "$dir2" 1 isolation against none \
	'[c["probe"]["root"] for c in r["containers"]] == ["rw", "ro"]'
ok "vm2: api-call: the client container reaches the server by name over the runtime's network" \
	check_runs_in "$dir2" 1 api-call - - 'r["requests_per_s"] > 1 and 0 < r["rtt_p50_us"] <= r["rtt_p99_us"] and r["errors"] == 0'
$H vm exec vm2 -- /bin/sh -c '! lsmod | grep -q "^memwatch " && ! ls /run/harness-runtime/containers/* 2>/dev/null | grep -q . && ! ps -eo comm | grep -Eq "^(cpu_hog|memory_hog|io_pulse|api|harness-runtime)$"' \
	>"$out/leftovers-vm2.txt" 2>&1
check "nothing left in vm2: no workload, supervisor, container or loaded module" $?

done_testing
