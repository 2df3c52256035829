#!/bin/bash
# harness compare's detection and false-alarm rates, and its bootstrap CI's
# coverage, on the recorded A/A runs (harness/tests/data/compare/{a,b}: two
# runs of one suite, 8 rounds each of cpu-contention at shares 1024:1024 and
# 2048:1024, two guests: 12 compared lines). The 16 records of each setting
# are pooled and split at random into a base and a new side of k each:
#   - A/A: 40 splits of 8 against 8, nothing changed: any REGRESSION is a
#     false alarm;
#   - x0.85 and x0.93: 20 splits each, the new side's units_per_s scaled
#     (every guest, every setting): flagged when a units_per_s line is a
#     REGRESSION; "hidden" when a significant units_per_s drop past the floor
#     was called "within noise" by the noise guard;
#   - coverage: 40 A/A splits at each k = 4..8 runs a side: the share of the
#     95% CIs of the relative change that exclude 0 (5% is nominal).
# Shell, awk and harness only: every statistic is harness compare's own
# (--json). BENCHMARKS.md has the figures.
#   harness/bench/compare-rates.sh [SEED]
# HARNESS=path picks the binary; AA_SPLITS (40), SCALED_SPLITS (20) and
# COV_SPLITS (40 per k) set the counts, 0 leaves a part out (t-compare.sh
# runs a short coverage part).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
H=${HARNESS:-$top/build/bin/harness}
data=$top/harness/tests/data/compare
seed=${1:-20}
aa_splits=${AA_SPLITS:-40} scaled_splits=${SCALED_SPLITS:-20} cov_splits=${COV_SPLITS:-40}
[ -x "$H" ] || { echo "build first: make -C harness" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The pool: each record once, its run_id made unique (A and A' share them).
mkdir -p "$tmp/pool"
for side in a b; do
	for f in "$data/$side"/runs/*.json; do
		sed "s/\"run_id\":\"/\"run_id\":\"$side-/" "$f" >"$tmp/pool/$side-$(basename "$f")"
	done
done
settings="shares=1024_1024 shares=2048_1024"

# split TRIAL K FACTOR: $tmp/x (base) and $tmp/y (new), K records of each
# setting a side, the new side's units_per_s times FACTOR.
split() {
	rm -rf "$tmp/x" "$tmp/y"
	mkdir -p "$tmp/x/runs" "$tmp/y/runs"
	cp "$data/a/env.json" "$tmp/x/"
	cp "$data/a/env.json" "$tmp/y/"
	for s in $settings; do
		ls "$tmp/pool"/*"$s"*.json |
			awk -v seed="$seed$1$2$s" 'BEGIN { srand(seed) } { print rand() "\t" $0 }' |
			sort -n | cut -f2 | head -n $((2 * $2)) >"$tmp/order"
		head -n "$2" "$tmp/order" | xargs cp -t "$tmp/x/runs/"
		tail -n "$2" "$tmp/order" | while read -r f; do
			awk -v k="$3" '{
				out = ""
				while (match($0, /"units_per_s":[-0-9.eE+]+/)) {
					v = substr($0, RSTART + 14, RLENGTH - 14)
					out = out substr($0, 1, RSTART - 1) sprintf("\"units_per_s\":%.17g", v * k)
					$0 = substr($0, RSTART + RLENGTH)
				}
				print out $0
			}' "$f" >"$tmp/y/runs/$(basename "$f")"
		done
	done
}

# compare: one line per comparison of harness compare --json:
# metric verdict regression ci_low ci_high
compare() {
	"$H" compare --json "$tmp/x" "$tmp/y" 2>/dev/null | awk -F'\t' '
		function val(s) { sub(/^[^:]*:[ \t]*/, "", s); sub(/,$/, "", s); gsub(/"/, "", s); return s }
		/"metric":/ { m = val($0) }
		/"rel_change_ci95_low":/ { lo = val($0) }
		/"rel_change_ci95_high":/ { hi = val($0) }
		/"verdict":/ { v = val($0); gsub(/ /, "_", v) }
		/"regression":/ && !/"regressions"/ { print m, v, val($0), lo, hi; lo = hi = "null" }'
}

aa_any=0 aa_lines=0 aa_n=0
for t in $(seq 1 "$aa_splits"); do
	split "$t" 8 1
	compare >"$tmp/out"
	r=$(awk '$3 == "true"' "$tmp/out" | wc -l)
	aa_lines=$((aa_lines + r)) aa_n=$((aa_n + $(wc -l <"$tmp/out")))
	[ "$r" -gt 0 ] && aa_any=$((aa_any + 1))
done
[ "$aa_splits" -gt 0 ] && echo "A/A, $aa_splits splits of 8 against 8: $aa_any with a REGRESSION ($aa_lines of $aa_n lines)"

for k in 0.85 0.93; do
	[ "$scaled_splits" -gt 0 ] || break
	flagged=0 hidden=0 lines=0
	for t in $(seq 1 "$scaled_splits"); do
		split "$t" 8 "$k"
		compare >"$tmp/out"
		r=$(awk '$1 == "units_per_s" && $3 == "true"' "$tmp/out" | wc -l)
		h=$(awk '$1 == "units_per_s" && $2 == "within_noise"' "$tmp/out" | wc -l)
		lines=$((lines + r))
		[ "$r" -gt 0 ] && flagged=$((flagged + 1))
		[ "$h" -gt 0 ] && hidden=$((hidden + 1))
	done
	echo "x$k, $scaled_splits splits of 8 against 8: flagged in $flagged ($lines of $((4 * scaled_splits)) units_per_s lines a REGRESSION); within noise in $hidden"
done

all_ex=0 all_n=0
for n in 4 5 6 7 8; do
	[ "$cov_splits" -gt 0 ] || break
	ex=0 tot=0
	for t in $(seq 1 "$cov_splits"); do
		split "$t" "$n" 1
		compare >"$tmp/out"
		read -r e c < <(awk '$4 != "null" && $5 != "null" { c++; if ($4 > 0 || $5 < 0) e++ }
				    $4 == "null" || $5 == "null" { c++ }
				    END { print e + 0, c + 0 }' "$tmp/out")
		ex=$((ex + e)) tot=$((tot + c))
	done
	all_ex=$((all_ex + ex)) all_n=$((all_n + tot))
	echo "coverage, $n runs a side, $cov_splits A/A splits: $ex of $tot CIs exclude 0 ($(awk -v e=$ex -v t=$tot 'BEGIN { printf "%.1f", 100 * e / t }')%)"
done
[ "$all_n" -gt 0 ] && echo "coverage, 4-8 runs a side: $all_ex of $all_n CIs exclude 0 ($(awk -v e=$all_ex -v t=$all_n 'BEGIN { printf "%.1f", 100 * e / t }')%)"
