#!/bin/bash
# shellcheck disable=SC2317  # functions run from traps and helpers
# Two libvirt hosts on this machine (ci/second-host: a second daemon reached
# only over its veth pair) in one suite: a guest on each host, the migration
# experiment moving vm1 to the second host and back while memory_hog dirties
# its memory, and a guest-kernel experiment in each guest; the fault paths:
# an unreachable host and a host that refuses, both refused before anything
# starts; a suite with 'parallel: hosts' whose two runs go one to each host
# at once, with statistics kept apart per host. The second host has its own, empty image store (--own-images): the
# first suite uploads the image to it through libvirt's storage API, later
# runs reuse it, and a cut-off file is sent again. About 3 minutes of guest
# time under TCG (two guests boot once).
# Runs under the guest lock like every integration test
# (flock -o /tmp/harness-guests.lock make integration); it takes no lock.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
. "$top/guest/tests/schema.sh"
schema=$top/harness/schema/run.schema.json
H=$top/build/bin/harness
state=${HARNESS_STATE_DIR:-/var/lib/harness}
out=$top/build/test-migration
sh2=$top/ci/second-host
[ "$(id -u)" -eq 0 ] || skip_all "needs root to start libvirt daemons and a network namespace"
[ -x "$H" ] || skip_all "harness not built"
command -v libvirtd >/dev/null || skip_all "libvirtd not installed (make deps)"
rm -rf "$out" && mkdir -p "$out"

h1=qemu:///system
h2=$("$sh2" uri)
addr_host=169.254.77.1
addr_inner=169.254.77.2
veth=harness-h2
# Connections to the second host go over its veth pair or nowhere.
on_veth() { ip -4 route get "$addr_inner" 2>/dev/null | grep -q " dev $veth "; }
doms() { { [ "$1" = "$h1" ] || on_veth; } && timeout 60 virsh -q -c "$1" list --all --name 2>/dev/null | sed '/^$/d'; }

h1_started=0
h2_was_running=0
# A second host that already runs may share our images: this test needs one
# with its own store, and starts it again as it was at the end.
if "$sh2" status >/dev/null 2>&1; then
	h2_was_running=1
	"$sh2" stop >/dev/null 2>&1
fi
if ! timeout 10 virsh -q -c "$h1" version >/dev/null 2>&1; then
	"$top/ci/libvirtd" start >"$out/h1-start.out" 2>&1 || {
		sed 's/^/# /' "$out/h1-start.out"
		echo "Bail out! the first host (ci/libvirtd start) does not start"
		exit 1
	}
	h1_started=1
fi
# Whatever happens: no second host (unless one ran before), no first host
# this test started. The harness removes its own guests; a run killed in the
# middle leaves them to 'stop', which destroys the second host's guests.
finish() {
	"$sh2" stop >/dev/null 2>&1
	[ "$h2_was_running" = 0 ] || "$sh2" start >/dev/null 2>&1
	[ "$h1_started" = 0 ] || "$top/ci/libvirtd" stop >/dev/null 2>&1
}
trap finish EXIT

plan 36

"$sh2" start --own-images >"$out/h2-start.out" 2>&1
check "the second host starts, with its own empty image store" $?
on_veth || { echo "Bail out! the second host's veth pair is missing: nothing may connect to $addr_inner"; exit 1; }

# 1. doctor --host: the second host answers, its accelerator is decided there.
$H doctor --host "$h2" >"$out/doctor-h2.txt" 2>&1
check "doctor --host $h2: the host can run the guests" $?
sed 's/^/# /' "$out/doctor-h2.txt"
ok "doctor --host names the accelerator decided on that host" grep -Eq '^(ok|warn) +accelerator +(kvm|tcg): ' "$out/doctor-h2.txt"
ok "doctor --host: the image is not on the host yet, a suite uploads it" \
	grep -Eq '^ok +image +general: not on the host yet; a suite run uploads it' "$out/doctor-h2.txt"
# Port 1 on the veth address: nothing listens, the connection is refused.
$H doctor --host "qemu+tcp://$addr_inner:1/system" >"$out/doctor-refused.txt" 2>&1
check "doctor --host on a refusing port: non-zero exit" $((! $?))
ok "doctor --host says which host and libvirt's reason" \
	grep -Eq "^FAIL +host +cannot connect to the host at qemu\+tcp://$addr_inner:1/system: .*(refused|connect)" \
	"$out/doctor-refused.txt"

# 2. Bad hosts are refused before anything starts: nothing booted, no results.
cat >"$out/refused.yaml" <<YAML
suite: refused
hosts:
  - {name: h1, uri: "$h1", address: $addr_host}
  - {name: h2, uri: "qemu+tcp://$addr_inner:1/system"}
guests:
  - {name: vm1, image: general}
experiments:
  - type: migration
YAML
before1=$(doms "$h1" | wc -l)
$H run --results "$out/refused-results" suite "$out/refused.yaml" >"$out/refused.log" 2>&1
check "a suite with a refusing host: non-zero exit" $((! $?))
sed 's/^/# /' "$out/refused.log" | tail -n 3
ok "the error names the host and libvirt's reason" grep -q "cannot connect to host 'h2' at qemu+tcp://$addr_inner:1/system: " "$out/refused.log"
ok "nothing started: no results, no new domain" bash -c "[ ! -e '$out/refused-results' ] && [ \$(virsh -q -c '$h1' list --all --name | sed '/^\$/d' | wc -l) -eq $before1 ]"
# No daemon behind the socket (a path, so that no name lookup leaves the machine).
sed -e "s|qemu+tcp://$addr_inner:1/system|qemu+unix:///system?socket=$out/no-daemon.sock|" "$out/refused.yaml" >"$out/unreachable.yaml"
$H run --results "$out/unreachable-results" suite "$out/unreachable.yaml" >"$out/unreachable.log" 2>&1
check "a suite with an unreachable host: non-zero exit" $((! $?))
ok "the error names the unreachable host" grep -q "cannot connect to host 'h2' at qemu+unix:///system?socket=$out/no-daemon.sock: " "$out/unreachable.log"

# 3. One suite on both hosts: vm1 on the first, vm2 on the second; vm1
# migrates to the second host and back while it dirties 256 MiB at 32 MiB/s;
# nice runs in each guest, on its own host.
cat >"$out/two.yaml" <<YAML
suite: two-hosts
repeats: 1
rerun_disturbed: 0
warmup: 0
order: sequential
hosts:
  - {name: h1, uri: "$h1", address: $addr_host}
  - {name: h2, uri: "$h2"}
guests:
  - {name: vm1, image: general, host: h1}
  - {name: vm2, image: general, host: h2}
experiments:
  - type: migration
    duration_s: 20
    vary:
      guest: [vm1]
      to: [h2]
      max_downtime_ms: ["300"]
  - type: nice
    duration_s: 4
    vary:
      guest: [vm1, vm2]
YAML
on_veth || { echo "Bail out! the veth pair went away"; exit 1; }
start=$(date +%s)
$H run --results "$out/two-results" suite "$out/two.yaml" >"$out/two.log" 2>&1
st=$?
# Under TCG, QEMU before 9.0 loses stores made through cached TLB entries
# during a migration (QEMU commit 03bfc2188f); the guest kernel then oopses
# after the switch-over (its timer queues are the hottest pages). The
# migration experiment keeps QEMU's TLB flushing from inside the guest in
# that case (tcg_tlb_flush, checked below), which took the oopses from 3 in
# 6 runs to 0 in 18. Should one still happen, it is said and the suite runs
# once more; any other failure stands. The first attempt's
# env.json keeps the evidence of the upload (the second finds the image).
env_dir=
if [ $st -ne 0 ] && cat "$out"/two-results/*/failures/*migration*console.txt 2>/dev/null |
	grep -Eq 'Kernel panic|Oops:'; then
	diag "a migrated guest kernel oopsed under TCG; the suite runs once more:"
	cat "$out"/two-results/*/failures/*migration*console.txt | grep -E -m 2 'BUG:|Kernel panic' | sed 's/^/# /'
	rm -rf "$out/two-first" && mv "$out/two-results" "$out/two-first"
	env_dir=$(ls -d "$out"/two-first/*-two-hosts 2>/dev/null | head -n 1)
	on_veth || { echo "Bail out! the veth pair went away"; exit 1; }
	$H run --results "$out/two-results" suite "$out/two.yaml" >"$out/two.log" 2>&1
	st=$?
fi
check "the two-host suite completes ($(($(date +%s) - start)) s)" $st
tail -n 5 "$out/two.log" | sed 's/^/# /'
dir=$(ls -d "$out"/two-results/*-two-hosts 2>/dev/null | head -n 1)
diag "results: $dir"
records_valid() {
	[ $have_jsonschema = 1 ] || { echo "# python3-jsonschema missing (make deps)"; return 1; }
	for f in "$@"; do valid "$f" || { echo "# not harness-run/1: $f"; return 1; }; done
}
records_valid "$dir"/runs/*.json
check "every record validates against harness/schema/run.schema.json" $?

# pycheck NAME PYTHON: assertions over mig (the migration record), nice (by guest), env.
pycheck() {
	python3 - "$dir" "$2" "${env_dir:-$dir}" <<'PY' >"$out/py.out" 2>&1
import glob, json, sys
d, code = sys.argv[1], sys.argv[2]
recs = [json.load(open(f)) for f in sorted(glob.glob(d + "/runs/*.json"))]
mig = [r for r in recs if r["experiment"] == "migration"][0]
nice = {r["guest"]["name"]: r for r in recs if r["experiment"] == "nice"}
env = json.load(open(sys.argv[3] + "/env.json"))
exec(code)
PY
	local rc=$?
	sed 's/^/# /' "$out/py.out"
	check "$1" $rc
}
pycheck "env.json records each host with its own accelerator" '
for h in ("h1", "h2"):
    a = env["hosts"][h]["accelerator"]
    print(h, env["hosts"][h]["uri"], a["name"], a["reason"])
    assert a["name"] in ("kvm", "tcg") and a["reason"]
assert env["hosts"]["h2"]["uri"].startswith("qemu+tcp://169.254.77.2")'
pycheck "image upload: the second host got the image through its storage API, the first had it" '
for h in ("h1", "h2"):
    i = env["hosts"][h]["images"]["general"]
    print(h, i["state"], i["uploaded_bytes"], "bytes in", round(i["seconds"], 1), "s")
assert env["hosts"]["h1"]["images"]["general"]["state"] == "present"
i = env["hosts"]["h2"]["images"]["general"]
assert i["state"] == "uploaded" and i["uploaded_bytes"] > 100 << 20'
grep 'host .h2.: image' "$out/two.log" | sed 's/^/# /'
pycheck "migration: both directions done, the guest is back on h1" '
print(mig.get("error"))
assert mig["ok"] and mig["out"]["from"] == "h1" and mig["out"]["to"] == "h2"
assert mig["back"]["from"] == "h2" and mig["back"]["to"] == "h1" and mig["guest_left_on"] == "h1"'
pycheck "migration: downtime present and > 0 both ways (libvirt job statistics)" '
for k in ("out", "back"):
    print(k, "downtime", mig[k]["downtime_ms"], "ms of", mig["max_downtime_ms"], "allowed; total", mig[k]["total_ms"], "ms; iterations", mig[k]["iterations"])
    assert mig[k]["downtime_ms"] > 0'
pycheck "migration: memory sent >= the memory the workload dirtied, both ways" '
for k in ("out", "back"):
    j, w = mig[k]["job"], mig[k]["workload"]
    print(k, "sent", j["memory_bytes"], "normal pages", j.get("normal_bytes"), "dirtied", w["allocated_bytes"], "rewritten", w["rewritten_bytes"])
    assert w["allocated_bytes"] >= mig["dirty_bytes"] and w["rewritten_bytes"] > 0
    assert j["memory_bytes"] >= w["allocated_bytes"] and j["normal_bytes"] >= w["allocated_bytes"]'
pycheck "migration: job sampled during the migration, workload stall recorded" '
for k in ("out", "back"):
    print(k, len(mig[k]["samples"]), "samples; stall", mig[k]["stall_ms"], "ms (realtime", mig[k]["workload"]["max_stall_realtime_ms"], ")")
    assert len(mig[k]["samples"]) >= 1 and mig[k]["stall_ms"] is not None and mig[k]["stall_ms"] > 0'
pycheck "migration: the TLB flusher ran exactly where QEMU loses dirty pages (TCG before 9.0), the record says why" '
for k in ("out", "back"):
    t = mig[k]["tcg_tlb_flush"]
    print(k, t)
    src = env["hosts"][mig[k]["from"]]
    major = int(env["qemu_version"].split(".")[0])
    assert t["on"] == (src["accelerator"]["name"] == "tcg" and major < 9) and t["why"]'
pycheck "records from each host: nice ran in vm1 on h1 and in vm2 on h2" '
for g, h in (("vm1", "h1"), ("vm2", "h2")):
    print(g, nice[g]["guest"].get("host"), nice[g]["ok"], nice[g].get("error"))
    assert nice[g]["ok"] and nice[g]["guest"]["host"] == h'
$H report "$dir" -o "$out/report.pdf" >/dev/null 2>"$out/report.err"
check "report writes a PDF" $?
pdftotext -layout "$out/report.pdf" "$out/report.txt" 2>/dev/null
ok "report: both directions' phases on a time line (pre-copy passes, stop-and-copy)" \
	bash -c "grep -q 'h1 -> h2 (first repeat)' '$out/report.txt' && grep -q 'h2 -> h1 (first repeat)' '$out/report.txt' && grep -q 'stop-and-copy' '$out/report.txt'"
ok "no guest of the run is left on either host" bash -c "! { virsh -q -c '$h1' list --all --name; virsh -q -c '$h2' list --all --name; } | grep -q 'two-hosts'"

# 4. Later runs reuse the upload; a cut-off file is sent again, alone. The
# results directory is a file, so each run stops after the host checks
# (which upload before anything starts) and boots nothing.
store=/var/lib/harness/second-host/images
img=$(ls -d "$store"/general-* 2>/dev/null | head -n 1)
mine=/var/lib/harness/images/$(basename "${img:-none}")
# same_sizes: every image file on the second host has the size of ours (a
# machine keeps prepared copies of other payloads too, other trees' or older
# builds': only those the second host holds are compared), and it holds the
# base and a prepared copy.
same_sizes() {
	local f n=0
	[ -n "$img" ] || { echo "# no image directory in $store"; return 1; }
	[ -e "$img/base.qcow2" ] && ls "$img"/prepared-*.qcow2 >/dev/null 2>&1 ||
		{ echo "# no base or prepared copy in $img"; return 1; }
	for f in "$img"/base.qcow2 "$img"/prepared-*.qcow2 "$img"/vmlinuz "$img"/initrd.img; do
		[ -e "$mine/$(basename "$f")" ] || continue
		n=$((n + 1))
		[ "$(stat -c %s "$f")" = "$(stat -c %s "$mine/$(basename "$f")")" ] ||
			{ echo "# differs: $f"; return 1; }
	done
	[ $n -ge 3 ] || { echo "# only $n of the second host's files are ours"; return 1; }
}
reused_only() { grep -q "host 'h2': image 'general' reused" "$out/reuse.log" && ! grep -q 'uploaded (' "$out/reuse.log"; }
kernel_again() { grep -Eq "host 'h2': image 'general' uploaded \((11|12) MiB" "$out/cut.log" && same_sizes; }
: >"$out/blocked"
start=$(date +%s)
$H run --results "$out/blocked" suite "$out/two.yaml" >"$out/reuse.log" 2>&1
grep "host 'h2'" "$out/reuse.log" | sed 's/^/# /'
ok "a second run reuses the uploaded image ($(($(date +%s) - start)) s)" reused_only
ok "the host's copies have our sizes" same_sizes
[ -z "$img" ] || truncate -s 1M "$img/vmlinuz"
$H run --results "$out/blocked" suite "$out/two.yaml" >"$out/cut.log" 2>&1
grep "host 'h2'" "$out/cut.log" | sed 's/^/# /'
ok "a cut-off file on the host is sent again, alone" kernel_again

# 5. parallel: hosts: vm1 on each host at once, the plan's two runs taken
# one per host (each claims a run before it boots its guest); one results
# directory; the statistics keep the hosts apart.
cat >"$out/par.yaml" <<YAML
suite: par-hosts
repeats: 2
rerun_disturbed: 0
warmup: 0
order: sequential
parallel: hosts
hosts:
  - {name: h1, uri: "$h1", address: $addr_host}
  - {name: h2, uri: "$h2"}
guests:
  - {name: vm1, image: general}
experiments:
  - type: nice
    duration_s: 3
YAML
on_veth || { echo "Bail out! the veth pair went away"; exit 1; }
start=$(date +%s)
$H run --results "$out/par-results" suite "$out/par.yaml" >"$out/par.log" 2>&1
st=$?
check "a parallel: hosts suite completes ($(($(date +%s) - start)) s)" $st
grep -E "host '|run\(s\) recorded" "$out/par.log" | tail -n 8 | sed 's/^/# /'
pdir=$(ls -d "$out"/par-results/*-par-hosts 2>/dev/null | head -n 1)
records_valid "$pdir"/runs/*.json
check "parallel: every record validates against the schema" $?
parcheck() {
	python3 - "$pdir" "$2" <<'PY' >"$out/py.out" 2>&1
import glob, json, sys
d, code = sys.argv[1], sys.argv[2]
recs = [json.load(open(f)) for f in sorted(glob.glob(d + "/runs/*.json"))]
summary = json.load(open(d + "/summary.json"))
exec(code)
PY
	local rc=$?
	sed 's/^/# /' "$out/py.out"
	check "$1" $rc
}
parcheck "parallel: one record from each host, each naming its host, its guest on it" '
for r in recs:
    print(r["run_id"], r["host"], r["guest"].get("host"), r["ok"], r.get("error"), round(r["finished"] - r["started"], 1), "s")
assert sorted(r["host"] for r in recs) == ["h1", "h2"]
assert all(r["ok"] and r["guest"]["host"] == r["host"] for r in recs)'
parcheck "parallel: the two hosts ran at the same time" '
a, b = recs
print("overlap", round(min(a["finished"], b["finished"]) - max(a["started"], b["started"]), 1), "s")
assert min(a["finished"], b["finished"]) > max(a["started"], b["started"])'
parcheck "parallel: statistics keep the hosts apart (one group per host)" '
g = [x for x in summary["groups"] if x["experiment"] == "nice"]
print([(x.get("host"), x["runs"]) for x in g])
assert sorted(x.get("host") for x in g) == ["h1", "h2"] and all(x["runs"] == 1 for x in g)'
$H report "$pdir" -o "$out/par.pdf" >/dev/null 2>"$out/par-report.err"
pdftotext -layout "$out/par.pdf" "$out/par.txt" 2>/dev/null
ok "parallel: the report heads each host's group" bash -c "grep -q 'on host h1' '$out/par.txt' && grep -q 'on host h2' '$out/par.txt'"

"$sh2" stop >"$out/h2-stop.out" 2>&1
check "the second host stops" $?
ok "nothing of the second host is left (namespace, veth)" bash -c "! ip netns list | grep -qw harness-h2 && ! ip link show $veth >/dev/null 2>&1"
# The runs' own state on this host: no run domain, pool or state directory.
left=$({ virsh -q -c "$h1" list --all --name; virsh -q -c "$h1" pool-list --all --name; } 2>/dev/null | grep -E '^(hr|hs|hsb)-'
	ls -A "$state/runs" 2>/dev/null)
[ -z "$left" ] || { echo "$left"; ls -lA --time-style=+%T "$state/runs" 2>/dev/null
	for o in "$state"/runs/*/owner.pid; do [ -e "$o" ] && echo "$o: $(cat "$o")"; done; } | sed 's/^/# left: /' >&2
check "nothing of the runs is left on this host (domains, pools, \$state/runs)" $([ -z "$left" ]; echo $?)
done_testing
