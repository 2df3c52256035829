#!/bin/bash
# The guest-kernel experiments end to end on the standing guests (vm up):
# sched-mix, nice, deadlock in vm1 (Debian stable's kernel) and in vm2
# (Debian testing's), and the Banker's avoidance, in one suite with short
# runs; the records against theory with a tolerance suited to TCG, against
# harness/schema/run.schema.json, and the report's sections. Leaves vm1 and
# vm2 running (t-spine.sh reuses and removes them). Needs root and the
# images ('make images'); about 5 minutes under TCG.
. "$(dirname "$0")/lib.sh"
out=$top/build/test-guest-kernel

need_harness
start_libvirtd || skip_all "no libvirt daemon"
fresh_out

plan 14

# Borrow (or bring up) the standing guests.
vm_up "vm up: vm1 and vm2 answer"

# 1. bad settings are refused before anything starts
cat >"$out/bad.yaml" <<'YAML'
suite: bad
guests:
  - name: vm1
    image: general
experiments:
  - type: nice
    vary:
      nice: ["0:3", "0:33"]
YAML
$H run --results "$out/bad-results" suite "$out/bad.yaml" 2>"$out/bad.err"
check "a nice value out of range: non-zero exit" $((! $?))
ok "the error names file, line and key" grep -q "bad.yaml:8: nice: '0:33' must be 2 to 8 nice values in -20..19" "$out/bad.err"
ok "nothing was started (no results directory)" test ! -e "$out/bad-results"

# 2. one suite: every experiment in vm1, and once more in vm2
cat >"$out/gk.yaml" <<'YAML'
suite: gk
repeats: 2
warmup: 0
guests:
  - name: vm1
    image: general
    vcpus: 1
    memory_mib: 1024
  - name: vm2
    image: security
    vcpus: 1
    memory_mib: 1024
experiments:
  - type: sched-mix
    duration_s: 4
    vary:
      guest: [vm1, vm2]
  - type: nice
    duration_s: 6
    vary:
      nice: "0:3"
      guest: [vm1, vm2]
  - type: deadlock
    duration_s: 10
    vary:
      guest: [vm1, vm2]
  - type: avoidance
    vary:
      request: ["none", "P1:1,0,2"]
YAML
timed_check "the suite completes" "$out/run.log" $H run --results "$out/results" suite "$out/gk.yaml"
dir=$(ls -d "$out"/results/*-gk 2>/dev/null | head -n 1)
diag "results: $dir"

records_valid "$dir"/runs/*.json
check "every record validates against harness/schema/run.schema.json" $?

# pycheck NAME PYTHON: assertions over recs (every record) and by(exp, guest).
pycheck_defs='
def by(exp, guest=None):
    return [r for r in recs if r["experiment"] == exp and (guest is None or r["settings"].get("guest") == guest)]'

pycheck records '
assert len(recs) == 16, "expected 16 records, got %d" % len(recs)
for r in recs: assert r["ok"], (r["run_id"], r.get("error"))
print("all %d runs ok" % len(recs))'
check "16 records, every run ok" $?

pycheck kernels '
k = {g: {r["guest"]["kernel"] for e in ("sched-mix", "nice", "deadlock") for r in by(e, g)} for g in ("vm1", "vm2")}
print("kernels:", k)
assert len(k["vm1"]) == 1 and len(k["vm2"]) == 1 and k["vm1"] != k["vm2"], k
assert all(r["guest"]["standing"] for e in ("sched-mix", "nice", "deadlock") for r in by(e))'
check "each experiment ran in both guests' own kernels (stable and testing), on the standing guests" $?

# nice 0 against +3: 1024/(1024+526) = 0.661 and 0.339.
pycheck nice '
for g in ("vm1", "vm2"):
    rs = by("nice", g)
    m = [r["measured_share_first"] for r in rs]
    mean = sum(m) / len(m)
    print("%s nice 0:+3 measured shares %s, mean %.3f / %.3f, expected %.3f / %.3f" % (g, ["%.3f" % x for x in m], mean, 1 - mean,
          rs[0]["expected_share_first"], 1 - rs[0]["expected_share_first"]))
    assert abs(rs[0]["expected_share_first"] - 1024 / 1550) < 1e-9
    assert [p["weight"] for p in rs[0]["processes"]] == [1024, 526]
    assert abs(mean - 1024 / 1550) < 0.05, mean
    assert all(abs(x - 1024 / 1550) < 0.08 for x in m), m'
check "nice 0 vs +3: the first process gets 0.661 of the CPU within 0.05 (mean of 2), in vm1 and vm2" $?

pycheck deadlock '
for r in by("deadlock"):
    d = r["deadlock"]
    print("%s: %s, detected %.2f s after the last progress (bound %.2f s), %.2f s after the start; left running: %d" % (
          r["settings"]["guest"], d["wait_for"]["text"], d["detection_s"], d["bound_s"], d["detected_after_s"], r["cleanup"]["left_running"]))
    assert d["detected"] and d["wait_for"]["cycle"] == ["T0", "T1", "T0"], d
    assert d["cycle_length"] == 2
    assert 1.0 <= d["detection_s"] <= d["bound_s"] and d["within_bound"], d
    assert r["cleanup"]["left_running"] == 0 and r["cleanup"]["terminated"], r["cleanup"]'
check "deadlock: the cycle T0 -> T1 -> T0 detected within the bound, nothing left running, in vm1 and vm2" $?

pycheck schedmix '
for r in by("sched-mix"):
    c, i = r["cpu_bound"], r["io_bound"]
    print("%s: cpu-bound share %.3f (expected %.3f), runnable %.2f, invol/s %.0f; io-bound share %.3f (expected %.3f), sleeping %.2f, vol/s %.0f, wake-up p50 %.0f us p99 %.0f us" % (
          r["settings"]["guest"], c["cpu_share"], c["expected_cpu_share"], c["runnable_frac"], c["involuntary_per_s"],
          i["cpu_share"], i["expected_cpu_share"], i["sleeping_frac"], i["voluntary_per_s"], i["wakeup_latency_p50_us"], i["wakeup_latency_p99_us"]))
    print("   CPU-bound spread %.3f, all threads %.2f of the CPU, guest system time %.0f%%" % (r["cpu_share_spread"], r["mix_cpu_share"], r["guest_system_pct"]))
    assert r["classified_right"] == 1, [(t["class"], t["observed"]) for t in r["threads"]]
    # Equal threads, equal shares. Theory (0.452 each) assumes a CPU free of
    # overhead; under TCG the timer interrupts of the I/O-bound threads and system
    # calls take up to a third of it, so the bound below is loose.
    assert r["cpu_share_spread"] < 0.03, r["cpu_share_spread"]
    # Both guests: vm2 (Debian testing, kernel 7.2) measured 0.16 until the
    # harness also waited for the queued udev events after boot (its workers
    # were still taking most of the vCPU); 0.35 since.
    assert 0.5 * c["expected_cpu_share"] < c["cpu_share"] < c["expected_cpu_share"] + 0.05, c
    assert c["runnable_frac"] > 0.2 and i["sleeping_frac"] > 0.5
    assert i["voluntary_per_s"] > 10 * i["involuntary_per_s"] and c["involuntary_per_s"] > c["voluntary_per_s"]
    assert i["wakeup_latency_p50_us"] > 0'
check "sched-mix: classes observed as started, an equal split among CPU-bound threads, the right kinds of switches; the share against theory" $?

pycheck avoidance '
r = {x["settings"]["request"]: x["avoidance"] for x in by("avoidance")}
print("textbook:", r["none"]["result"], "| P1 asks 1,0,2:", r["P1:1,0,2"]["request"]["verdict"], "->", r["P1:1,0,2"]["result"])
assert r["none"]["result"] == "safe: P1 P3 P4 P0 P2" and r["none"]["available"] == [3, 3, 2]
assert r["P1:1,0,2"]["request"]["verdict"].startswith("granted") and r["P1:1,0,2"]["result"] == "safe: P1 P3 P4 P0 P2"'
check "avoidance: the textbook state is safe with P1 P3 P4 P0 P2" $?

$H report "$dir" -o "$out/report.pdf" >/dev/null 2>"$out/report.err" &&
	pdftotext -layout "$out/report.pdf" "$out/report.txt" 2>/dev/null
grep -q "Wait-for graph" "$out/report.txt" && grep -q "Result: safe: P1 P3 P4 P0 P2" "$out/report.txt" &&
	grep -q "weight table" "$out/report.txt" && grep -q "Wake-up latency" "$out/report.txt"
check "the report has the sections: wait-for graph, safe sequence, weight table, wake-up latency" $?

# The standing guests stay up for the tests after this one.
ok "vm1 and vm2 are still running" sh -c "$H vm status 2>&1 | grep -Eq '^vm1 +running' && $H vm status 2>&1 | grep -Eq '^vm2 +running'"
done_testing
