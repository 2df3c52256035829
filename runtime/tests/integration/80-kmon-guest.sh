#!/bin/bash
# The kernel memory monitor hook, in a Debian stable guest kernel with the
# project's memwatch module (build/kmod/stable/memwatch.ko, built by kmod/):
# a container's init is registered with its soft and hard limits, inspect
# shows the monitor's view, and a container past its hard limit is killed
# with that reason. About 15 s under TCG.
. "$(dirname "$0")/lib.sh"
ko=$top/build/kmod/stable/memwatch.ko
[ -f "$ko" ] || skip_all "memwatch.ko for the stable kernel is not built (make -C kmod)"
[ -x "$top/ci/qemu-initramfs-run" ] || skip_all "ci/qemu-initramfs-run is missing"
eval "$("$top/ci/guest-kernel" stable 2>/dev/null)" || skip_all "no stable guest kernel"
plan 4
p=$T/payload
mkdir -p "$p/bin"
cp "$R" "$p/bin/harness-runtime"
cp "$tarball" "$p/busybox.tar.gz"
cp "$ko" "$p/memwatch.ko"
cat >"$p/init.sh" <<'GUEST'
#!/bin/sh
R=/bin/harness-runtime
export HARNESS_RUNTIME_SOCKET=/run/hrt/sock
res() { if [ "$2" -eq 0 ]; then echo "RESULT ok $1"; else echo "RESULT fail $1"; fi; }
insmod /memwatch.ko || echo "insmod failed"
mkdir -p /tmp/rootfs && tar -xzf /busybox.tar.gz -C /tmp/rootfs
$R supervisor --state-dir /run/hrt >/tmp/sv.log 2>&1 &
for i in $(seq 100); do [ -S /run/hrt/sock ] && break; sleep 0.1; done
$R start idle /tmp/rootfs --kmon-soft 64M --kmon-hard 128M -- sleep 30 >/dev/null
sleep 1
$R inspect idle | tee /tmp/idle.json | grep -A6 kernel_monitor
grep -q '"status":[[:space:]]*"watched"' /tmp/idle.json; res "the init is registered and watched" $?
grep -q '"hard_limit":[[:space:]]*134217728' /tmp/idle.json; res "with the hard limit asked for" $?
$R run hog /tmp/rootfs --kmon-soft 8M --kmon-hard 16M -- sh -c 'tail /dev/zero'
$R inspect hog | tee /tmp/hog.json | grep -E '"state"|"reason"'
grep -q '"state":[[:space:]]*"killed"' /tmp/hog.json; res "a container past its hard limit is killed" $?
grep -q 'kernel memory monitor' /tmp/hog.json; res "and the reason names the monitor" $?
$R stop idle -t 0 >/dev/null
$R shutdown
exit 0
GUEST
chmod +x "$p/init.sh"
"$top/ci/qemu-initramfs-run" --kernel "$KERNEL" --payload "$p" --timeout 300 >"$T/console" 2>&1
diag "guest exit status $?"
n=0
while read -r _ st desc; do
	n=$((n + 1))
	check "$desc" $([ "$st" = ok ]; echo $?)
done < <(grep -a '^RESULT ' "$T/console" | tr -d '\r')
if [ "$n" -ne 4 ]; then
	diag "only $n results from the guest; console tail:" "$(tail -n 30 "$T/console")"
	for _ in $(seq $((4 - n))); do check "guest result missing" 1; done
fi
done_testing
