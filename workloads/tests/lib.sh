# Shared by the workload tests (sourced): TAP helpers, the binaries, a
# scratch directory removed on exit, and jq-like queries through python3.
. "$(dirname "$0")/../../ci/tap.sh"
WL_BIN=${WL_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
command -v python3 >/dev/null || skip_all "python3 is needed to read the JSON"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

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
