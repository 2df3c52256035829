#!/bin/bash
# Host noise without guests: `harness noise -- COMMAND` samples the host as
# a run does while COMMAND stands in for the run. A CPU burner started as a
# background job would be (nice 19, in a session of its own) is named among
# the top processes and makes the sample disturbed; the stand-in itself,
# though busy, is the run's and never named; without the burner it is not
# named and, on a quiet host, the sample is not disturbed (a busy CI host
# may disturb it: then the reason must name someone else). Then what a
# disturbed record does downstream: compare leaves it out and says so,
# --include-disturbed pools it, and the schema accepts the host_noise that
# was really measured here.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
H=$top/build/bin/harness
PY=/usr/bin/python3
[ -x "$H" ] || skip_all "harness not built"
tmp=$(mktemp -d)
burner=
cleanup() {
	[ -n "$burner" ] && kill "$burner" 2>/dev/null && wait "$burner" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

plan 12

# Named programs (comm is the name they were started by).
ln -s "$(command -v bash)" "$tmp/hn-burner"
ln -s "$(command -v bash)" "$tmp/hn-standin"
# standin OUT: harness noise around a busy stand-in for a run, into OUT; its
# pid in OUT.pid (another harness on a busy host is someone else's).
standin() {
	"$H" noise -- "$tmp/hn-standin" -c 'end=$((SECONDS + 4)); while [ $SECONDS -lt $end ]; do :; done' >"$1" &
	echo $! >"$1.pid"
	wait $!
}

# setsid execs in place (a background job of a script leads no process
# group), so $! is the burner itself.
setsid nice -n 19 "$tmp/hn-burner" -c 'while :; do :; done' </dev/null >/dev/null 2>&1 &
burner=$!
for _ in $(seq 50); do [ "$(cat /proc/$burner/comm 2>/dev/null)" = hn-burner ] && break; sleep 0.1; done
standin "$tmp/busy.json"
rc=$?
check "with the burner the sample is disturbed (exit 1)" $((rc != 1))
$PY - "$tmp/busy.json" "$burner" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); pid = int(sys.argv[2])
top = [(p["pid"], p["name"], p["nice"], p["cpu_s"]) for p in j["top"]]
assert any(p[0] == pid and p[1] == "hn-burner" and p[2] == 19 for p in top), (pid, top)
assert j["disturbed"] is True and f"hn-burner (pid {pid}," in j["reason"], j["reason"]
PY
check "the burner is among the top three by pid, name and nice, and the reason names it" $?
$PY - "$tmp/busy.json" "$(cat "$tmp/busy.json.pid")" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); me = int(sys.argv[2])
assert all(p["name"] != "hn-standin" and p["pid"] != me for p in j["top"]), (me, j["top"])
assert j["run"]["harness_cpu_s"] >= 0.5, j["run"]
PY
check "the busy stand-in is the run's (harness_cpu_s), never named as noise" $?

kill "$burner"
wait "$burner" 2>/dev/null
quiet_burner=$burner
burner=
standin "$tmp/quiet.json"
rc=$?
$PY - "$tmp/quiet.json" "$quiet_burner" "$rc" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); pid = int(sys.argv[2]); rc = int(sys.argv[3])
assert all(p["pid"] != pid for p in j["top"]), j["top"]
assert rc == (1 if j["disturbed"] else 0), (rc, j["disturbed"])
if j["disturbed"]:
    assert "hn-burner" not in j["reason"], j["reason"]
    print("# this host is busy without the burner:", j["reason"])
PY
check "without the burner it is not named (and the sample is not disturbed unless the host is busy)" $?

. "$top/guest/tests/schema.sh"
schema=$top/harness/schema/run.schema.json
if [ "$have_jsonschema" = 1 ]; then
	$PY - "$top/harness/tests/data/cpu-contention.run.json" "$tmp/busy.json" "$tmp/rec.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["host_noise"] = json.load(open(sys.argv[2])); r["disturbed"] = True
json.dump(r, open(sys.argv[3], "w"))
PY
	valid "$tmp/rec.json" >/dev/null
	check "a record holding the host_noise measured here validates against run.schema.json" $?
	$PY - "$tmp/rec.json" "$tmp/bad.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["host_noise"]["others"]["cpu_s"] = "lots"
json.dump(r, open(sys.argv[2], "w"))
PY
	! valid "$tmp/bad.json" >/dev/null 2>&1
	check "a mistyped host_noise is refused by the schema" $?
else
	skip "python3-jsonschema missing"
	skip "python3-jsonschema missing"
fi

# compare: the recorded A/A runs, with two of B's runs marked disturbed.
data=$top/harness/tests/data/compare
if [ -d "$data/a/runs" ] && [ -d "$data/b/runs" ]; then
	cp -r "$data/a" "$tmp/a"
	cp -r "$data/b" "$tmp/b"
	marked=$($PY - "$tmp/b" <<'PY'
import glob, json, sys
n = 0
for p in sorted(glob.glob(sys.argv[1] + "/runs/*.json")):
    r = json.load(open(p))
    if r["ok"] and not r["warmup"] and n < 2:
        r["disturbed"] = True
        json.dump(r, open(p, "w"))
        n += 1
print(n)
PY
)
	"$H" compare --json "$tmp/a" "$tmp/b" >"$tmp/c1.json" 2>"$tmp/c1.err"
	grep -q "b/runs': $marked run(s) marked disturbed" "$tmp/c1.err" && [ "$marked" = 2 ]
	check "compare says how many runs were disturbed and left out ($marked)" $?
	"$H" compare --json --include-disturbed "$tmp/a" "$tmp/b" >"$tmp/c2.json" 2>"$tmp/c2.err"
	! grep -q "marked disturbed" "$tmp/c2.err"
	check "--include-disturbed pools them, without the line" $?
	$PY - "$tmp/c1.json" "$tmp/c2.json" "$marked" <<'PY'
import json, sys
def runs(p):
    j = json.load(open(p))
    lines = j["comparisons"]
    return sum(l["runs_new"] for l in lines), len(lines)
(a, na), (b, nb) = runs(sys.argv[1]), runs(sys.argv[2])
assert na == nb and na > 0, (na, nb)
assert b > a, (a, b)
PY
	check "the lines of compare count fewer new runs without the disturbed ones" $?
else
	skip "no recorded A/A runs in harness/tests/data/compare"
	skip "no recorded A/A runs in harness/tests/data/compare"
	skip "no recorded A/A runs in harness/tests/data/compare"
fi

"$H" noise >/dev/null 2>&1
check "harness noise without a command is a usage error (exit 2)" $(($? != 2))
"$H" noise -- "$tmp/does-not-exist" >/dev/null 2>&1
check "harness noise with a command that cannot run exits 2" $(($? != 2))

if [ -x "$top/build/bin/cpu_hog" ]; then
	"$H" doctor --noise 3 >"$tmp/doctor.txt" 2>&1
	rc=$?
	grep -q "^ok    cpu0 " "$tmp/doctor.txt" && grep -q "detectable" "$tmp/doctor.txt" && [ $rc = 0 ]
	check "doctor --noise measures every CPU and says what a run could detect" $?
	cat "$tmp/doctor.txt" | sed 's/^/# /'
else
	skip "cpu_hog not built (make build)"
fi
done_testing
