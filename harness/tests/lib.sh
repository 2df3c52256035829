# The common set-up of the integration tests that drive real guests
# (sourced, not run): . "$(dirname "$0")/lib.sh"
#
# Sets top, H (the harness), state (HARNESS_STATE_DIR) and schema (the run
# record's schema; valid FILE and have_jsonschema come from
# guest/tests/schema.sh), the TAP helpers of ci/tap.sh (plan, ok, check,
# skip, diag, done_testing: they count passes and failures), and:
#   need_harness [REASON]    skip the file without root or a built harness
#   start_libvirtd [adopt]   a libvirt daemon for the test (sets started_here)
#   at_exit FUNCTION...      run at exit, in order (one EXIT trap for all)
#   stop_libvirtd_if_ours    stop the daemon when this test started it
#   vm_down_quiet            harness vm down, quietly
#   fresh_out                an empty $out (the test sets out first)
#   vm_up DESCRIPTION        harness vm up into $out/vm-up.txt, one check
#   timed_check DESC LOG CMD...  CMD with its output in LOG, one check whose
#                            description ends in the seconds it took
#   records_valid FILE...    every run record against the schema
#   pycheck NAME CODE        Python assertions over the records of $dir
#   wait_line LOG REGEX PID [PERIOD]  until LOG has a line matching REGEX
#   virsh_list, pool_list    the system connection's domains and pools
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
. "$top/guest/tests/schema.sh"
schema=$top/harness/schema/run.schema.json
H=$top/build/bin/harness
state=${HARNESS_STATE_DIR:-/var/lib/harness}

virsh_list() { virsh -q -c qemu:///system list --all --name 2>/dev/null | sed '/^$/d'; }
pool_list() { virsh -q -c qemu:///system pool-list --all --name 2>/dev/null | sed '/^$/d'; }

need_harness() {
	local why="needs root for libvirt's system connection"
	[ $# -eq 0 ] || why=$1
	[ "$(id -u)" -eq 0 ] || skip_all "$why"
	[ -x "$H" ] || skip_all "harness not built"
}

# start_libvirtd [adopt]: when no daemon answers, ci/libvirtd starts one and
# started_here=1; with 'adopt', a daemon that ci/libvirtd started earlier
# counts as this test's too (started_here=1). Returns 1 when no daemon
# answers and none could be started.
started_here=0
start_libvirtd() {
	started_here=0
	if ! "$top/ci/libvirtd" status >/dev/null 2>&1; then
		"$top/ci/libvirtd" start >&2 || return 1
		started_here=1
	elif [ "${1-}" = adopt ] && grep -q 'started by ci/libvirtd' <("$top/ci/libvirtd" status); then
		started_here=1
	fi
	return 0
}

stop_libvirtd_if_ours() { [ $started_here = 1 ] && "$top/ci/libvirtd" stop >/dev/null 2>&1; }
vm_down_quiet() { $H -q vm down >/dev/null 2>&1; }

at_exit_fns=()
at_exit() {
	at_exit_fns+=("$@")
	trap run_at_exit EXIT
}
run_at_exit() {
	local f
	for f in "${at_exit_fns[@]}"; do "$f"; done
}

fresh_out() { rm -rf "$out" && mkdir -p "$out"; }

vm_up() {
	$H vm up >"$out/vm-up.txt" 2>&1
	check "$1" $?
}

timed_check() {
	local desc=$1 log=$2 start st
	shift 2
	start=$(date +%s)
	"$@" >"$log" 2>&1
	st=$?
	check "$desc ($(( $(date +%s) - start )) s)" $st
}

records_valid() {
	[ $have_jsonschema = 1 ] || { echo "# python3-jsonschema missing (make deps)"; return 1; }
	for f in "$@"; do valid "$f" || { echo "# not harness-run/1: $f"; return 1; }; done
}

# pycheck NAME CODE: CODE runs with recs (every record of $dir's runs/, by
# file name) and the definitions in $pycheck_defs; its output goes to
# $out/NAME.txt and into the TAP stream as a diagnostic.
pycheck_defs=
pycheck() {
	python3 - "$dir" "$pycheck_defs" "$2" >"$out/$1.txt" 2>&1 <<'PY'
import glob, json, math, sys
recs = [json.load(open(p)) for p in sorted(glob.glob(sys.argv[1] + "/runs/*.json"))]
exec(sys.argv[2])
exec(sys.argv[3])
PY
	local st=$?
	diag "$(cat "$out/$1.txt")"
	return $st
}

# wait_line LOG REGEX PID [PERIOD]: until LOG has a line matching REGEX,
# polled every PERIOD seconds (default 1); fails when the process PID ended
# first (or after 15 minutes, a safety net only).
wait_line() {
	local period=${4:-1} end=$((SECONDS + 900))
	while [ $SECONDS -lt $end ]; do
		grep -Eq "$2" "$1" && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep "$period"
	done
	return 1
}
