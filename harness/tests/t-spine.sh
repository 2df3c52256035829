#!/bin/bash
# The spine end to end, on real parts: a real libvirt daemon, real QEMU guests
# (KVM where it really works, TCG otherwise) booted from the libguestfs-prepared
# images, the quick suite, the PDF report, and the fault paths (bad suite, a
# guest that does not come up in time, SIGTERM in the middle of a run).
# Needs root and the images ('make images'); takes about 4 minutes under TCG.
. "$(dirname "$0")/lib.sh"
out=$top/build/test-spine

need_harness
$H doctor >/dev/null 2>&1 || "$top/ci/libvirtd" start >/dev/null 2>&1

start_libvirtd adopt
at_exit vm_down_quiet stop_libvirtd_if_ours
fresh_out

plan 30

# 1. the host
$H doctor >"$out/doctor.txt" 2>&1
check "doctor: this host can run the harness" $?
ok "doctor names the accelerator and why" grep -Eq '^(ok|warn) +accelerator +(kvm|tcg): ' "$out/doctor.txt"

# 2. a bad suite file is refused with file, line and key, and nothing starts
cat >"$out/bad.yaml" <<'YAML'
suite: bad
guests:
  - name: vm1
    image: general
experiments:
  - type: cpu-contention
    vary:
      sharez: ["1024"]
YAML
before=$(virsh_list | wc -l)
$H run --results "$out/bad-results" suite "$out/bad.yaml" 2>"$out/bad.err"
check "bad suite: non-zero exit" $((! $?))
ok "bad suite: error names file, line and key" grep -q "bad.yaml:8: sharez: unknown setting" "$out/bad.err"
ok "bad suite: no results directory" test ! -e "$out/bad-results"
ok "bad suite: no domain started" test "$(virsh_list | wc -l)" -eq "$before"

# 3. the standing guests
$H vm up >"$out/vm-up.txt" 2>&1
check "vm up returns success" $?
ok "vm1 (general) answers" grep -Eq '^vm1 +running .* answering' "$out/vm-up.txt"
ok "vm2 (security) answers" grep -Eq '^vm2 +running .* answering' "$out/vm-up.txt"
# A user exploring vm1 loads the module by hand, with parameters of their
# own (issue 24: the next suite borrowed vm1 as it was, and the module check
# below failed with "insmod: File exists").
$H vm exec vm1 -- /bin/sh -c 'insmod /opt/harness/kmod/$(uname -r)/memwatch.ko interval_ms=1000' >"$out/kmod-by-hand.txt" 2>&1
check "memwatch loaded in vm1 by hand (harness vm exec)" $?

# A run whose guests match the standing ones borrows them, once it has
# checked them for the project's leftovers and cleaned them, says so in its
# record, and leaves them running.
sed -e 's/^repeats: .*/repeats: 1/' -e 's/^warmup: .*/warmup: 0/' -e 's/duration_s: .*/duration_s: 4/' \
	-e 's/"2048:1024"//; s/, \]/]/' -e 's/memory_mib: 768/memory_mib: 1024/' \
	"$top/harness/suites/quick.yaml" >"$out/borrow.yaml"
$H run --results "$out/borrow-results" suite "$out/borrow.yaml" >"$out/borrow.log" 2>&1 &&
python3 - "$out"/borrow-results/*/runs/*.json <<'PY' && virsh_list | grep -qx vm1 && virsh_list | grep -qx vm2
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"], r.get("error")
assert all(g["standing"] for g in r["guests"]), r["guests"]
PY
check "a matching suite borrows vm1 and vm2 and leaves them running" $?
python3 - "$out"/borrow-results/*/runs/*.json <<'PY'
import json, sys
b = {e["guest"]: e for e in json.load(open(sys.argv[1]))["borrowed"]}
assert b["vm1"]["action"] == "cleaned" and "memwatch loaded (interval_ms=1000)" in b["vm1"]["found"], b
assert not b["vm1"]["left"] and b["vm2"]["action"] in ("none", "cleaned"), b
PY
check "the record says vm1 was cleaned of the memwatch loaded by hand before it was borrowed" $?

# The injected kernel module and its test program, in both guests' own
# kernels under systemd (the module's own tests boot a bare initramfs); in
# vm1, insmod succeeds only because the borrowing run removed the module
# loaded by hand.
for vm in vm1 vm2; do
	$H vm exec $vm -- /bin/sh -c 'insmod /opt/harness/kmod/$(uname -r)/memwatch.ko interval_ms=10 &&
		/opt/harness/bin/memwatch-test && rmmod memwatch && ! dmesg | grep -E "WARNING|BUG|Oops"' \
		>"$out/kmod-$vm.txt" 2>&1
	check "memwatch.ko and memwatch-test in $vm's kernel: all pass, no kernel warning" $?
done
ok "the module's tests ran in the guests" grep -q '^1\.\.[1-9]' "$out/kmod-vm1.txt"
$H vm down >/dev/null 2>&1
check "vm down returns success" $?
ok "vm down removes both domains" test -z "$(virsh_list | grep -E '^vm[12]$')"
ok "vm down removes their overlays" test ! -e "$state/vms"

# 4. the quick suite on both guests, as shipped but for its rounds: three
# and no warm-up instead of six and one (6 runs instead of 14; the SIGTERM
# check below loads the shipped file itself).
sed -e 's/^repeats: .*/repeats: 3/' -e 's/^warmup: .*/warmup: 0/' "$top/harness/suites/quick.yaml" >"$out/quick.yaml"
$H run --results "$out/results" suite "$out/quick.yaml" >"$out/quick.log" 2>&1
check "quick suite completes" $?
dir=$(ls -d "$out"/results/*-quick 2>/dev/null | head -n 1)
diag "results: $dir"
python3 - "$dir" >"$out/records.txt" 2>&1 <<'PY'
import glob, json, sys
d = sys.argv[1]
recs = [json.load(open(p)) for p in sorted(glob.glob(d + "/runs/*.json"))]
import re
repeats = int(re.search(r"^repeats: (\d+)", open(d + "/suite.yaml").read(), re.M).group(1))
assert len(recs) == 2 * repeats, "expected %d recorded runs, got %d" % (2 * repeats, len(recs))
# Shuffled rounds: every round holds both settings, in the recorded order.
env0 = json.load(open(d + "/env.json"))
assert env0["plan"]["order"] == "shuffled" and isinstance(env0["plan"]["seed"], int), env0.get("plan")
pos = sorted(recs, key=lambda r: r["plan_position"])
assert [r["repeat"] for r in pos] == sorted(r["repeat"] for r in recs), [r["repeat"] for r in pos]
env = json.load(open(d + "/env.json"))
assert env["accelerator"]["name"] in ("kvm", "tcg") and env["accelerator"]["reason"]
for r in recs:
    assert r["ok"], r.get("error")
    assert r["accelerator"]["name"] == env["accelerator"]["name"]
    shares = [g["measured_share"] for g in r["guests"]]
    assert abs(sum(shares) - 1) < 1e-6 and all(0 < s < 1 for s in shares), shares
    for g in r["guests"]:
        assert g["guest"]["runner_ok"] and g["guest"]["units_per_s"] > 0, g["guest"]
        assert g["host_cpu_s"] > 0
    assert len(r["series"]["t"]) >= 5
    exp = [g["expected_share"] for g in r["guests"]]
    want = {"1024:1024": [0.5, 0.5]}.get(r["settings"]["shares"])
    if want: assert all(abs(a - b) < 1e-9 for a, b in zip(exp, want)), exp
    else: assert exp[0] > 0.6 and exp[1] < 0.4, exp
s = json.load(open(d + "/summary.json"))
assert len(s["groups"]) == 2
g = [x for x in s["groups"] if x["settings"]["shares"] == "2048:1024"][0]
vm1 = g["guests"][0]["measured_share"]["mean"]
print("2048:1024 measured share of vm1: %.3f" % vm1)
# The heavier guest gets more than an even split (expected about 0.66).
assert vm1 > 0.55, vm1
PY
check "records: 2 settings x repeats runs in shuffled rounds, shares sum to 1, expected beside measured, weights take effect" $?
diag "$(cat "$out/records.txt")"
ok "the suite as run is kept" cmp -s "$dir/suite.yaml" "$out/quick.yaml"

# 5. the report
$H report "$dir" -o "$out/report.pdf" >/dev/null 2>"$out/report.err"
check "report writes a PDF" $?
pdftotext -layout "$out/report.pdf" "$out/report.txt" 2>/dev/null
ok "report: accelerator on the first page" sh -c "pdftotext -f 1 -l 1 '$out/report.pdf' - | grep -Eq 'Accelerator: (KVM|TCG)'"
ok "report: measured against expected table" grep -q "expected share *measured share" "$out/report.txt"
ok "report: CPU share plot per guest" grep -q "Host CPU share over time" "$out/report.txt"

# 6. nothing left behind by the finished run
ok "no run domain left" test -z "$(virsh_list | grep '^hr-')"
ok "no run overlay or console log left" test -z "$(ls -A "$state/runs" 2>/dev/null)"

# 7. a guest that does not come up in time fails its run, with the console tail
sed -e 's/^boot_timeout_s: .*/boot_timeout_s: 10/' -e 's/^repeats: .*/repeats: 1/' \
	-e 's/^warmup: .*/warmup: 0/' -e 's/"2048:1024"//; s/, \]/]/' \
	"$top/harness/suites/quick.yaml" >"$out/slow.yaml"
$H run --results "$out/slow-results" suite "$out/slow.yaml" >"$out/slow.log" 2>&1
st=$?
sdir=$(ls -d "$out"/slow-results/* 2>/dev/null | head -n 1)
python3 - "$sdir" <<'PY' && test $st -ne 0 && test -s "$(ls "$sdir"/failures/*.console.txt | head -n 1)" && test -z "$(virsh_list | grep '^hr-')"
import glob, json, sys
r = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/runs/*.json")]
assert r and not r[0]["ok"] and "did not answer within 10 s" in r[0]["error"], r
assert r[0]["console_tail"]
PY
check "boot timeout: run failed with reason and console tail, domains removed" $?

# Every record these runs wrote, ok or failed, against harness-run/1.
records_valid "$out"/borrow-results/*/runs/*.json "$dir"/runs/*.json "$sdir"/runs/*.json
check "records of the borrowed, quick and failed runs validate against harness/schema/run.schema.json" $?

# (SIGTERM is last: it leaves nothing to the runs after it.)
$H run --results "$out/term-results" suite quick >"$out/term.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do grep -q "booting guests" "$out/term.log" && break; sleep 1; done
sleep 5
kill -TERM $pid
wait $pid
st=$?
tdir=$(ls -d "$out"/term-results/* 2>/dev/null | head -n 1)
test $st -ne 0 && test -z "$(virsh_list | grep '^hr-')" && test -z "$(ls -A "$state/runs" 2>/dev/null)" && test -f "$tdir/suite.yaml"
check "SIGTERM: domains and overlays removed, results directory kept" $?

done_testing
