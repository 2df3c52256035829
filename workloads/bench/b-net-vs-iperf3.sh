#!/bin/bash
# net against iperf3 over loopback, side by side in one run: one TCP
# connection, 128 KiB writes (iperf3's default), BENCH_SECONDS each, ROUNDS
# rounds alternating which tool goes first. Ratio: net's sent bits/s over
# iperf3's sender bits/s per round; the median round is reported.
# Environment: WL_BIN, BENCH_SECONDS (default 10), ROUNDS (default 5).
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${WL_BIN:-$here/../../build/bin}/net
secs=${BENCH_SECONDS:-10}
rounds=${ROUNDS:-5}
for t in iperf3 jq; do
	command -v $t >/dev/null || { echo "b-net-vs-iperf3: $t is not installed (workloads/packages.txt)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "b-net-vs-iperf3: $bin is not built" >&2; exit 1; }
work=$(mktemp -d)
pids=
trap 'for p in $pids; do { kill -KILL $p && wait $p; } 2>/dev/null; done; rm -rf "$work"' EXIT

wait_port_file() {
	for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done
	return 1
}

run_iperf3() {  # prints sender Gbit/s
	local port=$((20000 + RANDOM % 20000))
	iperf3 -s -1 -p "$port" -B 127.0.0.1 >/dev/null 2>&1 &
	local sp=$!
	pids="$pids $sp"
	sleep 0.3
	iperf3 -c 127.0.0.1 -p "$port" -t "$secs" -l 128K -J >"$work/iperf3.json" 2>&1 ||
		{ echo "b-net-vs-iperf3: iperf3 client failed" >&2; cat "$work/iperf3.json" >&2; return 1; }
	wait "$sp" 2>/dev/null
	jq -r '.end.sum_sent.bits_per_second / 1e9' "$work/iperf3.json"
}

run_net() {  # prints sent Gbit/s; checks that both sides agree
	rm -f "$work/port"
	"$bin" server --port 0 --bind 127.0.0.1 --timeout $((secs + 30)) --ready-file "$work/port" \
		>"$work/srv.json" 2>/dev/null &
	local sp=$!
	pids="$pids $sp"
	wait_port_file "$work/port" || { echo "b-net-vs-iperf3: net server did not start" >&2; return 1; }
	"$bin" client --host 127.0.0.1 --port "$(cat "$work/port")" --duration "$secs" --size 128k \
		>"$work/cli.json" || { jq -r .error "$work/cli.json" >&2; return 1; }
	wait "$sp"
	[ "$(jq .totals.sent_bytes "$work/cli.json")" = "$(jq .totals.received_bytes "$work/srv.json")" ] ||
		{ echo "b-net-vs-iperf3: client and server byte counts differ" >&2; return 1; }
	jq -r '.totals.sent_bits_per_s / 1e9' "$work/cli.json"
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

echo "| round | iperf3 Gbit/s | net Gbit/s | ratio net/iperf3 |"
echo "| --- | --- | --- | --- |"
: >"$work/ratios"
for r in $(seq "$rounds"); do
	if [ $((r % 2)) -eq 1 ]; then
		I=$(run_iperf3) && N=$(run_net) || exit 1
	else
		N=$(run_net) && I=$(run_iperf3) || exit 1
	fi
	ratio=$(awk -v n="$N" -v i="$I" 'BEGIN {printf "%.3f", n / i}')
	echo "$ratio" >>"$work/ratios"
	printf '| %d | %.2f | %.2f | %s |\n' "$r" "$I" "$N" "$ratio"
done
echo "| median | | | $(median <"$work/ratios") |"
