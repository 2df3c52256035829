#!/bin/bash
# A busybox and a Debian container side by side on one kernel: each its own
# PID 1 and root, the same kernel. The Debian tarball comes from
# images/rootfs/build-debian (make -C images/rootfs debian).
. "$(dirname "$0")/lib.sh"
deb=$top/build/rootfs/debian-stable.tar.gz
[ -f "$deb" ] || skip_all "no Debian root filesystem ($deb); make -C images/rootfs debian"
plan 4
sv_start || exit 1
"$R" start bb "$T/rootfs" -- sleep 2171 >/dev/null
"$R" start deb "$deb" -- sleep 2171 >/dev/null
out=$("$R" run deb-probe "$deb" -- sh -c '. /etc/os-release; echo $ID $$; uname -r')
check "the Debian container is Debian, with its own PID 1" $(echo "$out" | head -n 1 | grep -qx 'debian 1'; echo $?)
check "on the same kernel as the host" $([ "$(echo "$out" | tail -n 1)" = "$(uname -r)" ]; echo $?)
out=$("$R" run bb-probe "$T/rootfs" -- sh -c 'test -e /etc/os-release && echo has-os-release; readlink /bin/sh')
check "the busybox container sees its own root" $([ "$out" = /bin/busybox ]; echo $?)
n=$(ps -eo args= | grep -c '^sleep 2171$')
check "the host sees both containers' processes" $([ "$n" -eq 2 ]; echo $?)
"$R" stop bb -t 0 >/dev/null
"$R" stop deb -t 0 >/dev/null
done_testing
