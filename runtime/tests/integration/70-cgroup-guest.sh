#!/bin/bash
# cgroup v2 limits, in a Debian stable guest kernel booted under QEMU
# (ci/qemu-initramfs-run; TCG here, about 1-2 minutes): memory.max ends in
# an oom-kill, cpu.weight/cpu.max/pids.max are written, the child runs in
# its cgroup from the start, usage is reported. The host's cgroups are
# never touched.
. "$(dirname "$0")/lib.sh"
[ -x "$top/ci/guest-kernel" ] && [ -x "$top/ci/qemu-initramfs-run" ] ||
	skip_all "ci/guest-kernel or ci/qemu-initramfs-run is missing"
eval "$("$top/ci/guest-kernel" stable 2>/dev/null)" || skip_all "no stable guest kernel could be built"
plan 8
p=$T/payload
mkdir -p "$p/bin"
cp "$R" "$p/bin/harness-runtime"
cp "$tarball" "$p/busybox.tar.gz"
cat >"$p/init.sh" <<'GUEST'
#!/bin/sh
R=/bin/harness-runtime
export HARNESS_RUNTIME_SOCKET=/run/hrt/sock
res() { if [ "$2" -eq 0 ]; then echo "RESULT ok $1"; else echo "RESULT fail $1"; fi; }
mkdir -p /tmp/rootfs && tar -xzf /busybox.tar.gz -C /tmp/rootfs
$R supervisor --state-dir /run/hrt >/tmp/sv.log 2>&1 &
for i in $(seq 100); do [ -S /run/hrt/sock ] && break; sleep 0.1; done
$R run hog /tmp/rootfs --memory-max 32M -- sh -c 'tail /dev/zero'
$R ps
$R ps | grep -Eq '^hog +oom-killed'; res "memory.max: the hog is oom-killed" $?
$R inspect hog | grep -q '"oom_kill":[[:space:]]*[1-9]'; res "memory.events shows the oom kill" $?
$R start cpu /tmp/rootfs --cpu-weight 300 --cpus 0.5 --pids-max 20 --cpuset 0 --memory-high 48M -- sh -c 'cat /proc/self/cgroup; sleep 30' >/dev/null
cg=/sys/fs/cgroup/harness/cpu
[ "$(cat $cg/cpu.weight)" = 300 ] && [ "$(cat $cg/cpu.max)" = "50000 100000" ]; res "cpu.weight and cpu.max are written" $?
[ "$(cat $cg/pids.max)" = 20 ] && [ "$(cat $cg/cpuset.cpus)" = 0 ] && [ "$(cat $cg/memory.high)" = 50331648 ]; res "pids.max, cpuset.cpus and memory.high are written" $?
sleep 0.5
pid=$($R inspect cpu | sed -n 's/^[[:space:]]*"pid":[[:space:]]*\([0-9]*\).*/\1/p' | head -n 1)
grep -qx "$pid" $cg/cgroup.procs; res "the container's init is in its cgroup" $?
$R logs cpu | grep -qx '0::/'; res "it sees its own cgroup as / (cgroup namespace)" $?
$R run forky /tmp/rootfs --pids-max 5 -- sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait'
$R inspect forky | grep -q '"pids_current"'; res "usage is reported (pids.current)" $?
$R logs forky | grep -q "fork\|resource"; res "pids.max refuses extra processes" $?
$R shutdown
cat /tmp/sv.log
exit 0
GUEST
chmod +x "$p/init.sh"
"$top/ci/qemu-initramfs-run" --kernel "$KERNEL" --payload "$p" --timeout 400 --mem 512 >"$T/console" 2>&1
rc=$?
diag "guest exit status $rc"
n=0
while read -r _ st desc; do
	n=$((n + 1))
	check "$desc" $([ "$st" = ok ]; echo $?)
done < <(grep -a '^RESULT ' "$T/console" | tr -d '\r')
if [ "$n" -ne 8 ]; then
	diag "only $n results from the guest; console tail:" "$(tail -n 30 "$T/console")"
	for _ in $(seq $((8 - n))); do check "guest result missing" 1; done
fi
done_testing
