#!/bin/bash
# The escapes of issue 15 tried again from inside containers on a Debian
# stable guest kernel with cgroup v2 (ci/qemu-initramfs-run, TCG here):
# sysrq and core_pattern, masked /proc files, device nodes (capability,
# nodev /dev and the cgroup eBPF device filter), seccomp, user namespaces.
# The guest is its own machine: nothing here touches the host's cgroups.
. "$(dirname "$0")/lib.sh"
[ -x "$top/ci/guest-kernel" ] && [ -x "$top/ci/qemu-initramfs-run" ] ||
	skip_all "ci/guest-kernel or ci/qemu-initramfs-run is missing"
eval "$("$top/ci/guest-kernel" stable 2>/dev/null)" || skip_all "no stable guest kernel could be built"
N=13
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
"$top/ci/qemu-initramfs-run" --kernel "$KERNEL" --payload "$p" --timeout 400 --mem 512 >"$T/console" 2>&1
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
