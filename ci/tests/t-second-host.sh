#!/bin/bash
# shellcheck disable=SC2317,SC2016  # functions run from traps and helpers; bash -c scripts
# ci/second-host on real daemons: a second libvirt host on this machine that
# the first one reaches only over its veth pair, with its own host UUID, its
# own guests and storage, volume upload over the connection, live migration
# both ways between the hosts, a start after a crash, and nothing left after
# 'stop' or after a start that fails. Guests here are tiny (64 MiB, no disk,
# started paused): they never boot, so the test costs little CPU.
# Runs under the guest lock like every integration test
# (flock /tmp/harness-guests.lock make integration); it takes no lock itself.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
out=$top/build/test-second-host
sh2=$top/ci/second-host
[ "$(id -u)" -eq 0 ] || skip_all "needs root to start libvirt daemons and a network namespace"
command -v libvirtd >/dev/null || skip_all "libvirtd not installed (make deps)"
rm -rf "$out" && mkdir -p "$out"

h1=qemu:///system
h2=$("$sh2" uri)
ns=harness-h2
veth=harness-h2
addr_host=169.254.77.1
addr_inner=169.254.77.2
state=/var/lib/harness/second-host
run=/run/harness-second-host

# quiet COMMAND...: COMMAND's output would break the TAP stream; keep its status.
quiet() { "$@" >/dev/null 2>&1; }
# on HOST-URI list|pool-list NAME: the host answers and has NAME; 'not_on' the
# host answers and has no NAME (a host that does not answer fails both).
on() { local l; [ "$1" = "$h1" ] || on_veth || return 1; l=$(timeout 60 virsh -q -c "$1" "$2" --all --name) && grep -qx "$3" <<<"$l"; }
not_on() { local l; [ "$1" = "$h1" ] || on_veth || return 1; l=$(timeout 60 virsh -q -c "$1" "$2" --all --name) && ! grep -qx "$3" <<<"$l"; }
v1() { timeout 120 virsh -q -c "$h1" "$@"; }
# Connections to the second host go over its veth pair or nowhere (without
# the pair, its address would follow the default route off this machine).
on_veth() { ip -4 route get "$addr_inner" 2>/dev/null | grep -q " dev $veth "; }
v2() { on_veth && timeout 120 virsh -q -c "$h2" "$@"; }

h1_started=0
h2_was_running=0
"$sh2" status >/dev/null 2>&1 && h2_was_running=1
if ! timeout 10 virsh -q -c "$h1" version >/dev/null 2>&1; then
	"$top/ci/libvirtd" start >"$out/h1-start.out" 2>&1 || {
		sed 's/^/# /' "$out/h1-start.out"
		echo "Bail out! the first host (ci/libvirtd start) does not start"
		exit 1
	}
	h1_started=1
fi

# Whatever happens, leave the machine as it was: no probe guest, no second
# host (unless one ran before), no first host this test started.
finish() {
	v1 destroy h2-probe >/dev/null 2>&1
	"$sh2" stop >/dev/null 2>&1
	[ "$h2_was_running" = 0 ] || "$sh2" start >/dev/null 2>&1
	[ "$h1_started" = 0 ] || "$top/ci/libvirtd" stop >/dev/null 2>&1
}
trap finish EXIT

probe_xml() {
	cat <<-EOF
	<domain type='qemu'>
	  <name>$1</name>
	  <memory unit='MiB'>64</memory>
	  <vcpu>1</vcpu>
	  <os><type arch='x86_64' machine='pc'>hvm</type></os>
	  <devices>
	    <emulator>$(command -v qemu-system-x86_64)</emulator>
	    <controller type='usb' model='none'/>
	    <memballoon model='none'/>
	  </devices>
	</domain>
	EOF
}
probe_xml h2-probe >"$out/probe.xml"
probe_xml h2-only >"$out/only.xml"

host_uuid() { { [ "$1" = "$h1" ] || on_veth; } && timeout 60 virsh -q -c "$1" capabilities | sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' | head -n 1; }
veth_bytes() { cat "/sys/class/net/$veth/statistics/$1_bytes" 2>/dev/null || echo 0; }
# nothing_left FILE: every trace of a second host, one line each, into FILE.
nothing_left() {
	{
		ip netns list | grep -w "$ns" | sed 's/^/netns: /'
		ip -o link show "$veth" 2>/dev/null | sed 's/^/link: /'
		ip -4 -o addr show to 169.254.77.0/30 | sed 's/^/address: /'
		for p in $pids; do
			[ -r "/proc/$p/stat" ] && ! sed 's/.*) //' "/proc/$p/stat" | grep -q '^[ZX]' && echo "process: $p $(cat "/proc/$p/comm")"
		done
		grep -l 'harness-h2-no-cgroups\|/second-host/' /proc/[0-9]*/mountinfo 2>/dev/null | sed 's/^/mounts: /'
		for d in "$state" "$run"; do [ -e "$d" ] && echo "directory: $d"; done
	} >"$1"
	[ ! -s "$1" ] || sed 's/^/# /' "$1"
	[ ! -s "$1" ]
}

plan 28

# 1. A start that fails (the QEMU driver cannot find its 'libvirt-qemu'
# user) prints the daemon's words and leaves nothing behind. It runs in a
# private mount namespace only to hide that user from the daemon.
if [ "$h2_was_running" = 0 ]; then
	unshare --mount --propagation private bash -c '
		grep -v "^libvirt-qemu:" /etc/passwd >/tmp/t-second-host.passwd.$$
		mount --bind /tmp/t-second-host.passwd.$$ /etc/passwd
		rm -f /tmp/t-second-host.passwd.$$
		HARNESS_SECOND_HOST_WAIT_S=20 "$0" start
		echo "exit=$?"
	' "$sh2" >"$out/fail.out" 2>&1 </dev/null
	sed 's/^/# /' "$out/fail.out"
	ok "failed start: exits non-zero" grep -q '^exit=[1-9]' "$out/fail.out"
	ok "failed start: the daemon's own log lines are printed" grep -q "libvirt-qemu" "$out/fail.out"
	pids=
	ok "failed start: nothing left (netns, veth, address, mounts, directories)" nothing_left "$out/fail.left"
else
	skip "a second host was already running"
	skip "a second host was already running"
	skip "a second host was already running"
fi

# 2. A good start: the first host reaches the second over the veth pair.
"$sh2" start >"$out/start.out" 2>&1
check "start: exit 0" $?
sed 's/^/# /' "$out/start.out"
on_veth || { echo "Bail out! no second host to test (its veth pair is missing)"; exit 1; }
ok "status: running" quiet "$sh2" status
ok "the second host answers at $h2" quiet v2 version
u1=$(host_uuid "$h1")
u2=$(host_uuid "$h2")
diag "host uuids: first $u1, second $u2"
ok "the two hosts have different host UUIDs" test -n "$u1" -a -n "$u2" -a "$u1" != "$u2"
ip netns exec "$ns" ss -Hltn >"$out/listen.out"
sed 's/^/# listening in the namespace: /' "$out/listen.out"
ok "in its namespace the daemon listens on $addr_inner:16509 and nothing else listens" \
	bash -c "grep -q '^LISTEN .* $addr_inner:16509 ' '$out/listen.out' && ! grep -v ' $addr_inner:[0-9]* ' '$out/listen.out'"
ip -n "$ns" -o addr >"$out/ns-addr.out"
ip -n "$ns" route show table all >"$out/ns-route.out"
sed 's/^/# namespace: /' "$out/ns-addr.out" "$out/ns-route.out"
ok "the namespace has only loopback and $addr_inner/30, and no route beyond the /30" bash -c "
	! grep -v ' lo \|inet $addr_inner/30 ' '$out/ns-addr.out' &&
	! grep -v '^169\.254\.77\.0/30 \|^local \|^broadcast \|^127\.0\.0\.0/8 ' '$out/ns-route.out' &&
	! grep -q '^default' '$out/ns-route.out'"

# 3. Separate hosts: a guest and a storage pool of the second are unknown to
# the first.
v2 create "$out/only.xml" --paused >/dev/null
check "a paused guest starts on the second host" $?
ok "the first host does not see the second host's guest" not_on "$h1" list h2-only
v2 pool-create-as t-second-host dir --target /var/lib/libvirt/images >/dev/null
check "a storage pool starts on the second host" $?
ok "the first host does not see the second host's pool" not_on "$h1" pool-list t-second-host

# 4. An image travels to the second host through libvirt's storage API.
head -c $((8 * 1024 * 1024)) /dev/urandom >"$out/image.raw"
tx0=$(veth_bytes tx)
v2 vol-create-as t-second-host image.raw 8M --format raw >/dev/null &&
	v2 vol-upload --pool t-second-host image.raw "$out/image.raw"
check "vol-upload of 8 MiB to the second host" $?
tx1=$(veth_bytes tx)
diag "veth bytes from the host side during the upload: $((tx1 - tx0))"
ok "the upload went over the veth pair" test $((tx1 - tx0)) -ge $((8 * 1024 * 1024))
ok "the volume is in the second host's own storage" cmp -s "$out/image.raw" "$state/lib/images/image.raw"
v2 vol-download --pool t-second-host image.raw "$out/image.back" &&
	[ "$(sha256sum <"$out/image.raw")" = "$(sha256sum <"$out/image.back")" ]
check "vol-download gives back the same digest" $?

# 5. Live migration both ways; the stream goes over the veth pair.
v1 create "$out/probe.xml" --paused >/dev/null
check "a paused guest starts on the first host" $?
b0=$(veth_bytes tx)
on_veth && timeout 300 virsh -q -c "$h1" migrate --live h2-probe "$h2" "tcp://$addr_inner" >"$out/mig12.out" 2>&1
check "live migration from the first host to the second" $?
sed 's/^/# /' "$out/mig12.out"
b1=$(veth_bytes tx)
v2 domjobinfo h2-probe --completed >"$out/job12.out" 2>&1
sed 's/^/# job on the second host: /' "$out/job12.out"
ok "the guest is on the second host, not on the first" eval 'on "$h2" list h2-probe && not_on "$h1" list h2-probe'
sent=$(awk -F: '/^Memory processed/ { print $2 }' "$out/job12.out" | awk '{ v = $1; u = $2;
	m = (u == "KiB") ? 1024 : (u == "MiB") ? 1048576 : (u == "GiB") ? 1073741824 : 1; printf "%d", v * m }')
diag "migration 1->2: libvirt processed ${sent:-?} bytes of memory; veth carried $((b1 - b0)) bytes to the second host"
ok "the migration stream went over the veth pair" test -n "$sent" -a "$sent" -gt 0 -a $((b1 - b0)) -ge "${sent:-1}"
b0=$(veth_bytes rx)
on_veth && timeout 300 virsh -q -c "$h2" migrate --live h2-probe "$h1" "tcp://$addr_host" --listen-address "$addr_host" \
	>"$out/mig21.out" 2>&1
check "live migration from the second host back to the first" $?
sed 's/^/# /' "$out/mig21.out"
b1=$(veth_bytes rx)
v1 domjobinfo h2-probe --completed >"$out/job21.out" 2>&1
sed 's/^/# job on the first host: /' "$out/job21.out"
ok "the guest is back on the first host, not on the second" eval 'on "$h1" list h2-probe && not_on "$h2" list h2-probe'
sent=$(awk -F: '/^Memory processed/ { print $2 }' "$out/job21.out" | awk '{ v = $1; u = $2;
	m = (u == "KiB") ? 1024 : (u == "MiB") ? 1048576 : (u == "GiB") ? 1073741824 : 1; printf "%d", v * m }')
diag "migration 2->1: libvirt processed ${sent:-?} bytes of memory; veth carried $((b1 - b0)) bytes to the first host"
ok "the migration stream back went over the veth pair" test -n "$sent" -a "$sent" -gt 0 -a $((b1 - b0)) -ge "${sent:-1}"
v1 destroy h2-probe >/dev/null 2>&1

# 6. A crashed second host (libvirtd killed, its guest's QEMU orphaned): a new
# start removes the leftovers, the orphan included.
qemu_pid=$(cat /run/harness-second-host/run/qemu/h2-only.pid 2>/dev/null)
[ -z "$qemu_pid" ] && qemu_pid=$(ip netns pids "$ns" | while read -r p; do
	grep -qs 'guest=h2-only' "/proc/$p/cmdline" && echo "$p"; done | head -n 1)
kill -9 "$(cat "$run/libvirtd.pid")"
"$sh2" start >"$out/restart.out" 2>&1
check "start after a crash: exit 0" $?
sed 's/^/# /' "$out/restart.out"
ok "start after a crash: the orphaned guest is gone" bash -c "[ -n '$qemu_pid' ] && ! kill -0 '$qemu_pid' 2>/dev/null"

# 7. Stop: nothing left, whatever ran in the namespace.
pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
diag "processes in the namespace before stop: $pids"
"$sh2" stop >"$out/stop.out" 2>&1
check "stop: exit 0" $?
ok "stop: nothing left (processes, netns, veth, address, mounts, directories)" nothing_left "$out/stop.left"
done_testing
