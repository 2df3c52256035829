# Shared set-up for the runtime's host integration tests (sourced).
# Each test gets its own state directory, a busybox root filesystem and a
# supervisor inside a private network namespace (unshare -n), so nothing
# touches the host's network or cgroups; everything is removed on exit.
top=$(cd "$(dirname "$0")/../../.." && pwd)
. "$top/ci/tap.sh"
R=${HARNESS_RUNTIME:-$top/build/runtime/harness-runtime}
[ "$(id -u)" -eq 0 ] || skip_all "needs root for namespaces"
[ -x "$R" ] || skip_all "harness-runtime is not built ($R)"
unshare -pfmnuic true 2>/dev/null || skip_all "namespaces are not available here"
T=$(mktemp -d /tmp/hrt-it.XXXXXX)
export HARNESS_RUNTIME_SOCKET=$T/state/sock
SV_PID=

tarball=$top/build/rootfs/busybox.tar.gz
[ -f "$tarball" ] || OUT=$tarball "$top/images/rootfs/build-busybox" >/dev/null 2>&1 ||
	skip_all "cannot build the busybox root filesystem"
mkdir -p "$T/rootfs"
tar -xzf "$tarball" -C "$T/rootfs"

# sv_start [SUPERVISOR OPTIONS]: start the supervisor, wait for its socket.
sv_start() {
	unshare -n "$R" supervisor --state-dir "$T/state" --cgroup-root "$T/no-cgroup/harness" "$@" \
		>>"$T/supervisor.log" 2>&1 &
	SV_PID=$!
	for _ in $(seq 100); do
		[ -S "$T/state/sock" ] && "$R" ps >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	diag "supervisor did not come up:" "$(cat "$T/supervisor.log")"
	return 1
}

# sv_stop: ask it to shut down, wait for it (bounded), kill if it hangs.
sv_stop() {
	[ -n "$SV_PID" ] || return 0
	"$R" shutdown >/dev/null 2>&1
	# Containers get their stop grace (10 s by default) before SIGKILL.
	for _ in $(seq 300); do
		kill -0 "$SV_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -9 "$SV_PID" 2>/dev/null
	wait "$SV_PID" 2>/dev/null
	SV_PID=
}

cleanup() {
	sv_stop
	# A supervisor that had to be killed leaves its containers: end them.
	for f in "$T"/state/containers/*/state.json; do
		[ -f "$f" ] && grep -q '"state":[[:space:]]*"running"' "$f" || continue
		pid=$(sed -n 's/^[[:space:]]*"pid":[[:space:]]*\([0-9]*\).*/\1/p' "$f" | head -n 1)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
