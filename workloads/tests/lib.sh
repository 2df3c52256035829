# Shared by the workload tests (sourced): TAP helpers, the binaries, a
# scratch directory removed on exit (with the background processes listed in
# $pids), JSON queries through python3 or jq, and the helpers of the
# server/client tests.
. "$(dirname "$0")/../../ci/tap.sh"
WL_BIN=${WL_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
scratch=$(mktemp -d)
pids=
# wl_cleanup: kill what $pids lists, run the test's extra_cleanup if it has
# one, remove the scratch directory.
wl_cleanup() {
	for p in $pids; do { kill -KILL "$p" && wait "$p"; } 2>/dev/null; done
	if declare -F extra_cleanup >/dev/null; then extra_cleanup; fi
	rm -rf "$scratch"
}
trap wl_cleanup EXIT

# need COMMAND REASON: skip the whole file without COMMAND.
need() { command -v "$1" >/dev/null || skip_all "$2"; }

# need_bin NAME: bin=the workload binary NAME; skip the file when not built.
need_bin() {
	bin=$WL_BIN/$1
	[ -x "$bin" ] || skip_all "$1 not built ($bin)"
}

# jpy FILE EXPR: evaluate a Python expression with d = the JSON document;
# prints the result, exits 1 when it is False.
jpy() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
r=eval(sys.argv[2])
print(r)
sys.exit(1 if r is False else 0)' "$1" "$2"
}

# jtrue FILE EXPR: status only.
jtrue() { jpy "$1" "$2" >/dev/null 2>&1; }

# jqt FILTER FILE: FILTER is true (jq).
jqt() { jq -e "$1" "$2" >/dev/null; }

# bad ARGS...: "$bin ARGS" exits 2 with an error string in its JSON.
bad() {
	local out st
	out=$("$bin" "$@" 2>/dev/null); st=$?
	[ $st -eq 2 ] && printf '%s' "$out" | jq -e '.error | type == "string" and length > 0' >/dev/null
}

# wait_bounded PID SECONDS: wait for PID, killing it after SECONDS; returns its status
wait_bounded() {
	local pid=$1 ticks=$(($2 * 20))
	while kill -0 "$pid" 2>/dev/null && [ $ticks -gt 0 ]; do
		sleep 0.05
		ticks=$((ticks - 1))
	done
	[ $ticks -gt 0 ] || kill -KILL "$pid" 2>/dev/null
	wait "$pid"
}

# start_server NAME TIMEOUT [PREFIX...]: "$bin server --port 0 --timeout
# TIMEOUT" in the background, run by PREFIX (e.g. ip netns exec NS) if given;
# output in $scratch/NAME.srv.json and .srv.err. Sets srv_pid, and port once
# the server has written its ready file; fails if it does not within 5 s.
start_server() {
	local name=$1 timeout=$2; shift 2
	rm -f "$scratch/$name.port"
	"$@" "$bin" server --port 0 --timeout "$timeout" --ready-file "$scratch/$name.port" \
		>"$scratch/$name.srv.json" 2>"$scratch/$name.srv.err" &
	srv_pid=$!
	pids="$pids $srv_pid"
	for _ in $(seq 100); do
		[ -s "$scratch/$name.port" ] && { port=$(cat "$scratch/$name.port"); return 0; }
		sleep 0.05
	done
	return 1
}
