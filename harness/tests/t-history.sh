#!/bin/bash
# harness history end to end on real records (no guests): synthetic nights
# resampled from the recorded A/A runs in tests/data/compare (test_history
# --write-night), added through the CLI. Bad input refused; adds
# idempotent; two adds at once both land; a history add killed mid-way
# (SIGKILL inside its transaction, and at random moments) leaves the
# database whole, with the night all there or not at all; a different QEMU
# version in env.json starts a new series and is no regression, while the
# same step in one environment is one; a mark declares it known; show,
# show --png, show --json, export --csv and rerun-suite; the report's
# history page.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
H=$top/build/bin/harness
W=$top/build/harness-tests/test_history
data=$top/harness/tests/data/compare
[ -x "$H" ] || skip_all "harness not built"
[ -x "$W" ] || skip_all "test_history not built (make check builds it)"
[ -d "$data/a/runs" ] || skip_all "no recorded runs in $data"
command -v sqlite3 >/dev/null || skip_all "sqlite3 missing"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HARNESS_TEST_DATA=$data
plan 31

night() { # night SEED N STEP: the directory of synthetic night N
	local d=$tmp/n$1/20260101-$(printf %06d "$2")-synth
	[ -d "$d" ] || "$W" --write-night "$d" "$1" "$2" "$3" || return 1
	echo "$d"
}
count() { sqlite3 "$1" "$2"; }

# --- usage and bad input
"$H" history --help | grep -q 'E-Divisive means with Student'
check "history --help describes the detector" $?
"$H" history >/dev/null 2>&1
check "history alone: status 2" $(($? != 2))
"$H" history frobnicate >/dev/null 2>&1
check "an unknown command: status 2" $(($? != 2))
"$H" history detect --window 3 --history "$tmp/none.db" 2>"$tmp/err" >/dev/null
check "--window below twice --min-size: status 2" $(($? != 2))
"$H" history add --png x.png --history "$tmp/h.db" "$data/a" 2>"$tmp/err" >/dev/null
rc=$?
grep -q 'does not apply to history add' "$tmp/err"
check "an option of another command: refused by name" $((rc != 2 || $? != 0))
"$H" history detect --history "$tmp/none.db" 2>"$tmp/err" >/dev/null
rc=$?
grep -q "history add creates it" "$tmp/err"
check "detect on a missing history: status 2, says how to make one" $((rc != 2 || $? != 0))
ok "... and creates nothing" test ! -e "$tmp/none.db"

# --- add: idempotent, untrusted directories refused
db=$tmp/h.db
"$H" history add --history "$db" "$data/a" "$data/b" 2>/dev/null
check "add two recorded runs" $?
"$H" history add --history "$db" "$data/a" 2>"$tmp/err"
rc=$?
grep -q 'already in' "$tmp/err"
check "the same run again: nothing added, status 0" $((rc != 0 || $? != 0))
check "two nights, 24 points" $(( $(count "$db" 'select count(*) from nights') != 2 || $(count "$db" 'select count(*) from points') != 24 ))
mkdir -p "$tmp/bad1/runs" "$tmp/bad2/runs" "$tmp/bad3"
cp "$data/a/env.json" "$tmp/bad1/"
cp "$data/a/env.json" "$tmp/bad2/"
cp "$data/a/runs"/002-*.json "$tmp/bad2/runs/"
sed 's/"suite_run":"[^"]*"/"suite_run":"20261130-999999-other"/' "$data/b/runs/"002-*.json >"$tmp/bad2/runs/zzz.json"
mkfifo "$tmp/bad3/env.json"
for d in bad1 bad2 bad3 nothing; do
	"$H" history add --history "$db" "$tmp/$d" 2>>"$tmp/bad.err"
	[ $? -eq 2 ] || echo "$d accepted" >>"$tmp/bad.err"
done
diag "$(cat "$tmp/bad.err")"
! grep -q accepted "$tmp/bad.err" && grep -q 'no successful run records' "$tmp/bad.err" &&
	grep -q 'mixes the records of two runs' "$tmp/bad.err" && grep -q 'not a regular file' "$tmp/bad.err"
check "no records, two runs mixed, a FIFO for env.json, no directory: each refused, status 2" $?
check "... and nothing added" $(( $(count "$db" 'select count(*) from nights') != 2 ))
printf 'not a database at all, but long enough to look like a header of one....' >"$tmp/text.db"
"$H" history add --history "$tmp/text.db" "$data/a" 2>"$tmp/err" >/dev/null
check "a file that is not a history: refused" $(($? != 2))

# --- two adds at once
for n in $(seq 0 7); do night 1 "$n" 0 >/dev/null || exit 1; done
c=$tmp/c.db
"$H" history add --history "$c" "$tmp"/n1/*-00000[0-3]-synth 2>/dev/null &
p1=$!
"$H" history add --history "$c" "$tmp"/n1/*-00000[4-7]-synth 2>/dev/null &
p2=$!
"$H" history add --history "$c" $(ls -1d "$tmp"/n1/*-synth | sort -r) 2>/dev/null &
p3=$!
wait $p1; r1=$?
wait $p2; r2=$?
wait $p3; r3=$?
check "three adds at once all succeed ($r1 $r2 $r3)" $((r1 || r2 || r3))
check "each night once: 8 nights, 96 points" $(( $(count "$c" 'select count(*) from nights') != 8 || $(count "$c" 'select count(*) from points') != 96 ))
check "integrity_check ok" $([ "$(count "$c" 'pragma integrity_check')" = ok ]; echo $?)

# --- killed during add
k8=$(night 1 8 0)
HARNESS_TEST_HISTORY_KILL_AFTER=5 "$H" history add --history "$c" "$k8" 2>/dev/null
rc=$?
check "an add killed by SIGKILL after 5 of its 12 points (status $rc)" $((rc != 137))
check "the database is whole (integrity_check ok)" $([ "$(count "$c" 'pragma integrity_check')" = ok ]; echo $?)
check "... and holds none of the killed night: 8 nights, 96 points" $(( $(count "$c" 'select count(*) from nights') != 8 || $(count "$c" 'select count(*) from points') != 96 ))
"$H" history add --history "$c" "$k8" 2>/dev/null
check "the night added again afterwards: 9 nights, 108 points" $(( $(count "$c" 'select count(*) from nights') != 9 || $(count "$c" 'select count(*) from points') != 108 ))
# Killed from outside at whatever moment it has reached: whole, and each
# night all there or absent.
bad=0
for n in $(seq 9 16); do
	d=$(night 1 "$n" 0)
	"$H" history add --history "$c" "$d" 2>/dev/null &
	p=$!
	sleep "0.0$((RANDOM % 10))"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	[ "$(count "$c" 'pragma integrity_check')" = ok ] || bad=1
done
partial=$(count "$c" 'select count(*) from nights where (select count(*) from points where night_id = nights.id) != 12')
check "after 8 adds killed at random moments: whole, no partial night ($partial)" $((bad || partial != 0))

# --- a new environment is a new series, not a regression
for n in $(seq 0 59); do
	if [ "$n" -ge 40 ]; then night 3 "$n" -0.2 >/dev/null; else night 3 "$n" 0 >/dev/null; fi || exit 1
done
mkdir -p "$tmp/env3"
for d in "$tmp"/n3/*-synth; do
	n=$(basename "$d"); n=${n:9:6}
	cp -r "$d" "$tmp/env3/"
	[ "$((10#$n))" -ge 40 ] && sed -i 's/"qemu_version":[^,]*/"qemu_version":\t"8.2.0"/' "$tmp/env3/$(basename "$d")/env.json"
done
"$H" history add --history "$tmp/env.db" "$tmp"/env3/*-synth 2>/dev/null
"$H" history detect --history "$tmp/env.db" >"$tmp/env.txt" 2>&1
rc=$?
diag "$(grep -v '^ *$' "$tmp/env.txt" | head -n 8)"
grep -q "new series: QEMU version: '7.2.22' vs '8.2.0'" "$tmp/env.txt" && ! grep -q REGRESSION "$tmp/env.txt"
check "QEMU 8.2.0 from night 40 with 20% less: a new series shown, no regression, status 0" $((rc != 0 || $? != 0))
"$H" history add --history "$tmp/step.db" "$tmp"/n3/*-synth 2>/dev/null
"$H" history detect --history "$tmp/step.db" --metric units_per_s >"$tmp/step.txt" 2>&1
rc=$?
grep -q 'REGRESSION' "$tmp/step.txt" && grep -q '20260101-000040-synth' "$tmp/step.txt"
check "the same step in one environment: a regression at night 40, status 1" $((rc != 1 || $? != 0))
"$H" history detect --history "$tmp/step.db" --metric units_per_s --since 5 >/dev/null 2>&1
check "--since 5: the step is older than the last 5 nights, status 0" $?

# --- rerun-suite: the night's suite cut to the regressed combination
last=$tmp/n3/20260101-000059-synth
cp "$data/a/suite.yaml" "$last/"
"$H" history detect --history "$tmp/step.db" --since 25 >/dev/null 2>&1
"$H" history rerun-suite --history "$tmp/step.db" --since 25 "$last" -o "$tmp/rerun.yaml" 2>/dev/null
rc=$?
/usr/bin/python3 - "$tmp/rerun.yaml" <<'PY'
import sys, yaml
s = yaml.safe_load(open(sys.argv[1]))
e = s["experiments"]
assert len(e) == 1 and e[0]["type"] == "cpu-contention", e
assert e[0]["vary"] == {"pinning": "same", "shares": "2048:1024"}, e[0]["vary"]
assert s["guests"] and s["suite"] == "stats-aa"
PY
check "rerun-suite: the suite with only shares 2048:1024 (a valid suite)" $((rc != 0 || $? != 0))

# --- mark
"$H" history mark --history "$tmp/step.db" --night 20260101-000040-synth --metric units_per_s --note "new workload build" 2>/dev/null
"$H" history detect --history "$tmp/step.db" --metric units_per_s >"$tmp/mark.txt" 2>&1
rc=$?
grep -q 'marked: new workload build' "$tmp/mark.txt" && ! grep -q REGRESSION "$tmp/mark.txt"
check "a marked step: shown as marked, no regression, status 0" $((rc != 0 || $? != 0))

# --- show, export
"$H" history show --history "$tmp/step.db" --metric units_per_s --guest vm1 --since 10 >"$tmp/show.txt"
check "show: the last 10 nights of each of 2 series" $(( $(grep -c -- '-synth' "$tmp/show.txt") != 20 ))
"$H" history show --history "$tmp/env.db" --metric units_per_s --guest vm1 --png "$tmp/h.png" 2>/dev/null
check "show --png writes a PNG" $([ "$(head -c 4 "$tmp/h.png" | od -An -c | tr -d ' ')" = '211PNG' ]; echo $?)
"$H" history export --csv --history "$tmp/env.db" -o "$tmp/h.csv"
head -n 1 "$tmp/h.csv" | grep -qx '"run","date","started","commit","commit_date","kind","suite","experiment","settings","guest","metric","unit","better","host","fingerprint","n","mean","sd","median"'
check "export --csv: the documented columns" $?
check "export --csv: 60 nights x 12 series + 20 x 12 of the new environment... one row each ($(($(wc -l <"$tmp/h.csv") - 1)))" $(( $(wc -l <"$tmp/h.csv") - 1 != 720 ))

# --- the report's page
cp -r "$data/a" "$tmp/rep"
"$H" history show --history "$tmp/env.db" --metric units_per_s --json -o "$tmp/rep/history.json"
"$H" report "$tmp/rep" -o "$tmp/rep.pdf" >/dev/null 2>&1
pdftotext "$tmp/rep.pdf" - 2>/dev/null | grep -q 'History: the recent nights'
check "the report of a run with history.json has the history page" $?
done_testing
