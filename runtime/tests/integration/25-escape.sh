#!/bin/bash
# The escapes of issue 15, tried as root inside a busybox container on the
# host (namespaces only; the cgroup device filter is checked in the guest,
# 75-escape-guest.sh). Each check fails on a runtime without the guard.
. "$(dirname "$0")/lib.sh"
plan 27
sv_start --subnet 10.79.0.0/24 || exit 1

# probe CMD [OPTIONS]: runs CMD in a new container; "RAN" shows it did run.
probe() { "$R" run "p$RANDOM$RANDOM" "$T/rootfs" "${@:2}" -- sh -c "$1; echo RAN" 2>&1; }
ran() { echo "$1" | grep -q RAN; }

# /proc and /sys: masked and read-only paths, as crun and runc set them.
out=$(probe 'for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats /proc/timer_stats; do
	[ -e $f ] && echo "$f $(head -c 64 $f 2>/dev/null | wc -c)"; done; for d in /sys/firmware /proc/acpi /proc/scsi; do [ -d $d ] && ls -A $d; done | wc -l')
check "masked: /proc/kcore, keys, timer_list, sched_debug... read empty" \
	$(ran "$out" && ! echo "$out" | grep -q '^/proc/[a-z_]* [1-9]'; echo $?)
check "masked: /sys/firmware, /proc/acpi, /proc/scsi are empty" $([ "$(echo "$out" | tail -n 2 | head -n 1)" = 0 ]; echo $?)
out=$(probe "[ -e /proc/sysrq-trigger ] || echo ABSENT; echo h > /proc/sysrq-trigger && echo WROTE")
check "writing 'h' to /proc/sysrq-trigger fails" $(ran "$out" && ! echo "$out" | grep -q WROTE; echo $?)
# The same value back: harmless if it wrongly succeeds.
out=$(probe 'v=$(cat /proc/sys/kernel/core_pattern); printf "%s\n" "$v" > /proc/sys/kernel/core_pattern && echo WROTE')
check "writing /proc/sys/kernel/core_pattern fails" $(ran "$out" && ! echo "$out" | grep -q WROTE; echo $?)
out=$(probe 'grep -E " /proc/(sys|irq|bus|fs|sysrq-trigger) " /proc/mounts')
check "/proc/sys, irq, bus, fs, sysrq-trigger are mounted read-only" \
	$([ "$(echo "$out" | grep -c ' ro,')" -ge 3 ] && ! echo "$out" | grep -q ' rw,'; echo $?)

# Devices: no CAP_MKNOD, a nodev /dev with the standard nodes only.
out=$(probe 'mknod /dev/k c 10 232 && echo MADE; mknod /tmp/l0 b 7 0 && echo MADE')
check "mknod /dev/k c 10 232 and a block node fail" $(ran "$out" && ! echo "$out" | grep -q MADE; echo $?)
out=$(probe 'mknod /dev/k c 10 232 && echo MADE' --read-only)
check "mknod fails with --read-only too" $(ran "$out" && ! echo "$out" | grep -q MADE; echo $?)
check "CAP_MKNOD is not in the bounding set" $(probe 'grep CapBnd /proc/self/status' | grep -q '00000000a00425fb$'; echo $?)
out=$(probe 'grep " /dev " /proc/mounts')
check "/dev is a tmpfs with nodev,nosuid,noexec ($(echo $out | cut -d' ' -f4))" \
	$(echo "$out" | grep -q 'nosuid' && echo "$out" | grep -q 'nodev' && echo "$out" | grep -q 'noexec'; echo $?)
out=$(probe 'ls /dev | tr "\n" " "; echo' | grep -v RAN)
check "/dev holds the standard entries only ($out)" \
	$([ "$out" = "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero " ]; echo $?)
out=$(probe 'echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c' | grep -v RAN)
check "the standard nodes work" $([ "$(echo $out)" = "4 4" ]; echo $?)
out=$(probe 'chmod 0600 /dev/null && echo CHANGED')
check "the standard nodes cannot be changed" $(ran "$out" && ! echo "$out" | grep -q CHANGED; echo $?)

# Paths inside the root never resolve outside it.
cp -a "$T/rootfs" "$T/evil"
mkdir -p "$T/host-etc"
rm -f "$T/evil/etc/hosts"
ln -s "$T/host-hosts" "$T/evil/etc/hosts"
"$R" run evil1 "$T/evil" --net -- true >/dev/null 2>&1
check "a symlinked etc/hosts (absolute) creates no host file" $([ ! -e "$T/host-hosts" ] && [ ! -L "$T/host-hosts" ]; echo $?)
rm -rf "$T/evil/etc"
ln -s "../../../../../../../$T/host-etc" "$T/evil/etc"
"$R" run evil2 "$T/evil" --net -- true >/dev/null 2>&1
check "a symlinked etc (relative, ..) writes nothing outside" $([ -z "$(ls -A "$T/host-etc")" ]; echo $?)
if command -v crun >/dev/null; then
	b=$T/bundle
	mkdir -p "$b" "$T/host-opt"
	cp -a "$T/rootfs" "$b/rootfs"
	rm -rf "$b/rootfs/opt"
	ln -s "$T/host-opt" "$b/rootfs/opt"
	(cd "$b" && crun spec)
	python3 - "$b/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "ls /opt"]
c["root"]["readonly"] = False
c["mounts"].append({"destination": "/opt/x", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]})
json.dump(c, open(p, "w"), indent=1)
PY
	"$R" run evil3 --bundle "$b" >/dev/null 2>&1
	check "a bundle whose rootfs/opt points outside creates no host directory" \
		$([ -z "$(ls -A "$T/host-opt")" ]; echo $?)
	# The bundle's own capabilities and seccomp replace the defaults.
	python3 - "$b/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["args"] = ["sh", "-c", "grep CapBnd /proc/self/status; mkdir /tmp/d || echo REFUSED"]
c["process"]["capabilities"] = {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted")}
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/opt/x"]
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
json.dump(c, open(p, "w"), indent=1)
PY
	out=$("$R" run caps1 --bundle "$b" 2>&1)
	check "the bundle's capabilities are applied ($(echo $out | cut -c1-40))" \
		$(echo "$out" | grep -q 'CapBnd:.*0000000000000020$'; echo $?)
	check "the bundle's seccomp filter is applied" $(echo "$out" | grep -q REFUSED; echo $?)
else
	skip "crun spec is needed to write the bundle"
	skip "crun spec is needed to write the bundle"
	skip "crun spec is needed to write the bundle"
fi

# Seccomp: Docker's default profile refuses what the capabilities allow.
check "a seccomp filter is installed" $(probe 'grep "^Seccomp:" /proc/self/status' | grep -q '2$'; echo $?)
out=$(probe 'unshare -U true && echo UNSHARED')
check "unshare(CLONE_NEWUSER) is refused by the filter" $(ran "$out" && ! echo "$out" | grep -q UNSHARED; echo $?)
check "ordinary programs still run under it" $([ "$(probe 'ls / >/dev/null && date +%Y | wc -c' | grep -v RAN)" = 5 ]; echo $?)

# User namespaces, optional: container root is an unprivileged host uid.
out=$(probe 'cat /proc/self/uid_map /proc/self/gid_map; id -u' --userns | grep -v RAN)
check "--userns maps root to 100000..165535 ($(echo $out))" \
	$([ "$(echo $out)" = "0 100000 65536 0 100000 65536 0" ]; echo $?)
"$R" start idle "$T/rootfs" --userns -- sleep 30 >/dev/null 2>&1
pid=$(sed -n 's/^[[:space:]]*"pid":[[:space:]]*\([0-9]*\).*/\1/p' "$T/state/containers/idle/state.json" 2>/dev/null | head -n 1)
huid=$([ -n "$pid" ] && awk '/^Uid:/ {print $2}' "/proc/$pid/status")
check "seen from the host it runs as uid $huid" $([ "$huid" = 100000 ]; echo $?)
"$R" stop idle -t 1 >/dev/null 2>&1

# The supervisor: a slow client holds nobody, and limits of 0 are refused.
# The trickler sends one byte a second; the order of events is the test.
coproc SLOW { python3 -c '
import select, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
req = b"HRTP\x01\x01\x00\x00\x00\x00\x00\x02{}"
for i, b in enumerate(req):
    if select.select([s], [], [], 0)[0]:
        break
    s.send(bytes([b]))
    print("SENT", i + 1, flush=True)
    if i == 0:
        sys.stdin.readline()
        print("CONNECTED" if not select.select([s], [], [], 0)[0] else "GONE", flush=True)
    time.sleep(1)
data = s.recv(4096)
print("CUT" if i + 1 < len(req) else "WHOLE", i + 1, data[12:].decode(errors="replace"), flush=True)
' "$HARNESS_RUNTIME_SOCKET"; }
read -r -u "${SLOW[0]}" _
"$R" ps >/dev/null
ps_rc=$?
echo ps >&"${SLOW[1]}"
read -r -u "${SLOW[0]}" conn
check "another client is served while a slow one trickles (it is $conn)" $([ $ps_rc = 0 ] && [ "$conn" = CONNECTED ]; echo $?)
while read -r -u "${SLOW[0]}" word n rest; do [ "$word" = SENT ] || break; done
wait "$SLOW_PID" 2>/dev/null
check "the slow client is cut off before its request is whole ($word after $n bytes: $rest)" \
	$([ "$word" = CUT ] && echo "$rest" | grep -q "time limit"; echo $?)
for l in "--memory-max 0" "--cpu-max 0/100000" "--pids-max 0"; do
	"$R" start zero "$T/rootfs" $l -- true >/dev/null 2>"$T/err"
	rc=$?
	check "a limit of 0 ($l) is refused: $(cat "$T/err")" $([ $rc -ne 0 ] && grep -q "of 0 refused" "$T/err"; echo $?)
done
done_testing
