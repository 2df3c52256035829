#!/bin/bash
# The escapes of issue 15 tried again from inside containers on a Debian
# stable guest kernel with cgroup v2 (ci/qemu-initramfs-run, TCG here):
# sysrq and core_pattern, masked /proc files, device nodes (capability,
# nodev mounts and the cgroup eBPF device filter, char and block nodes;
# loop is loaded for a block device to exist), seccomp, user namespaces.
# The guest is its own machine: nothing here touches the host's cgroups.
. "$(dirname "$0")/lib.sh"
[ -x "$top/ci/guest-kernel" ] && [ -x "$top/ci/qemu-initramfs-run" ] ||
	skip_all "ci/guest-kernel or ci/qemu-initramfs-run is missing"
eval "$("$top/ci/guest-kernel" stable 2>/dev/null)" || skip_all "no stable guest kernel could be built"
N=20
plan $N
p=$T/payload
mkdir -p "$p/bin"
cp "$R" "$p/bin/harness-runtime"
cp "$tarball" "$p/busybox.tar.gz"
cat >"$p/init.sh" <<'GUEST'
#!/bin/sh
R=/bin/harness-runtime
export HARNESS_RUNTIME_SOCKET=/run/hrt/sock
res() { if [ "$2" -eq 0 ]; then echo "RESULT ok $1"; else echo "RESULT fail $1"; fi; }
# probe CMD [OPTIONS]: runs CMD in a new container; "RAN" shows it did run.
probe() { n=p$RANDOM$RANDOM; c=$1; shift; $R run $n /tmp/rootfs "$@" -- sh -c "$c; echo RAN" 2>&1; }
ran() { echo "$1" | grep -q RAN; }
mkdir -p /tmp/rootfs && tar -xzf /busybox.tar.gz -C /tmp/rootfs
$R supervisor --state-dir /run/hrt >/tmp/sv.log 2>&1 &
for i in $(seq 100); do [ -S /run/hrt/sock ] && break; sleep 0.1; done
[ -e /proc/sysrq-trigger ]; res "the guest kernel has /proc/sysrq-trigger" $?
out=$(probe 'echo h > /proc/sysrq-trigger && echo WROTE' --pids-max 100)
ran "$out" && ! echo "$out" | grep -q WROTE; res "echo h > /proc/sysrq-trigger fails in a container" $?
out=$(probe 'echo "|/bin/evil" > /proc/sys/kernel/core_pattern && echo WROTE' --pids-max 100)
ran "$out" && ! echo "$out" | grep -q WROTE && ! grep -q evil /proc/sys/kernel/core_pattern; res "core_pattern cannot be written from a container" $?
out=$(probe 'for f in /proc/timer_list /proc/keys /proc/sched_debug /proc/kcore; do [ -e $f ] && head -c 64 $f | wc -c; done | sort -u' | grep -v RAN)
[ "$out" = 0 ]; res "timer_list, keys, sched_debug, kcore read empty ($out)" $?
out=$(probe 'mknod /dev/k c 10 232 && echo MADE; mknod /tmp/l0 b 7 0 && echo MADE' --pids-max 100)
ran "$out" && ! echo "$out" | grep -q MADE; res "mknod /dev/k c 10 232 and b 7 0 fail" $?
out=$(probe 'mknod /dev/k c 10 232 && echo MADE' --read-only --pids-max 100)
ran "$out" && ! echo "$out" | grep -q MADE; res "mknod fails with --read-only too" $?
# The device filter itself: a guest root shell (with CAP_MKNOD, on the
# guest's devtmpfs) joins the cgroup of a running container.
# The container has no limits: it gets its cgroup for the filter anyway.
$R start dev /tmp/rootfs -- sleep 60
cg=/sys/fs/cgroup/harness/dev
[ -d $cg ]; res "a container without limits has its own cgroup" $?
out=$(sh -c "echo \$\$ > $cg/cgroup.procs && mknod /tmp/kmsg c 1 11 && echo MADE; head -c 1 /dev/kmsg >/dev/null && echo READ; echo x > /dev/null && echo NULLOK" 2>&1)
echo "$out"
! echo "$out" | grep -q MADE && ! echo "$out" | grep -q READ; res "the cgroup device filter refuses mknod and /dev/kmsg" $?
echo "$out" | grep -q NULLOK; res "and allows /dev/null" $?
$R stop dev -t 1 >/dev/null
# Issue 24: char and block nodes, in the root and through the filter alone.
! grep -q 'no device controller' /tmp/sv.log; res "the supervisor has its device controller (no warning)" $?
[ -b /dev/loop0 ] && head -c 0 /dev/loop0 && head -c 0 /dev/kmsg; res "outside a container /dev/loop0 and /dev/kmsg open" $?
cp -a /tmp/rootfs /tmp/devroot && mkdir -p /tmp/devroot/opt
mknod /tmp/devroot/opt/kmsg c 1 11 && mknod /tmp/devroot/opt/loop b 7 0
out=$($R run dn1 /tmp/devroot -- sh -c '(echo hrt-75 >/opt/kmsg) && echo OPENED; (: </opt/loop) && echo OPENED; echo RAN' 2>&1)
echo "$out"
ran "$out" && ! echo "$out" | grep -q OPENED && [ "$(echo "$out" | grep -c 'denied\|not permitted')" = 2 ]
res "c 1 11 and b 7 0 placed in the root cannot be opened" $?
$R start dev2 /tmp/rootfs -- sleep 60
$R inspect dev2 | tr -d ' \t\n' | grep -q '"devices":{"nodev":true,"filter":true}'; res "inspect shows the filter attached" $?
out=$(sh -c "echo \$\$ > /sys/fs/cgroup/harness/dev2/cgroup.procs && { mknod /tmp/b0 b 7 0 && echo MADE; head -c 0 /dev/loop0 && echo READ; }" 2>&1)
echo "$out"
! echo "$out" | grep -q 'MADE\|READ' && echo "$out" | grep -q 'not permitted'; res "the filter refuses mknod b 7 0 and opening /dev/loop0" $?
# A start whose filter cannot be attached is refused with the reason: a
# second supervisor under dev2's group, whose program (attached without
# BPF_F_ALLOW_OVERRIDE) forbids programs below it.
$R supervisor --state-dir /run/hrt2 --cgroup-root /sys/fs/cgroup/harness/dev2/sub >/tmp/sv2.log 2>&1 &
for i in $(seq 100); do [ -S /run/hrt2/sock ] && break; sleep 0.1; done
$R --socket /run/hrt2/sock run nofilter /tmp/rootfs -- sh -c 'echo STARTED' >/tmp/out2 2>&1
rc=$?
cat /tmp/out2
[ $rc -ne 0 ] && grep -q 'cannot attach the device filter' /tmp/out2 && ! grep -q STARTED /tmp/out2
res "a start whose device filter cannot be attached is refused ($(cat /tmp/out2 | head -c 120))" $?
$R --socket /run/hrt2/sock ps | grep -q nofilter; [ $? -ne 0 ]; res "and leaves no container behind" $?
$R --socket /run/hrt2/sock shutdown
$R stop dev2 -t 1 >/dev/null
out=$(probe 'unshare -U true && echo UNSHARED; grep Seccomp: /proc/self/status')
ran "$out" && ! echo "$out" | grep -q UNSHARED && echo "$out" | grep -q 'Seccomp:.*2'; res "the seccomp filter refuses unshare" $?
out=$(probe 'cat /proc/self/uid_map' --userns --pids-max 100)
[ "$(echo $out)" = "0 100000 65536 RAN" ]; res "--userns maps root to 100000 ($(echo $out))" $?
out=$(probe 'echo h > /proc/sysrq-trigger && echo WROTE; mknod /dev/k c 10 232 && echo MADE' --userns --pids-max 100)
ran "$out" && ! echo "$out" | grep -q 'WROTE\|MADE'; res "and the escapes fail there too" $?
$R start limited /tmp/rootfs --memory-max 0 -- true 2>/tmp/err
grep -q "of 0 refused" /tmp/err; res "a limit of 0 is refused" $?
$R shutdown
cat /tmp/sv.log
exit 0
GUEST
chmod +x "$p/init.sh"
"$top/ci/qemu-initramfs-run" --kernel "$KERNEL" --modules-root "$ROOT" --modules loop --payload "$p" \
	--timeout 400 --mem 512 >"$T/console" 2>&1
rc=$?
diag "guest exit status $rc"
n=0
while read -r _ st desc; do
	n=$((n + 1))
	check "$desc" $([ "$st" = ok ]; echo $?)
done < <(grep -a '^RESULT ' "$T/console" | tr -d '\r')
if [ "$n" -ne $N ]; then
	diag "only $n results from the guest; console tail:" "$(tail -n 30 "$T/console")"
	for _ in $(seq $((N - n))); do check "guest result missing" 1; done
fi
[ -n "$KEEP_CONSOLE" ] && cp "$T/console" "$KEEP_CONSOLE"
done_testing
