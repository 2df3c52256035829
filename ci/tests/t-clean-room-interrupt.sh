#!/bin/bash
# ci/clean-room interrupted as Ctrl-C interrupts it (SIGINT to the whole
# foreground process group) in the middle of 'make deps' inside the root: it
# exits 130 and leaves no mount, no process and no unpacked root behind. (A
# whole clean-room run is part of make test itself.)
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
state=${HARNESS_STATE_DIR:-/var/lib/harness}
out=$top/build/test-clean-room
[ "$(id -u)" -eq 0 ] || skip_all "needs root (chroot, namespaces)"
command -v mmdebstrap >/dev/null || skip_all "mmdebstrap not installed (make deps)"
rm -rf "$out" && mkdir -p "$out"
plan 5

# The clean room in a process group of its own, as a terminal job is. A
# non-interactive shell starts background jobs with SIGINT ignored, which a
# shell cannot undo, so perl sets it back to the default before setsid runs
# the script (setsid keeps the pid: it is no group leader).
perl -e '$SIG{INT} = $SIG{QUIT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
	setsid "$top/ci/clean-room" >"$out/log" 2>&1 </dev/null &
pid=$!
i=0
until grep -q 'step make deps' "$out/log" 2>/dev/null || [ $i -ge 600 ]; do sleep 1; i=$((i + 1)); done
sleep 5
kill -INT -- -"$pid"
wait "$pid"
rc=$?
sed 's/^/# /' "$out/log" | grep -v '^# I:' | tail -n 4
root=$(sed -n 's/^clean-room: fresh root in \(.*\), tree .*/\1/p' "$out/log")
check "interrupted: exit status 130 ($rc)" $((rc != 130))
ok "it said so" grep -q 'clean-room: interrupted' "$out/log"
ok "no mount of the clean room is left" bash -c "! grep -q ' $state/clean-room/' /proc/mounts"
ok "the unpacked root is removed" test -n "$root" -a ! -e "$root"
ok "no process runs in it" bash -c "! ls -l /proc/[0-9]*/root 2>/dev/null | grep -q ' -> $state/clean-room/run'"
done_testing
