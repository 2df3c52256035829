# Minimal TAP helpers for the project's shell tests (sourced, not run).
# Usage: . "$(dirname "$0")/../../ci/tap.sh"; plan 3; ok "desc" cmd...; done_testing
# Prints TAP version 13 so that prove(1) can aggregate every test file.

tap_n=0
tap_failed=0
tap_planned=

plan() { tap_planned=$1; echo "1..$1"; }

# skip_all REASON: the whole file is skipped, with the reason shown by prove.
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# ok DESCRIPTION COMMAND...: runs COMMAND; passes when it exits 0.
ok() {
	local desc=$1; shift
	tap_n=$((tap_n + 1))
	if "$@"; then
		echo "ok $tap_n - $desc"
	else
		echo "not ok $tap_n - $desc"
		tap_failed=$((tap_failed + 1))
	fi
}

# check DESCRIPTION CONDITION-STATUS: record the result of an already-run test.
check() {
	local desc=$1 status=$2
	tap_n=$((tap_n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $tap_n - $desc"
	else
		echo "not ok $tap_n - $desc"
		tap_failed=$((tap_failed + 1))
	fi
}

skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; }

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

done_testing() {
	[ -n "$tap_planned" ] || echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit $?
}
