#!/bin/bash
# disk against fio, side by side in one run, on the same file with the same
# block size and flags (psync engine: one synchronous pread/pwrite at a time):
#   seqwrite: 1 MiB sequential writes, O_DIRECT, time based (wrapping around)
#   randread: 4 KiB random reads, O_DIRECT, time based, no random map
# ROUNDS rounds alternate which tool goes first; the ratio is disk / fio per
# round, and the median round is reported. Prints a Markdown table.
# Environment: WL_BIN, BENCH_DIR (file location, default /var/tmp),
# BENCH_SIZE (default 2g), BENCH_SECONDS (default 10), ROUNDS (default 5).
# The host is shared: pair the rounds, read the median, not one round.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${WL_BIN:-$here/../../build/bin}/disk
size=${BENCH_SIZE:-2g}
secs=${BENCH_SECONDS:-10}
rounds=${ROUNDS:-5}
for t in fio jq; do
	command -v $t >/dev/null || { echo "b-disk-vs-fio: $t is not installed (workloads/packages.txt)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "b-disk-vs-fio: $bin is not built" >&2; exit 1; }
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/b-disk.XXXXXX")
trap 'rm -rf "$work"' EXIT
f=$work/data

# one run of each tool; prints "MiB/s IOPS p50_us p99_us"
run_fio() {  # run_fio rw bs extra...
	local rw=$1 bs=$2; shift 2
	fio --name=b --filename="$f" --rw="$rw" --bs="$bs" --size="$size" --direct=1 \
		--ioengine=psync --numjobs=1 --output-format=json "$@" >"$work/fio.json" 2>"$work/fio.err" ||
		{ cat "$work/fio.err" >&2; return 1; }
	local dir=read; [ "$rw" = write ] && dir=write
	jq -r ".jobs[0].$dir | \"\(.bw_bytes / 1048576) \(.iops) \(.clat_ns.percentile[\"50.000000\"] / 1000) \(.clat_ns.percentile[\"99.000000\"] / 1000)\"" "$work/fio.json"
}
run_disk() {  # run_disk rw bs extra...
	local rw=$1 bs=$2; shift 2
	"$bin" --file "$f" --rw "$rw" --bs "$bs" --size "$size" --direct "$@" >"$work/disk.json" ||
		{ jq -r .error "$work/disk.json" >&2; return 1; }
	jq -r '.totals | "\(.mib_per_s) \(.iops) \(.latency_us.p50) \(.latency_us.p99)"' "$work/disk.json"
}

# lay the file out once (fio writes it fully), so that both read real blocks
fio --name=layout --filename="$f" --rw=write --bs=1m --size="$size" --direct=1 --ioengine=psync \
	--output-format=json >/dev/null 2>&1 || { echo "b-disk-vs-fio: cannot lay out $f" >&2; exit 1; }

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

echo "| case | round | fio MiB/s | disk MiB/s | fio IOPS | disk IOPS | fio p50/p99 us | disk p50/p99 us | ratio disk/fio |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for case in seqwrite randread; do
	: >"$work/ratios"
	for r in $(seq "$rounds"); do
		if [ "$case" = seqwrite ]; then
			fa=(write 1m --time_based --runtime="$secs"); da=(write 1m --duration "$secs")
		else
			fa=(randread 4k --time_based --runtime="$secs" --norandommap --randrepeat=0)
			da=(randread 4k --duration "$secs")
		fi
		if [ $((r % 2)) -eq 1 ]; then
			F=$(run_fio "${fa[@]}") && D=$(run_disk "${da[@]}") || exit 1
		else
			D=$(run_disk "${da[@]}") && F=$(run_fio "${fa[@]}") || exit 1
		fi
		read -r fb fi fp50 fp99 <<<"$F"
		read -r db di dp50 dp99 <<<"$D"
		ratio=$(awk -v d="$db" -v f="$fb" 'BEGIN {printf "%.3f", d / f}')
		echo "$ratio" >>"$work/ratios"
		printf '| %s | %d | %.1f | %.1f | %.0f | %.0f | %.0f / %.0f | %.0f / %.0f | %s |\n' \
			"$case" "$r" "$fb" "$db" "$fi" "$di" "$fp50" "$fp99" "$dp50" "$dp99" "$ratio"
	done
	echo "| $case | median | | | | | | | $(median <"$work/ratios") |"
done
