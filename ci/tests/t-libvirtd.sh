#!/bin/bash
# ci/libvirtd on real daemons: a start that fails explains itself with the
# daemon's own words and leaves nothing running; a good start answers and a
# stop removes what it started. Each case runs in a private mount namespace
# with its own /run/libvirt, so a daemon that is already running elsewhere on
# the host (a systemd one, another test's) is neither seen nor touched.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
out=$top/build/test-libvirtd
[ "$(id -u)" -eq 0 ] || skip_all "needs root to start libvirtd"
command -v libvirtd >/dev/null || skip_all "libvirtd not installed (make deps)"
rm -rf "$out" && mkdir -p "$out"

# in_private_run SCRIPT: run SCRIPT with private /run/libvirt and
# /run/harness-libvirt (tmpfs), so the daemons it starts are its own.
in_private_run() {
	unshare --mount --propagation private bash -c '
		mount -t tmpfs harness-test /run/libvirt 2>/dev/null ||
			{ mkdir -p /run/libvirt && mount -t tmpfs harness-test /run/libvirt; }
		mkdir -p /run/harness-libvirt && mount -t tmpfs harness-test /run/harness-libvirt
		'"$1" "$top"
}

plan 9

# 1. No 'libvirt-qemu' user (as on a machine without libvirt-daemon-system):
# the QEMU driver refuses to start and the script must say why.
in_private_run '
	grep -v "^libvirt-qemu:" /etc/passwd >/run/harness-libvirt/passwd
	mount --bind /run/harness-libvirt/passwd /etc/passwd
	HARNESS_LIBVIRTD_WAIT_S=20 "$0/ci/libvirtd" start
	echo "exit=$?"
	ls /run/harness-libvirt/*.pid 2>/dev/null | sed "s/^/pidfile: /"
	for f in /run/harness-libvirt/*.pid; do [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && echo "alive: $f"; done
	true
' >"$out/nouser.out" 2>&1 </dev/null
sed 's/^/# /' "$out/nouser.out"
ok "no QEMU user: start fails" grep -q '^exit=[1-9]' "$out/nouser.out"
ok "no QEMU user: the daemon's own reason is printed" grep -q "libvirt-qemu" "$out/nouser.out"
ok "no QEMU user: what to do is printed" grep -q "libvirt-daemon-system" "$out/nouser.out"
ok "no QEMU user: no daemon left running" bash -c "! grep -q '^alive: ' '$out/nouser.out'"
ok "no QEMU user: no pid file left" bash -c "! grep -q '^pidfile: ' '$out/nouser.out'"

# 2. Everything present: start answers, stop leaves nothing.
in_private_run '
	"$0/ci/libvirtd" start; echo "start=$?"
	"$0/ci/libvirtd" status; echo "status=$?"
	v=$(cat /run/harness-libvirt/virtlogd.pid 2>/dev/null); l=$(cat /run/harness-libvirt/libvirtd.pid 2>/dev/null)
	"$0/ci/libvirtd" stop; echo "stop=$?"
	for p in $v $l; do kill -0 "$p" 2>/dev/null && echo "alive: $p"; done
	true
' >"$out/good.out" 2>&1 </dev/null
sed 's/^/# /' "$out/good.out"
ok "start: the daemon answers" grep -q '^start=0' "$out/good.out"
ok "status: started by ci/libvirtd" grep -q 'started by ci/libvirtd' "$out/good.out"
ok "stop: exit 0" grep -q '^stop=0' "$out/good.out"
ok "stop: both daemons gone" bash -c "! grep -q '^alive: ' '$out/good.out'"
done_testing
