#!/bin/bash
# The fault drill (issue 15): faults injected into short real suite runs on
# real guests (a real libvirt daemon from ci/libvirtd, real QEMU, the images
# of 'make images'). For each fault: the affected run fails with its reason
# and the console tail, the rest of the suite goes on or resumes with
# 'harness run --resume', no finished record is lost, and nothing is left:
# no run domain, pool, overlay, state directory, saved state, bridge,
# network namespace, QEMU or harness process.
#
#   part 1, on the standing vm1 (borrowed, so no boot per harness run):
#     d. the results file system full (a 4 MiB tmpfs in a private mount
#        namespace, filled once the first record is written), then --resume;
#     f. SIGINT to harness, --resume, SIGTERM to harness, --resume.
#   part 2, one suite run on a per-run guest d1, six runs in order:
#     run 1 ok; a. run 2: QEMU killed with SIGKILL; b. run 3: guest kernel
#     panic (echo c > /proc/sysrq-trigger); c. run 4: qemu-ga stopped with
#     SIGSTOP; e. run 5: the libvirt daemon stopped and started; run 6 ok.
#
# Every fault is injected when the harness says the run is measuring (its
# progress line), never after a fixed sleep. Needs root and the images.
. "$(dirname "$0")/lib.sh"
out=$top/build/test-fault-drill

need_harness "needs root for libvirt's system connection and mount namespaces"

start_libvirtd adopt
[ $started_here = 1 ] || skip_all "fault e restarts the libvirt daemon: needs one started by ci/libvirtd, not the host's"
bg=
stop_bg() { [ -n "$bg" ] && kill -TERM "$bg" 2>/dev/null && wait "$bg" 2>/dev/null; }
stop_libvirtd() { "$top/ci/libvirtd" stop >/dev/null 2>&1; }
# The standing guests stay up for the tests after this one (t-spine takes
# them down and checks that it does).
at_exit stop_bg stop_libvirtd
fresh_out

bridges_before=$(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | sort)
# What an earlier test left is that test's to answer for (t-spine and
# t-migration check their own): said here, never blamed on the drill.
held_before=$({ virsh_list | grep '^hr-'; pool_list | grep '^hr-'; ls -A "$state/runs" 2>/dev/null; } | sort)
[ -z "$held_before" ] || diag "present before the drill (left by an earlier test): $(echo $held_before)"
# new_of LIST: the lines of LIST that were not there before the drill.
new_of() { comm -23 <(sort <<<"$1" | sed '/^$/d') <(sed '/^$/d' <<<"$held_before"); }
netns_before=$(ip netns list 2>/dev/null | sort)

# nothing_left: what a drill run may not leave; says on stderr what it
# found (prove shows stderr, not a test's other stdout lines).
nothing_left() {
	local bad=0 p o
	{
		if new_of "$(virsh_list | grep '^hr-')" | grep .; then bad=1; fi
		if new_of "$(pool_list | grep '^hr-')" | grep .; then bad=1; fi
		if [ -n "$(new_of "$(ls -A "$state/runs" 2>/dev/null)")" ]; then
			ls -lA --time-style=+%T "$state/runs"
			for o in "$state"/runs/*/owner.pid; do [ -e "$o" ] && echo "$o: $(cat "$o")"; done
			bad=1
		fi
		if find "$state" /var/lib/libvirt/qemu/save -name '*.save' 2>/dev/null | grep .; then bad=1; fi
		[ "$(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | sort)" = "$bridges_before" ] ||
			{ echo "bridges differ: $(ip -o link show type bridge | awk -F': ' '{print $2}' | tr '\n' ' ')"; bad=1; }
		[ "$(ip netns list 2>/dev/null | sort)" = "$netns_before" ] ||
			{ echo "network namespaces differ: $(ip netns list | tr '\n' ' ')"; bad=1; }
		if pgrep -af 'qemu-system.*guest=hr-' | cut -c1-160 | grep .; then bad=1; fi
		for p in $(pgrep -x harness); do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$H" ] && { echo "harness pid $p still running"; bad=1; }
		done
		[ $bad = 0 ]
	} 2>&1 | sed 's/^/# left: /' >&2
	return "${PIPESTATUS[0]}"
}

# records DIR POS:OK:REGEX...: the record at each plan position exists, is
# ok or failed as given; a failed one's error matches REGEX and it keeps a
# console tail (in the record and in failures/).
records() {
	python3 - "$@" <<'PY'
import glob, json, os, re, sys
d = sys.argv[1]
recs = {}
for p in glob.glob(d + "/runs/*.json"):
    r = json.load(open(p))
    recs[int(r["plan_position"])] = r
for spec in sys.argv[2:]:
    pos, ok, rx = spec.split(":", 2)
    r = recs.get(int(pos))
    assert r is not None, "no record at position %s (have %s)" % (pos, sorted(recs))
    if ok == "ok":
        assert r["ok"], "run %s: %s" % (pos, r.get("error"))
        continue
    assert not r["ok"], "run %s should have failed" % pos
    assert re.search(rx, r["error"] or ""), "run %s: error %r does not match %r" % (pos, r["error"], rx)
    tails = r.get("console_tail") or {}
    assert tails and all(t.strip() for t in tails.values()), "run %s: no console tail" % pos
    for g in tails:
        f = "%s/failures/%s.%s.console.txt" % (d, r["run_id"], g)
        assert os.path.getsize(f) > 0, f
    print("# run %s failed as it should: %s" % (pos, r["error"][:300]))
PY
}

# record_sum DIR POS: checksum of the record at a plan position.
record_sum() {
	local f
	for f in "$1"/runs/*.json; do
		python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["plan_position"] != int(sys.argv[2]))' \
			"$f" "$2" && { sha256sum <"$f"; return 0; }
	done
	return 1
}

cat >"$out/stand.yaml" <<'YAML'
# The fault drill's suite on the standing vm1 (borrowed).
suite: drill-standing
repeats: 3
# The faults are the subject: a disturbed run is marked, not run again (a
# re-run would shift the runs the faults are injected into).
rerun_disturbed: 0
warmup: 0
boot_timeout_s: 600
guests:
  - name: vm1
    image: general
    vcpus: 1
    memory_mib: 1024
experiments:
  - type: cpu-contention
    duration_s: 5
YAML
sed -e 's/^suite: .*/suite: drill-fresh/' -e 's/^repeats: .*/repeats: 6/' -e 's/name: vm1/name: d1/' \
	-e 's/memory_mib: 1024/memory_mib: 768/' -e 's/(borrowed)/(a guest of its own)/' -e 's/duration_s: 5/duration_s: 8/' \
	"$out/stand.yaml" >"$out/fresh.yaml"

$H vm up >"$out/vm-up.txt" 2>&1
check "vm up: the standing guests for part 1" $?

# d. The results file system full. Only the results directory: the state
# directory's overlays are written by libvirtd and QEMU, outside the test's
# mount namespace.
unshare --mount --propagation private bash -s "$H" "$out" >"$out/d.txt" 2>&1 <<'SH'
H=$1 out=$2
mkdir -p "$out/full" && mount -t tmpfs -o size=4m drill-full "$out/full" || exit 99
$H run --order sequential --results "$out/full" suite "$out/stand.yaml" >"$out/d-run.log" 2>&1 &
pid=$!
until ls "$out"/full/*/runs/*.json >/dev/null 2>&1; do
	kill -0 $pid 2>/dev/null || break
	sleep 0.5
done
dd if=/dev/zero of="$out/full/filler" bs=64k >/dev/null 2>&1
wait $pid
echo $? >"$out/d-run.status"
dir=$(ls -d "$out"/full/*-drill-standing)
mkdir -p "$out/d-after-fault" && cp -a "$dir"/. "$out/d-after-fault/"
rm -f "$out/full/filler"
$H run --resume "$dir" >"$out/d-resume.log" 2>&1
echo $? >"$out/d-resume.status"
mkdir -p "$out/d-results" && cp -a "$dir"/. "$out/d-results/"
SH
diag "$(cat "$out/d.txt")"
test "$(cat "$out/d-run.status" 2>/dev/null)" -ne 0 2>/dev/null &&
	grep -qi "no space left on device" "$out/d-run.log" && grep -q "harness run --resume" "$out/d-run.log"
check "d. results file system full: harness stops non-zero, says no space and how to resume" $?
diag "$(grep -E 'space|resume' "$out/d-run.log" | head -n 3)"
records "$out/d-after-fault" 1:ok: && test "$(ls "$out"/d-after-fault/runs/*.json | wc -l)" -eq 1 &&
	test -z "$(ls -A "$out"/d-after-fault/runs/ | grep -v '\.json$')"
check "d. the first record is kept whole, no partial file beside it" $?
sum1=$(record_sum "$out/d-after-fault" 1)
test "$(cat "$out/d-resume.status" 2>/dev/null)" = 0 && records "$out/d-results" 1:ok: 2:ok: 3:ok: &&
	test "$(record_sum "$out/d-results" 1)" = "$sum1" && grep -q "done earlier, kept" "$out/d-resume.log"
check "d. --resume after making room runs runs 2 and 3; record 1 unchanged" $?
ok "d. nothing left behind" nothing_left
ok "d. the borrowed vm1 is still up" sh -c "virsh -q -c qemu:///system domstate vm1 | grep -q running"

# f. SIGINT, then SIGTERM, to harness in the middle of a measurement.
$H run --order sequential --results "$out/sig" suite "$out/stand.yaml" >"$out/f-int.log" 2>&1 &
bg=$!
wait_line "$out/f-int.log" '^\[2/3\] .*: measuring' $bg && kill -INT $bg
wait $bg
st=$?
bg=
fdir=$(ls -d "$out"/sig/*-drill-standing 2>/dev/null | head -n 1)
test $st -ne 0 && records "$fdir" 1:ok: '2:failed:interrupted'
check "f. SIGINT: harness exits non-zero; run 1 kept, run 2 failed 'interrupted' with its console tail" $?
ok "f. SIGINT: nothing left behind" nothing_left
sum1=$(record_sum "$fdir" 1)
$H run --resume "$fdir" >"$out/f-term.log" 2>&1 &
bg=$!
wait_line "$out/f-term.log" '^\[3/3\] .*: measuring' $bg && kill -TERM $bg
wait $bg
st=$?
bg=
test $st -ne 0 && records "$fdir" 1:ok: 2:ok: '3:failed:interrupted' && test "$(record_sum "$fdir" 1)" = "$sum1"
check "f. SIGTERM after --resume: run 2 redone, run 3 failed 'interrupted', record 1 unchanged" $?
ok "f. SIGTERM: nothing left behind" nothing_left
$H run --resume "$fdir" >"$out/f-resume.log" 2>&1
st=$?
test $st -eq 0 && records "$fdir" 1:ok: 2:ok: 3:ok: && test "$(record_sum "$fdir" 1)" = "$sum1"
check "f. the last --resume completes the suite" $?

# Part 2: faults a, b, c, e in one suite run on a guest of its own.
$H run --order sequential --results "$out/fresh" suite "$out/fresh.yaml" >"$out/fresh.log" 2>&1 &
bg=$!
dom_of_run() { virsh_list | grep -E '^hr-.*-drill-fresh-d1$' | head -n 1; }
in_guest() { timeout 60 $H vm exec "$(dom_of_run)" -- /bin/sh -c "$1" >>"$out/inject.log" 2>&1; }
injected=
# a. QEMU killed.
if wait_line "$out/fresh.log" '^\[2/6\] .*: measuring' $bg; then
	d=$(dom_of_run)
	pdir=$(ls -d "$out"/fresh/*-drill-fresh | head -n 1)
	sum1=$(record_sum "$pdir" 1)
	kill -KILL "$(cat "/run/libvirt/qemu/$d.pid")" && injected="$injected a"
fi
# b. A guest kernel panic, from a process of its own so that the agent's
# command returns first.
wait_line "$out/fresh.log" '^\[3/6\] .*: measuring' $bg &&
	in_guest 'setsid sh -c "sleep 1; echo c >/proc/sysrq-trigger" </dev/null >/dev/null 2>&1 &' &&
	injected="$injected b"
# c. The guest agent stopped (shell built-ins only: a fork per process is
# slow under TCG). vm exec may itself lose the race with the stop.
wait_line "$out/fresh.log" '^\[4/6\] .*: measuring' $bg &&
	{ in_guest 'setsid sh -c "sleep 0.5; for p in /proc/[0-9]*; do read -r c <\$p/comm && [ \"\$c\" = qemu-ga ] && kill -STOP \${p#/proc/}; done" </dev/null >/dev/null 2>&1 &'
	  injected="$injected c"; }
# e. The libvirt daemon restarted.
wait_line "$out/fresh.log" '^\[5/6\] .*: measuring' $bg &&
	"$top/ci/libvirtd" stop >>"$out/inject.log" 2>&1 && "$top/ci/libvirtd" start >>"$out/inject.log" 2>&1 &&
	injected="$injected e"
wait $bg
st=$?
bg=
diag "injected:$injected"
test "$injected" = " a b c e"
check "a, b, c, e injected while runs 2, 3, 4, 5 were measuring" $?
ok "the suite went on to its end and exits non-zero for its failed runs" test $st -ne 0 -a -n "$(grep -aF '[6/6]' "$out/fresh.log")"
records "$pdir" 1:ok: 6:ok:
check "run 1 before the faults and run 6 after them recorded ok" $?
test -n "$sum1" -a "$(record_sum "$pdir" 1)" = "$sum1"
check "run 1's record unchanged by the faults" $?
records "$pdir" '2:failed:QEMU exited or was killed'
check "a. SIGKILL to QEMU: run 2 failed, the domain named as stopped, console tail kept" $?
records "$pdir" '3:failed:kernel panic: Kernel panic - not syncing'
check "b. guest kernel panic: run 3 failed with the panic line from the console" $?
records "$pdir" "4:failed:guest agent of 'hr-[^']*' did not answer"
check "c. qemu-ga stopped: run 4 failed, the agent named as not answering" $?
records "$pdir" '5:failed:.' && grep -aq 'connection to libvirt was lost' "$out/fresh.log"
check "e. libvirtd restarted: run 5 failed, the harness connected again and went on" $?
ok "a-e: nothing left behind (domains, pools, overlays, state, processes)" nothing_left
diag "$(grep -aE 'failed:|lost|removing' "$out/fresh.log" | cut -c1-300)"

done_testing
