#!/bin/bash
# A report is safe to make from any results directory: names and settings
# are data for groff and gnuplot, never requests or commands. groff used to
# run with -U (".sy" in a guest name ran a command) and a settings value
# went into a double-quoted gnuplot title (`...` ran a command).
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
H=$top/build/bin/harness
[ -x "$H" ] || skip_all "harness not built"
command -v gnuplot >/dev/null && command -v groff >/dev/null && command -v ps2pdf >/dev/null ||
	skip_all "gnuplot, groff or ps2pdf missing (make deps)"
tmp=$(mktemp -d)
trap "[ -n \"$KEEP\" ] || rm -rf \"$tmp\"" EXIT
d=$tmp/20260101-000000-t
mkdir -p "$d/runs"
P=$tmp/PWNED
# The names as an attacker writes them: a groff request, a groff request
# after a newline, gnuplot backticks, a quote that ends a single-quoted
# gnuplot string, a table's end of text block.
g1=".sy touch $P"
g2="'sy touch ${P}3"
g3="vm'.system('touch ${P}4').'"
st="\`touch ${P}2\`"
export g1 g2 g3 st d
python3 - <<'PY'
import json, os
d, g1, g2, g3, st = (os.environ[k] for k in ("d", "g1", "g2", "g3", "st"))
settings = {"shares": st, "pinning": "x\n.sy touch " + st}
json.dump({"schema": "harness-env/1", "accelerator": {"name": "tcg", "reason": "\n.sy touch /nonexistent/x"},
           "host_cpu": ".sy true", "host_cpus": 2, "cpu_weight_mechanism": "T}",
           "cpu_weight_reason": "\\\\X'ps: exec'", "images": [{"guest": g1, "image": g2, "suite": st,
           "kernel": "6.12", "digest": "abc"}]}, open(d + "/env.json", "w"))
for r in (1, 2):
    json.dump({"schema": "harness-run/1", "run_id": "00%d-cpu-contention-r%d" % (r, r), "experiment": "cpu-contention",
               "ok": True, "settings": settings, "fairness_index": 0.99,
               "series": {"t": [0.5, 1.0, 1.5], "host_cpu_share": {g1: [0.6, 0.7, 0.65], g3: [0.4, 0.3, 0.35],
                                                                    st: [0.1, 0.1, 0.1]}},
               "guests": [{"name": g1, "measured_share": 0.6}, {"name": g3, "measured_share": 0.4}]},
              open(d + "/runs/00%d-cpu-contention-r%d.json" % (r, r), "w"))
# The container experiments' tables take names, roots, hostnames and
# kernels from the records.
c = {"name": g1, "rootfs": g2, "state": g1, "probe": {"pid": 1, "hostname": g1, "kernel": g2, "mounts": 3,
     "processes": 2}, "limits": {"cpu_weight": 100, "cpu_max": 1}, "cpu_s": 1, "share": 0.5}
for exp, extra in (("isolation", {"containers": [c], "guest_view": {"kernel": g1, "hostname": g2},
                                  "checks": {g1: True}}),
                   ("proportional-share", {"containers": [c], "scenario": g1}),
                   ("admission", {"starts": [{"name": g1, "admit": g2, "outcome": "T}", "reason": g1}]})):
    rec = {"schema": "harness-run/1", "run_id": "004-%s-r1" % exp, "experiment": exp, "ok": True, "settings": {}}
    rec.update(extra)
    json.dump(rec, open(d + "/runs/004-%s-r1.json" % exp, "w"))
json.dump({"schema": "harness-run/1", "run_id": g2, "experiment": "boot", "ok": False, "settings": settings,
           "error": "\n.sy touch " + st}, open(d + "/runs/003-boot-r1.json", "w"))
ms = {"n": 2, "mean": 0.5, "ci95_low": 0.4, "ci95_high": 0.6}
guests = [{"name": n, "weight": {"mean": 1024}, "expected_share": {"mean": 0.5}, "measured_share": ms,
           "units_per_s": {"mean": 1}, "steal_pct": {"mean": 0}, "boot_s": {"mean": 1, "sd": 0}} for n in (g1, g2, g3)]
json.dump({"schema": "harness-summary/1", "groups": [
    {"experiment": "cpu-contention", "settings": settings, "runs": 2, "fairness_index": {"n": 2, "mean": 0.99},
     "guests": guests},
    {"experiment": "boot", "settings": settings, "runs": 1, "guests": guests},
    {"experiment": g1, "settings": {g1: g2}, "runs": 1},
    {"experiment": "isolation", "settings": {}, "runs": 1},
    {"experiment": "proportional-share", "settings": {}, "runs": 1},
    {"experiment": "admission", "settings": {}, "runs": 1},
    {"experiment": "boot", "settings": [g1, 3], "runs": "x", "guests": {"a": 1}}]}, open(d + "/summary.json", "w"))
PY

# Files kept beside the results: requests in them stay text; a FIFO is not
# waited for.
printf '.sy touch %s5\nsuite: x\n' "$P" >"$d/suite.yaml"
printf "'sy touch %s6\n.sy touch %s6\nT}\n" "$P" "$P" >"$d/compare.txt"
mkfifo "$d/compare.json"

plan 7
(cd "$tmp" && HARNESS_KEEP_REPORT_TMP=1 "$H" report "$d" -o "$tmp/r.pdf" >/dev/null 2>"$tmp/err")
check "a PDF is written from hostile names and settings" $?
ok "it is a PDF" sh -c "head -c 5 '$tmp/r.pdf' | grep -q '%PDF-'"
ok "no groff request ran (.sy and 'sy in names)" sh -c "[ ! -e '$P' ] && [ ! -e '${P}3' ]"
ok "no gnuplot backticks or system() ran (settings, series names)" sh -c "[ ! -e '${P}2' ] && [ ! -e '${P}4' ]"
pdftotext -layout "$tmp/r.pdf" "$tmp/all.txt"
ok "suite.yaml and compare.txt are shown, never run" \
	sh -c "[ ! -e '${P}5' ] && [ ! -e '${P}6' ] && grep -qF '.sy touch ${P}6' '$tmp/all.txt'"
ok "the hostile names are printed as text, the plots drawn" \
	sh -c "grep -qF '.sy touch $P' '$tmp/all.txt' && grep -q 'Host CPU share over time' '$tmp/all.txt' && grep -q 'Measured host CPU share' '$tmp/all.txt'"
# A row whose first cell starts with "." would be a request to tbl and
# vanish: the rows are there, with their numbers.
ok "container tables print record strings as text" \
	sh -c "grep -qE 'PWNED +100 +1\\.00 +1\\.00 +0\\.500 +\\.sy touch' '$tmp/all.txt' && grep -qE 'PWNED3 +T} +\\.sy touch' '$tmp/all.txt' && grep -qF 'Roots: .sy touch' '$tmp/all.txt'"
done_testing
