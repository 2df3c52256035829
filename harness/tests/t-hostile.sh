#!/bin/bash
# Hostile results directories and suite files (issue 24): everything report,
# compare, export and run --resume read from a results directory is a regular
# file inside it, never a link followed; a report is renamed into place (a
# link planted at its name is replaced, never written through) and leaves
# nothing behind when it is interrupted; bad records are named on stderr,
# never dropped silently; numbers that are not finite, formulas in CSV
# fields, a live run's --resume, quadratic inputs (a 10^6-sample record, a
# 100k-key suite, 10^5 nested lists) and the exit status of bad input.
# No wall-clock bound is asserted anywhere: each case must finish and say
# what it must say (BENCHMARKS.md has the times).
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
H=$top/build/bin/harness
PY=/usr/bin/python3
data=$top/harness/tests/data
[ -x "$H" ] || skip_all "harness not built"
command -v gnuplot >/dev/null && command -v groff >/dev/null && command -v ps2pdf >/dev/null &&
	command -v pdftotext >/dev/null || skip_all "gnuplot, groff, ps2pdf or pdftotext missing (make deps)"
tmp=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$tmp"' EXIT
export TMPDIR=$tmp/scratch HARNESS_STATE_DIR=$tmp/state
mkdir -p "$TMPDIR" "$HARNESS_STATE_DIR"

# A results directory with two repeats of a real cpu-contention record, its
# env.json and summary.json (with N: the first one's series N samples long).
mkres() {
	$PY - "$data/cpu-contention.run.json" "$1" "${2:-0}" <<'PY'
import json, os, sys
src, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(d + "/runs", exist_ok=True)
r = json.load(open(src))
for k in (1, 2):
    if n and k == 1:
        r["series"] = {"t": [round(0.5 * (i + 1), 1) for i in range(n)],
                       "host_cpu_share": {g: [0.5 + 0.1 * ((i % 7) - 3) / 3 for i in range(n)] for g in ("vm1", "vm2")}}
    elif n:
        r["series"] = json.load(open(src))["series"]
    r["run_id"] = "00%d-cpu-contention-r%d" % (k, k)
    r["repeat"] = k
    json.dump(r, open("%s/runs/%s.json" % (d, r["run_id"]), "w"))
json.dump({"schema": "harness-env/1", "accelerator": {"name": "tcg", "reason": "test"}, "images": []},
          open(d + "/env.json", "w"))
ms = {"n": 2, "mean": 0.5, "ci95_low": 0.4, "ci95_high": 0.6}
json.dump({"schema": "harness-summary/1", "groups": [{"experiment": "cpu-contention", "settings": r["settings"],
           "runs": 2, "fairness_index": {"n": 2, "mean": 0.99},
           "guests": [{"name": g, "measured_share": ms, "expected_share": ms} for g in ("vm1", "vm2")]}]},
          open(d + "/summary.json", "w"))
open(d + "/suite.yaml", "w").write("suite: hostile\n")
PY
}

plan 32

# --- 3: links in a results directory are refused, never followed ---------
d=$tmp/20260101-000000-links
mkres "$d"
printf 'root:SECRET-SHADOW-LINE:19000:0:99999:7:::\n' >"$tmp/shadow"
echo "precious" >"$tmp/victim"
rm "$d/suite.yaml"
ln -s "$tmp/shadow" "$d/suite.yaml"
ln -s "$tmp/shadow" "$d/compare.txt"
ln -s "$tmp/shadow" "$d/compare.json"
ln -s "$tmp/victim" "$d/report.pdf"
"$H" report "$d" -o "$d/report.pdf" >/dev/null 2>"$tmp/links.err"
check "report of a directory with planted links succeeds" $?
ok "the link planted at report.pdf was replaced, not written through" \
	sh -c "[ \"\$(cat '$tmp/victim')\" = precious ] && [ ! -L '$d/report.pdf' ] && head -c 5 '$d/report.pdf' | grep -q '%PDF-'"
pdftotext -layout "$d/report.pdf" "$tmp/links.txt"
ok "nothing of the linked file reaches the PDF" sh -c "! grep -q SECRET-SHADOW-LINE '$tmp/links.txt'"
ok "each refused link is named on stderr (suite.yaml, compare.txt, compare.json)" sh -c \
	"grep -q \"suite.yaml': a symbolic link (not followed)\" '$tmp/links.err' &&
	 grep -q \"compare.txt': a symbolic link\" '$tmp/links.err' && grep -q \"compare.json': a symbolic link\" '$tmp/links.err'"
ok "no temporary file is left beside the report" sh -c "[ -z \"\$(ls -A '$d' | grep -v -e '^runs\$' -e '^env.json\$' -e '^summary.json\$' -e '^suite.yaml\$' -e '^compare' -e '^report.pdf\$')\" ]"

# A record that is a link to a record elsewhere, and runs/ itself a link.
mkres "$tmp/elsewhere"
ln -s "$tmp/elsewhere/runs/001-cpu-contention-r1.json" "$d/runs/009-linked.json"
"$H" export "$d" --csv >"$tmp/links.csv" 2>"$tmp/export.err"
ok "export names the linked record and leaves it out" sh -c \
	"grep -q \"009-linked.json': a symbolic link (not followed); skipped\" '$tmp/export.err' && ! grep -q 009-linked '$tmp/links.csv'"
l=$tmp/20260101-000000-runslink
mkdir -p "$l" && cp "$d/env.json" "$d/summary.json" "$l/" && ln -s "$tmp/elsewhere/runs" "$l/runs"
"$H" compare "$tmp/elsewhere" "$l" >/dev/null 2>"$tmp/runslink.err"
ok "compare refuses a runs/ that is a link (exit 2, named)" \
	sh -c "[ $? -eq 2 ] && grep -q 'runs.*symbolic link, not followed' '$tmp/runslink.err'"

# --resume reads the suite of the results directory: never through a link.
"$H" run --dry-run --resume "$d" >/dev/null 2>"$tmp/resume-link.err"
ok "run --resume refuses a suite.yaml that is a link (exit 2, named)" \
	sh -c "[ $? -eq 2 ] && grep -q \"suite.yaml': a symbolic link\" '$tmp/resume-link.err' && ! grep -q SECRET '$tmp/resume-link.err'"

# --- 8: bad records are named, never dropped silently --------------------
b=$tmp/20260101-000000-bad
mkres "$b"
mkfifo "$b/runs/010-fifo.json"
truncate -s 65M "$b/runs/011-huge.json"
$PY - "$b" <<'PY'
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/runs/001-cpu-contention-r1.json"))
r["run_id"] = "012-unknown"; r["experiment"] = "no-such-experiment"
json.dump(r, open(d + "/runs/012-unknown.json", "w"))
open(d + "/runs/013-garbage.json", "w").write("{not json")
PY
"$H" export "$b" --csv >"$tmp/bad.csv" 2>"$tmp/bad.err"
check "export goes on past bad records" $?
ok "a FIFO record is named and why" grep -q "010-fifo.json': a FIFO, not a regular file; skipped" "$tmp/bad.err"
ok "an oversized record is named and why" grep -q "011-huge.json': larger than 67108864 bytes" "$tmp/bad.err"
ok "a record of an unknown experiment is named and why" \
	grep -q "012-unknown.json' is a run of 'no-such-experiment', an experiment this build does not have; skipped" "$tmp/bad.err"
ok "a record that is not JSON is named" grep -q "013-garbage.json' is not JSON; skipped" "$tmp/bad.err"

# +-1e999 parses as infinity: refused as bad input, named, never a NaN.
n=$tmp/20260101-000000-inf
mkres "$n"
sed -i 's/"measured_share": [0-9.e-]*/"measured_share": 1e999/; s/"repeat": 1,/"repeat": -1e999,/' "$n/runs/001-cpu-contention-r1.json"
"$H" compare "$tmp/elsewhere" "$n" >"$tmp/inf.out" 2>"$tmp/inf.err"
ok "compare names the record with an infinite number" \
	grep -q "001-cpu-contention-r1.json' holds a number that is not finite (at repeat); skipped" "$tmp/inf.err"
ok "compare prints no nan and no inf" sh -c "! grep -Eqi 'nan|inf' '$tmp/inf.out'"
"$H" export "$n" --csv >"$tmp/inf.csv" 2>/dev/null
ok "export writes no 2147483647 (an infinite repeat) and no inf" sh -c "! grep -Eq '2147483647|inf' '$tmp/inf.csv'"
sed -i 's/"repeat": -1e999,/"repeat": 1,/' "$n/runs/001-cpu-contention-r1.json"
"$H" compare "$tmp/elsewhere" "$n" >/dev/null 2>"$tmp/inf2.err"
ok "an infinite metric alone is named with its path" \
	grep -q "holds a number that is not finite (at guests\[0\].measured_share)" "$tmp/inf2.err"

# compare GOOD BAD blames BAD, and the other way round.
e=$tmp/20260101-000000-empty
mkdir -p "$e/runs"
"$H" compare "$tmp/elsewhere" "$e" 2>"$tmp/blame.err" >/dev/null
ok "compare GOOD EMPTY names EMPTY (exit 2)" sh -c "[ $? -eq 2 ] && grep -q \"no successful run records in '$e/runs'\" '$tmp/blame.err'"
"$H" compare "$e" "$tmp/elsewhere" 2>"$tmp/blame2.err" >/dev/null
ok "compare EMPTY GOOD names EMPTY" grep -q "no successful run records in '$e/runs'" "$tmp/blame2.err"

# CSV fields that a spreadsheet would run as a formula start with a quote.
c=$tmp/20260101-000000-csv
mkres "$c"
$PY - "$c" <<'PY'
import json, sys
d = sys.argv[1]
for k in (1, 2):
    p = "%s/runs/00%d-cpu-contention-r%d.json" % (d, k, k)
    r = json.load(open(p))
    r["run_id"] = "=HYPERLINK(\"http://x\")"
    r["settings"] = {"=cmd": "1", "pinning": "+2"}
    r["guests"][0]["name"] = "@SUM(A1)"
    r["guests"][1]["name"] = "-1+1"
    json.dump(r, open(p, "w"))
PY
"$H" export "$c" --csv >"$tmp/formula.csv" 2>/dev/null
$PY - "$tmp/formula.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))[1:]
assert rows
for r in rows:
    for i, f in enumerate(r):
        if i == 6:   # the value: a number written by the harness
            float(f)
            continue
        assert not f or f[0] not in "=+-@\t\r", (i, f, r)
assert {r[0] for r in rows} == {"'=HYPERLINK(\"http://x\")"}, rows[0]
assert {r[4] for r in rows} >= {"'@SUM(A1)", "'-1+1"}, {r[4] for r in rows}
assert rows[0][2].startswith("'=cmd=1"), rows[0][2]
PY
check "export: =, +, -, @ at the start of a text field get a quote; the value stays a number" $?

# --- 7: quadratic inputs finish ------------------------------------------
big=$tmp/20260101-000000-big
mkres "$big" 1000000
"$H" report "$big" -o "$tmp/big.pdf" >/dev/null 2>"$tmp/big.err"
ok "report of a cpu-contention record of 10^6 samples finishes with a PDF" \
	sh -c "[ $? -eq 0 ] && head -c 5 '$tmp/big.pdf' | grep -q '%PDF-'"
$PY -c 'import sys; sys.stdout.write("suite: big\n" + "".join("k%d: 1\n" % i for i in range(100000)))' >"$tmp/keys.yaml"
"$H" run --dry-run suite "$tmp/keys.yaml" >/dev/null 2>"$tmp/keys.err"
ok "a suite of 100k keys is refused at the bound (exit 2, line and limit)" \
	sh -c "[ $? -eq 2 ] && grep -q 'keys.yaml:257: more than 256 keys in one mapping' '$tmp/keys.err'"
$PY -c 'import sys; sys.stdout.write("suite: deep\nx: " + "[" * 100000 + "]" * 100000 + "\n")' >"$tmp/deep.yaml"
"$H" run --dry-run suite "$tmp/deep.yaml" >/dev/null 2>"$tmp/deep.err"
ok "10^5 nested lists are refused at the bound (exit 2)" \
	sh -c "[ $? -eq 2 ] && grep -q 'deep.yaml:2: lists and mappings nested more than 32 deep' '$tmp/deep.err'"
$PY -c 'import sys; sys.stdout.write("suite: many\nguests:\n" + "".join("  - {name: g%d, image: general}\n" % i for i in range(65)) + "experiments:\n  - type: boot\n")' >"$tmp/guests.yaml"
"$H" run --dry-run suite "$tmp/guests.yaml" >/dev/null 2>"$tmp/guests.err"
ok "65 guests are refused (at most 64, exit 2)" \
	sh -c "[ $? -eq 2 ] && grep -q 'guests: a suite has at most 64 guests (this one has 65)' '$tmp/guests.err'"
printf 'suite: sh\nguests:\n  - name: vm1\n    image: ../../../etc/shadow\nexperiments:\n  - type: boot\n' >"$tmp/img.yaml"
"$H" run --dry-run suite "$tmp/img.yaml" >/dev/null 2>"$tmp/img.err"
ok "image: ../../../etc/shadow is refused (exit 2)" sh -c "[ $? -eq 2 ] && grep -q 'img.yaml:4: image:' '$tmp/img.err'"

# --- 8: bad input exits 2 in every verb, as harness(1) says ---------------
mkdir -p "$tmp/noresults"
printf 'suite: bad\nrepeatz: 1\n' >"$tmp/bad.yaml"
bad=0
while read -r args; do
	# shellcheck disable=SC2086
	"$H" $args >/dev/null 2>&1
	st=$?
	[ $st -eq 2 ] || { diag "harness $args: exit $st, not 2"; bad=1; }
done <<EOF
nosuch
doctor x
image prepare ../../etc
vm bogus
vm exec vm1 -- relative
run --order x suite quick
run suite $tmp/bad.yaml
run suite $tmp/nonexistent.yaml
run --resume $tmp/nonexistent
run --resume $tmp/noresults
report $tmp/noresults -o $tmp/x.pdf
report $tmp/nonexistent -o $tmp/x.pdf
compare $tmp/nonexistent $tmp/noresults
compare --alpha 7 a b
export $tmp/nonexistent --csv
experiments nosuch
EOF
check "bad input exits 2 in every verb (a suite, a results directory, an image name, a flag)" $bad

# --- 8: a SIGTERMed report leaves no temporary directory -----------------
# gnuplot that never ends (a fake collaborator: the report waits for it).
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho $$ >"%s/gnuplot.pid"\nexec sleep 300\n' "$tmp" >"$tmp/bin/gnuplot"
chmod +x "$tmp/bin/gnuplot"
PATH=$tmp/bin:$PATH "$H" report "$d" -o "$tmp/term.pdf" >/dev/null 2>"$tmp/term.err" &
rp=$!
for i in $(seq 600); do [ -s "$tmp/gnuplot.pid" ] && break; sleep 0.1; done
ls -d "$TMPDIR"/harness-report.* >/dev/null 2>&1
check "the report is waiting in gnuplot with its temporary directory" $?
kill -TERM $rp
wait $rp
ok "SIGTERM: the report exits non-zero, says so, and writes no PDF" \
	sh -c "[ $? -ne 0 ] && grep -q interrupted '$tmp/term.err' && [ ! -e '$tmp/term.pdf' ]"
ok "SIGTERM: no temporary directory is left, and gnuplot is gone" \
	sh -c "! ls -d '$TMPDIR'/harness-report.* >/dev/null 2>&1 && ! kill -0 \$(cat '$tmp/gnuplot.pid') 2>/dev/null"

# --- 4: --resume of a run that still runs is refused with its pid --------
r=$tmp/20260101-000000-live
mkres "$r"
printf 'suite: live\nguests:\n  - {name: vm1, image: general}\nexperiments:\n  - type: avoidance\n' >"$r/suite.yaml"
mkdir -p "$HARNESS_STATE_DIR/runs/20260101-000000-live"
sleep 300 &
sp=$!
echo "$sp $(awk '{ sub(/.*\) /, ""); print $20 }' /proc/$sp/stat)" >"$HARNESS_STATE_DIR/runs/20260101-000000-live/owner.pid"
touch "$HARNESS_STATE_DIR/runs/keep-this-file"
"$H" run --resume "$r" >/dev/null 2>"$tmp/live.err"
st=$?
ok "run --resume of a live run is refused with its pid (exit 1)" \
	sh -c "[ $st -eq 1 ] && grep -q \"run '20260101-000000-live' is still running (pid $sp)\" '$tmp/live.err'"
ok "its state directory and the other files under runs/ are untouched" \
	sh -c "[ -s '$HARNESS_STATE_DIR/runs/20260101-000000-live/owner.pid' ] && [ -e '$HARNESS_STATE_DIR/runs/keep-this-file' ]"
kill $sp; wait $sp 2>/dev/null
# The same pid file once its process is gone: no refusal (the resume goes on
# until it finds no image 'general' in this empty state directory).
"$H" run --resume "$r" >/dev/null 2>"$tmp/gone.err"
ok "run --resume of a run whose owner is gone goes on" \
	sh -c "! grep -q 'still running' '$tmp/gone.err' && grep -q \"image 'general' is not built\" '$tmp/gone.err'"

done_testing
