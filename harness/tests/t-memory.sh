#!/bin/bash
# The memory experiment and cpu-contention's vCPU:pCPU overcommit on a real
# guest (vm1, 3 vCPUs, booted fresh by the run, not the standing guests):
# memory for a few seconds per phase (the balloon reaches its target, the
# host gets back what QEMU held, other processes accounted for, the series
# are there), then overcommit 1:1, 2:1 and 3:1 against the host CPU each
# busy vCPU should get. Records against harness/schema/run.schema.json, and
# the report's sections. Needs root and the images ('make images'); about 3 minutes of
# guest time under TCG (two boots of one guest).
. "$(dirname "$0")/lib.sh"
out=$top/build/test-memory

need_harness
[ $have_jsonschema = 1 ] || skip_all "python3-jsonschema missing (make deps)"
[ "$(nproc)" -ge 2 ] || skip_all "overcommit 1:1 with 2 busy vCPUs needs 2 host CPUs"
start_libvirtd || skip_all "no libvirt daemon"
at_exit stop_libvirtd_if_ours
fresh_out

plan 12

# A ratio the guests cannot make is refused before anything starts.
cat >"$out/bad.yaml" <<'YAML'
suite: bad
guests:
  - name: vm1
    image: general
    vcpus: 1
experiments:
  - type: cpu-contention
    vary:
      overcommit: ["1:1", "4:1"]
YAML
$H run --results "$out/bad-results" suite "$out/bad.yaml" 2>"$out/bad.err"
check "an overcommit the guest cannot make: non-zero exit" $((! $?))
ok "the error names file, line and key" grep -q "bad.yaml:9: overcommit: '4:1' cannot be made on" "$out/bad.err"

cat >"$out/mem.yaml" <<'YAML'
suite: mem
repeats: 1
warmup: 0
order: sequential
guests:
  - name: vm1
    image: general
    vcpus: 3
    memory_mib: 1024
experiments:
  - type: memory
    duration_s: 10
    vary:
      pressure_mib: "256"
      balloon_pct: "50"
  - type: cpu-contention
    duration_s: 6
    vary:
      overcommit: ["1:1", "2:1", "3:1"]
YAML
timed_check "the suite completes" "$out/run.log" $H run --results "$out/results" suite "$out/mem.yaml"
dir=$(ls -d "$out"/results/*-mem 2>/dev/null | head -n 1)
diag "results: $dir"

for f in "$dir"/runs/*.json; do valid "$f" || { echo "# not harness-run/1: $f"; false; }; done
check "every record validates against harness/schema/run.schema.json" $?

pycheck_defs='
def by(exp): return [r for r in recs if r["experiment"] == exp]'

pycheck records '
assert len(recs) == 4, "expected 4 records, got %d" % len(recs)
for r in recs: assert r["ok"], (r["run_id"], r.get("error"))
print("all 4 runs ok")'
check "4 records (memory, overcommit x 3), every run ok" $?

# memory: phases, series, guest view
pycheck series '
r = by("memory")[0]
ph = {p["name"]: p["t"] for p in r["phases"]}
order = ["baseline", "start", "idle", "pressure", "balloon", "release", "shutdown", "reclaim", "end"]
assert [p["name"] for p in r["phases"]] == order, r["phases"]
assert all(ph[a] <= ph[b] for a, b in zip(order, order[1:]))
g = r["guests"][0]; s = g["series"]; t = s["t"]
n_nominal = r["memory"]["sample_hz"] * ph["end"]
print("%d host samples over %.1f s (nominal %d at %g Hz); phases %s" % (len(t), ph["end"], n_nominal, r["memory"]["sample_hz"], ph))
assert len(t) >= 0.5 * n_nominal and len(r["memory"]["host"]["t"]) == len(t)
for k in ("qemu_rss_mib", "actual_mib", "balloon_mib", "rss_mib", "unused_mib", "available_mib", "major_faults"):
    assert len(s[k]) == len(t), k
    assert any(v is not None for v in s[k]), k + " never sampled"
def during(col, a, b, src=s):
    return [v for tt, v in zip(src["t"], src[col]) if ph[a] <= tt <= ph[b] and v is not None]
assert during("qemu_rss_mib", "baseline", "start") == [], "a QEMU before the domain started?"
v = g["guest_view"]
idle_used = max(during("used_mib", "idle", "pressure", v)); press_used = max(during("used_mib", "pressure", "balloon", v))
print("guest used: idle max %.0f MiB, pressure max %.0f MiB (memory_hog %d MiB); MemTotal %.0f MiB" % (idle_used, press_used, r["memory"]["pressure_mib"], v["total_mib"][0]))
assert press_used - idle_used >= 0.8 * r["memory"]["pressure_mib"]
print("QEMU RSS: idle %.0f, pressure peak %.0f, ballooned %.0f, peak %.0f MiB" % (g["qemu_rss_idle_mib"], g["qemu_rss_pressure_mib"], g["qemu_rss_balloon_mib"], g["qemu_rss_peak_mib"]))
assert g["qemu_rss_pressure_mib"] - g["qemu_rss_idle_mib"] >= 0.5 * r["memory"]["pressure_mib"]'
check "memory: the phases in order, every host series sampled, the guest and QEMU both grow under memory_hog" $?

pycheck balloon '
r = by("memory")[0]; g = r["guests"][0]
for k in ("balloon", "release"):
    b = g[k]
    print("%s: target %.0f MiB, reached %s after %s s (bound %.0f s), final error %s MiB" % (k, b["target_mib"], b["reached"], b["time_to_target_s"], b["bound_s"], b["final_error_mib"]))
    assert b["reached"] and abs(b["final_error_mib"]) <= b["tolerance_mib"], b
assert g["balloon"]["target_mib"] == 512
assert g["qemu_rss_balloon_mib"] < g["qemu_rss_pressure_mib"], "the balloon gave the host nothing back"'
check "memory: the balloon reaches 512 MiB and then 1024 MiB within the bound, and QEMU's resident set drops while inflated" $?

pycheck reclaim '
r = by("memory")[0]; g = r["guests"][0]; c = r["reclaim"]; w = c["whole_host"]; a = g["at_shutdown"]
print("QEMU held %.0f MiB at shutdown (RSS %.0f, PSS %.0f); the host freed %.0f MiB (MemAvailable %+.0f), other processes %+.0f MiB: %.0f MiB back from the guest, %.1f MiB not (tolerance %.1f); whole host %.0f MiB short of before start; shutdown %.1f s, forced %s, QEMU exited %s" % (
      c["qemu_held_mib"], a["rss_mib"], a["pss_mib"], c["host_freed_mib"], c["mem_available"]["change_mib"], c["others_mib"], c["returned_mib"], c["error_mib"], c["tolerance_mib"], w["short_mib"],
      g["shutdown_s"], g["shutdown_forced"], g["qemu_exited"]))
assert not g["shutdown_forced"] and g["qemu_exited"]
assert c["qemu_held_mib"] > 64, "a booted guest QEMU held almost nothing: not measured"
assert abs(c["returned_mib"] - (c["host_freed_mib"] - c["others_mib"])) < 1e-6
assert c["within"] and abs(c["error_mib"]) <= c["tolerance_mib"]'
check "memory: a clean shutdown, QEMU gone, what it held given back to the host (other processes accounted for)" $?

# overcommit: one 3-vCPU guest: 1:1 = 2 busy vCPUs on 2 host CPUs,
# 2:1 = 2 on 1, 3:1 = 3 on 1; each busy vCPU should get 1/R of a host CPU.
pycheck overcommit '
oc = {r["settings"]["overcommit"]: r for r in by("cpu-contention")}
tput = {}
for ratio, R, p, a in (("1:1", 1, 2, 2), ("2:1", 2, 1, 2), ("3:1", 3, 1, 3)):
    r = oc[ratio]; o = r["overcommit"]; g = r["guests"][0]
    tput[R] = g["units_per_s_per_vcpu"]
    print("%s: %d busy vCPUs on %d host CPUs: %.3f of a host CPU per vCPU (expected %.3f), %.0f units/s per vCPU, steal %.1f%% (%s)" % (
          ratio, o["active_vcpus_per_guest"], o["pcpus"], g["measured_pcpu_per_vcpu"], g["expected_pcpu_per_vcpu"], tput[R], g["guest"]["steal_pct"],
          "reported" if o["steal_reported"] else "not reported under " + r["accelerator"]["name"]))
    assert (o["pcpus"], o["active_vcpus_per_guest"], g["active_vcpus"]) == (p, a, a), o
    assert abs(g["expected_pcpu_per_vcpu"] - 1 / R) < 1e-9
    # Pinned onto p host CPUs, a vCPU cannot get more than its part; the
    # host is shared with other work, so the floor is loose.
    assert g["measured_pcpu_per_vcpu"] <= 1 / R + 0.1, g["measured_pcpu_per_vcpu"]
    assert g["measured_pcpu_per_vcpu"] >= 0.5 / R, g["measured_pcpu_per_vcpu"]
    if r["accelerator"]["name"] == "tcg":
        assert not o["steal_reported"] and g["guest"]["steal_pct"] == 0
assert tput[3] < 0.75 * tput[1], tput'
check "overcommit 1:1, 2:1, 3:1: each busy vCPU gets about 1/R of a host CPU, throughput per vCPU falls, steal 0 under TCG" $?

pycheck vcpus_back '
r = by("cpu-contention")
print("busy vCPUs per run:", [x["guests"][0]["active_vcpus"] for x in r], "of", r[0]["guests"][0]["vcpus"])
assert r[0]["guests"][0]["vcpus"] == 3'
check "the guest keeps its 3 vCPUs (offlined ones come back between runs)" $?

$H report "$dir" -o "$out/report.pdf" >/dev/null 2>"$out/report.err" &&
	pdftotext -layout "$out/report.pdf" "$out/report.txt" 2>/dev/null
check "the report builds" $?
grep -q "RSS ballooned MiB" "$out/report.txt" && grep -q "Overcommit 3:1" "$out/report.txt" &&
	grep -q "Steal time is 0 here" "$out/report.txt" && [ "$(ls "$out"/report.pdf)" ]
check "the report has the memory table, the overcommit table and the steal-time note" $?
done_testing
