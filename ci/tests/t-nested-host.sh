#!/bin/bash
# shellcheck disable=SC2317  # functions run from traps
# ci/nested-host on real parts: a Debian guest with systemd, cgroup v2 and
# libvirt-daemon-system, reached only over its own tap link, driven as a
# remote libvirt host through a suite's hosts:. The tiny image is uploaded
# through its storage API; cpu-contention runs there with shares 1024:1024
# and 2048:1024, pinning same, and its weights must go through libvirt's
# cgroup path (mechanism cgroup, cpu.weight read back as given) with the
# measured shares within the record's own tolerance of theory; harness
# doctor --host reports the systemd daemon, cgroup v2 and its controllers
# and the mechanism, with no warning but TCG's; 'stop' leaves nothing.
# TCG inside TCG: the guests are tiny and the suite short (one run per
# setting); the time of each step is printed.
# Runs under the guest lock like every integration test
# (flock /tmp/harness-guests.lock make integration); it takes no lock itself.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
. "$top/guest/tests/schema.sh"
schema=$top/harness/schema/run.schema.json
H=$top/build/bin/harness
nh=$top/ci/nested-host
out=$top/build/test-nested-host
[ "$(id -u)" -eq 0 ] || skip_all "needs root for a tap device, QEMU and libvirt's system connection"
# Under TCG inside TCG (this build machine) the tiny guests took 500 s to
# answer inside the nested host and the guest agent then timed out (30 s)
# under cpu-contention's load (BENCHMARKS.md, "A host inside a guest"):
# until that is cut down the test runs only when asked for, where the
# nested host has KVM or time is no object.
[ "${HARNESS_TEST_NESTED:-0}" = 1 ] ||
	skip_all "TCG inside TCG: about 15 minutes and not yet passing here (set HARNESS_TEST_NESTED=1 to run it)"
[ -x "$H" ] || skip_all "harness not built"
command -v libvirtd >/dev/null || skip_all "libvirtd not installed (make deps)"
rm -rf "$out" && mkdir -p "$out"
uri=$("$nh" uri)
tap=harness-nh
run=/run/harness-nested-host
nstate=${HARNESS_STATE_DIR:-/var/lib/harness}/nested-host
addr=${uri#qemu+tcp://}
addr=${addr%%/*}
on_tap() { ip -4 route get "$addr" 2>/dev/null | grep -q " dev $tap "; }
secs() { echo $(($(date +%s) - $1)); }

h1_started=0
if ! timeout 10 virsh -q -c qemu:///system version >/dev/null 2>&1; then
	"$top/ci/libvirtd" start >"$out/h1-start.out" 2>&1 || {
		sed 's/^/# /' "$out/h1-start.out"
		echo "Bail out! the first host (ci/libvirtd start) does not start"
		exit 1
	}
	h1_started=1
fi
finish() {
	"$nh" stop >/dev/null 2>&1
	[ "$h1_started" = 0 ] || "$top/ci/libvirtd" stop >/dev/null 2>&1
}
trap finish EXIT

# nothing_left FILE: every trace of the nested host, one line each, into FILE.
nothing_left() {
	{
		[ -n "${qpid:-}" ] && [ -r "/proc/$qpid/stat" ] && ! sed 's/.*) //' "/proc/$qpid/stat" | grep -q '^[ZX]' &&
			echo "process: $qpid $(cat "/proc/$qpid/comm")"
		ip -o link show "$tap" 2>/dev/null | sed 's/^/link: /'
		ip -4 -o addr show to 169.254.78.0/30 | sed 's/^/address: /'
		for d in "$run" "$nstate"; do [ -e "$d" ] && echo "directory: $d"; done
		virsh -q -c qemu:///system list --all --name 2>/dev/null | grep '^hr-' | sed 's/^/domain here: /'
	} >"$1"
	[ ! -s "$1" ] || sed 's/^/# /' "$1"
	[ ! -s "$1" ]
}

plan 17

# The tiny image with this build's binaries (make images builds it).
t=$(date +%s)
"$top/images/build-image" tiny >"$out/tiny-build.out" 2>&1 && $H -q image prepare tiny >>"$out/tiny-build.out" 2>&1
check "the tiny image is built and prepared ($(secs "$t") s)" $?

t=$(date +%s)
"$nh" start >"$out/start.out" 2>&1
st=$?
check "the nested host starts and its libvirt answers at $uri ($(secs "$t") s)" $st
sed 's/^/# /' "$out/start.out"
[ $st = 0 ] || { echo "Bail out! no nested host to test"; exit 1; }
on_tap || { echo "Bail out! the nested host's tap link is missing: nothing may connect to $addr"; exit 1; }
qpid=$(cat "$run/qemu.pid" 2>/dev/null)
ok "status: running" "$nh" status

# doctor --host: the path of a real host, and no warning but the accelerator's.
t=$(date +%s)
$H doctor --host "$uri" >"$out/doctor.txt" 2>&1
check "doctor --host $uri: the host can run the guests ($(secs "$t") s)" $?
sed 's/^/# /' "$out/doctor.txt"
ok "doctor --host: a systemd host whose libvirt puts domains in machine.slice" \
	grep -Eq '^ok +daemon +systemd host .*machine\.slice' "$out/doctor.txt"
ok "doctor --host: cgroup v2 with the cpu, memory and io controllers" \
	grep -Eq '^ok +cgroups +cgroup v2 .*: cpu memory io$' "$out/doctor.txt"
ok "doctor --host: the suite's weight mechanism is cgroup" grep -Eq '^ok +weights +cgroup: libvirt cpu_shares' "$out/doctor.txt"
ok "doctor --host: no FAIL, no warning but the accelerator's (TCG)" \
	bash -c "! grep -E '^(FAIL|warn) ' '$out/doctor.txt' | grep -vE '^warn +accelerator +tcg: '"

# cpu-contention on the nested host through hosts:, the image uploaded there.
cat >"$out/nested.yaml" <<YAML
suite: nested
repeats: 1
warmup: 0
order: sequential
boot_timeout_s: 600
hosts:
  - {name: here, uri: "qemu:///system"}
  - {name: nested, uri: "$uri"}
guests:
  - {name: vm1, image: tiny, memory_mib: 256, host: nested}
  - {name: vm2, image: tiny, memory_mib: 256, host: nested}
experiments:
  - type: cpu-contention
    duration_s: 15
    vary:
      shares: ["1024:1024", "2048:1024"]
      pinning: same
YAML
t=$(date +%s)
$H run --results "$out/results" suite "$out/nested.yaml" >"$out/run.log" 2>&1
check "the suite runs on the nested host ($(secs "$t") s)" $?
grep -E 'uploaded|agent ready|results:|error|failed' "$out/run.log" | sed 's/^/# /'
dir=$(sed -n 's/^results: //p' "$out/run.log" | tail -n 1)
[ -n "$dir" ] || dir=/nonexistent
records_valid() {
	[ "$have_jsonschema" = 1 ] || { echo "# python3-jsonschema missing (make deps)"; return 1; }
	for f in "$dir"/runs/*.json; do valid "$f" || return 1; done
}
ok "the records are valid harness-run/1" records_valid
py() {
	python3 - "$dir" "$1" >"$out/$2.txt" 2>&1 <<'PY'
import glob, json, sys
recs = [json.load(open(p)) for p in sorted(glob.glob(sys.argv[1] + "/runs/*.json"))]
env = json.load(open(sys.argv[1] + "/env.json"))
exec(sys.argv[2])
PY
	local st=$?
	diag "$(cat "$out/$2.txt")"
	return $st
}
ok "the tiny image went to the nested host through its storage API" py '
img = env["hosts"]["nested"]["images"]["tiny"]
print("tiny on the nested host:", img["state"], img["uploaded_bytes"], "bytes in %.1f s" % img["seconds"])
assert img["state"] in ("uploaded", "reused")' upload
ok "two runs, both ok, weights and memory through cgroups (mechanism cgroup)" py '
assert len(recs) == 2, len(recs)
for r in recs:
    w = r["cpu_weights"]
    print(r["settings"]["shares"], r["ok"], w["mechanism"], "-", w["reason"], "- controllers", w["cgroup_controllers"])
    assert r["ok"] and w["mechanism"] == "cgroup"
    assert {"cpu", "memory"} <= set(w["cgroup_controllers"])' mechanism
ok "libvirt holds the weights as given (cpu.weight), and the guests ran on the nested host" py '
for r in recs:
    want = [int(w) for w in r["settings"]["shares"].split(":")]
    got = [g["effective_weight"] for g in r["guests"]]
    print(r["settings"]["shares"], "read back:", got, [g["guest"]["runner"]["guest"]["hostname"] for g in r["guests"]])
    assert got == want, got
    assert all(g["guest"]["runner"]["guest"]["hostname"] == "vm-tiny" for g in r["guests"])' weights
ok "measured shares within the record's own tolerance of theory" py '
for r in recs:
    th = r["theory"]
    for g in r["guests"]:
        print("%s %s: measured %.3f expected %.3f (nice fallback would expect %.3f); vCPU threads %.1f s, others %.1f s"
              % (r["settings"]["shares"], g["name"], g["measured_share"], g["expected_share"], g["expected_share_nice"],
                 g["vcpu_threads_cpu_s"], g["other_threads_cpu_s"]))
        assert abs(g["measured_share"] - g["expected_share"]) <= th["share_tolerance"]
    assert th["within_tolerance"], th' shares

t=$(date +%s)
"$nh" stop >"$out/stop.out" 2>&1
check "stop ($(secs "$t") s)" $?
ok "nothing left: no QEMU, no tap link, no address, no directory, no domain here" nothing_left "$out/left.txt"
ok "status: not running" bash -c "! '$nh' status"
done_testing
