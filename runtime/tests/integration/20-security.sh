#!/bin/bash
# Isolation and security guards, observed from inside a container.
. "$(dirname "$0")/lib.sh"
plan 11
sv_start || exit 1
echo "host-secret" >"$T/outside-marker"

probe() { "$R" run "p$RANDOM$RANDOM" "$T/rootfs" --hostname box -- sh -c "$1" 2>&1; }

check "its PID 1 is its own" $([ "$(probe 'echo $$')" = 1 ]; echo $?)
n=$(probe 'ls -d /proc/[0-9]* | wc -l')
check "host processes are invisible (saw $n pids)" $([ "$n" -le 3 ]; echo $?)
check "its hostname is its own" $([ "$(probe hostname)" = box ]; echo $?)
out=$(probe "cat $T/outside-marker; ls /proc/1/root$T 2>&1; cat /proc/mounts")
check "the host filesystem outside the rootfs is unreachable" $(! echo "$out" | grep -q host-secret; echo $?)
check "the old root is detached (no host mounts listed)" $(! echo "$out" | grep -q " $T" ; echo $?)
check "no_new_privs is set" $(probe 'grep NoNewPrivs /proc/self/status' | grep -q '1$'; echo $?)
# Docker's default set less MKNOD: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
# SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE SETFCAP, without MKNOD.
check "only the allowed capabilities are in the bounding set" \
	$(probe 'grep CapBnd /proc/self/status' | grep -q '00000000a00425fb$'; echo $?)
check "and in the effective set" $(probe 'grep CapEff /proc/self/status' | grep -q '00000000a00425fb$'; echo $?)
# A child's descriptors are what the container's init handed down (a
# process listing its own would see the directory it reads).
fds=$(probe 'sleep 1 & ls /proc/$!/fd | tr "\n" " " | sed "s/ $//"')
check "no unexpected file descriptors are open ($fds)" $([ "$fds" = "0 1 2" ]; echo $?)
check "mount(2) is refused (no CAP_SYS_ADMIN)" $(probe 'mount -t tmpfs none /mnt 2>&1 || echo refused' | grep -q refused; echo $?)
exe=$(readlink "/proc/$SV_PID/exe")
check "the supervisor runs from a sealed in-memory copy ($exe)" $(echo "$exe" | grep -q '^/memfd:harness-runtime'; echo $?)
done_testing
