#!/bin/bash
# net: client and server byte counts agree (loopback, and a veth pair between
# two network namespaces made here); unreachable servers fail fast; bad options.
. "$(dirname "$0")/lib.sh"
need_bin net
need jq "jq not installed (workloads/packages.txt)"

ns_a=wlnet-$$-a
ns_b=wlnet-$$-b
extra_cleanup() {
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
}

# session NAME HOST CLIENT-ARGS... [-- ip netns exec NS for client] : one run
session() {
	local name=$1 host=$2; shift 2
	local cargs=() pre=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cargs+=("$1"); shift; done
	[ "$1" = -- ] && { shift; pre=("$@"); }
	"${pre[@]}" "$bin" client --host "$host" --port "$port" "${cargs[@]}" >"$scratch/$name.cli.json" 2>"$scratch/$name.cli.err"
	cli_st=$?
	wait_bounded "$srv_pid" 15
	srv_st=$?
}

agree_stream() {
	local c=$scratch/$1.cli.json s=$scratch/$1.srv.json cs ss
	cs=$(jq -r '"\(.totals.sent_bytes) \(.totals.server_received_bytes)"' "$c")
	ss=$(jq -r '.totals.received_bytes' "$s")
	diag "$1: client sent $(echo "$cs" | cut -d' ' -f1), server received $ss"
	[ "$cs" = "$ss $ss" ] && [ "$ss" -gt 0 ]
}

agree_rr() {
	local c=$scratch/$1.cli.json s=$scratch/$1.srv.json
	[ "$(jq -r '[.totals.sent_bytes, .totals.received_bytes, .totals.transactions] | map(tostring) | join(" ")' "$c")" = \
	  "$(jq -r '[.totals.received_bytes, .totals.sent_bytes, .totals.transactions] | map(tostring) | join(" ")' "$s")" ] &&
	jq -e '.totals.transactions > 0 and .totals.rtt_us.count == .totals.transactions' "$c" >/dev/null
}

ok "--help prints usage and exits 0" sh -c "'$bin' --help | grep -q -- '--connections'"

# loopback stream, 3 connections
start_server lo-stream 30
check "loopback: server listening" $?
session lo-stream 127.0.0.1 --mode stream --connections 3 --duration 1 --interval-ms 200
check "loopback stream: client exit 0" $cli_st
check "loopback stream: server exit 0 after the client is done" $srv_st
ok "loopback stream: client, server and the server's report agree" agree_stream lo-stream
ok "loopback stream: 3 connections on both sides" jqt '.totals.connections == 3 and (.totals.per_connection | length) == 3' "$scratch/lo-stream.srv.json"
ok "loopback stream: per-connection counts agree" sh -c "[ \"\$(jq -c '[.totals.per_connection[].sent_bytes]' '$scratch/lo-stream.cli.json')\" = \"\$(jq -c '[.totals.per_connection[].received_bytes]' '$scratch/lo-stream.srv.json')\" ]"
ok "loopback stream: samples add up" jqt '([.samples[].sent_bytes] | add) == .totals.sent_bytes' "$scratch/lo-stream.cli.json"

# loopback request/response, 2 connections, 100-byte messages
start_server lo-rr 30
session lo-rr 127.0.0.1 --mode rr --connections 2 --size 100 --duration 1
check "loopback rr: client and server exit 0" $((cli_st + srv_st))
ok "loopback rr: bytes and transactions agree both ways" agree_rr lo-rr
ok "loopback rr: rtt percentiles ordered" jqt '.totals.rtt_us | .min <= .p50 and .p50 <= .p99 and .p99 <= .max' "$scratch/lo-rr.cli.json"

# SIGTERM to the client mid-run: results so far, counts still agree
start_server lo-term 30
"$bin" client --host 127.0.0.1 --port "$port" --duration 60 >"$scratch/lo-term.cli.json" 2>/dev/null &
cpid=$!
pids="$pids $cpid"
sleep 0.5
kill -TERM "$cpid"
wait_bounded "$cpid" 15
check "client SIGTERM: exit 0" $?
wait_bounded "$srv_pid" 15
check "client SIGTERM: server ends too, exit 0" $?
ok "client SIGTERM: stopped_early, counts agree" sh -c "jq -e .stopped_early '$scratch/lo-term.cli.json' >/dev/null && [ \"\$(jq .totals.sent_bytes '$scratch/lo-term.cli.json')\" = \"\$(jq .totals.received_bytes '$scratch/lo-term.srv.json')\" ]"

# SIGTERM to the server mid-session: it reports without error; the client
# (asked for 60 s) notices the closed connections and ends with an error
start_server srv-term 30
"$bin" client --host 127.0.0.1 --port "$port" --mode rr --connections 4 --duration 60 \
	>"$scratch/srv-term.cli.json" 2>/dev/null &
cpid=$!
pids="$pids $cpid"
sleep 0.5
kill -TERM "$srv_pid"
wait_bounded "$srv_pid" 15
check "server SIGTERM mid-session: server exit 0" $?
wait_bounded "$cpid" 15
check "server SIGTERM mid-session: client ends by itself, exit 1" $(( $? != 1 ))
ok "server SIGTERM mid-session: stopped_early server, client error says the peer closed" \
	sh -c "jq -e '.stopped_early and .error == null' '$scratch/srv-term.srv.json' >/dev/null &&
	       jq -e '.error | test(\"closed the connection|reset by peer|broken pipe\")' '$scratch/srv-term.cli.json' >/dev/null"

# unreachable, timeouts, bad options
"$bin" client --host 127.0.0.1 --port 1 --duration 1 >"$scratch/refused.json" 2>/dev/null
check "refused: exit 1" $(( $? != 1 ))
ok "refused: error names the address" jqt '.error | test("cannot connect to .127.0.0.1:1.: connection refused")' "$scratch/refused.json"
"$bin" server --port 0 --timeout 0.3 >"$scratch/lonely.json" 2>/dev/null &
lp=$!
wait_bounded $lp 10
check "server without a client: exit 1 after --timeout" $(( $? != 1 ))
ok "server without a client: error says so" jqt '.error | test("no client connected")' "$scratch/lonely.json"

ok "no role" bad --port 1
ok "client without --host" bad client --port 1
ok "--connections 0" bad client --host 127.0.0.1 --port 1 --connections 0
ok "--mode bulk" bad client --host 127.0.0.1 --port 1 --mode bulk
ok "--port 70000" bad server --port 70000
ok "--duration abc" bad client --host 127.0.0.1 --port 1 --duration abc
ok "client option to the server" bad server --port 0 --host 1.2.3.4

# two network namespaces joined by a veth pair
if [ "$(id -u)" -ne 0 ] || ! ip netns add "$ns_a" 2>/dev/null; then
	skip "network namespaces need root and ip netns"
	skip "network namespaces need root and ip netns"
	skip "network namespaces need root and ip netns"
	skip "network namespaces need root and ip netns"
else
	net=10.$((200 + $$ % 50)).$(( ($$ / 50) % 250 ))
	ip netns add "$ns_b" &&
	ip link add "wl$$a" netns "$ns_a" type veth peer name "wl$$b" netns "$ns_b" &&
	ip -n "$ns_a" addr add "$net.1/24" dev "wl$$a" &&
	ip -n "$ns_b" addr add "$net.2/24" dev "wl$$b" &&
	ip -n "$ns_a" link set lo up && ip -n "$ns_b" link set lo up &&
	ip -n "$ns_a" link set "wl$$a" up && ip -n "$ns_b" link set "wl$$b" up
	check "netns: veth pair $net.1 <-> $net.2 set up" $?
	start_server ns-stream 30 ip netns exec "$ns_b"
	session ns-stream "$net.2" --connections 2 --duration 1 -- ip netns exec "$ns_a"
	check "netns stream: client and server exit 0" $((cli_st + srv_st))
	ok "netns stream: byte counts agree" agree_stream ns-stream
	# nobody answers ARP for .3: the connect timeout must end it
	ip netns exec "$ns_a" "$bin" client --host "$net.3" --port 9 --connect-timeout 0.5 \
		>"$scratch/ns-timeout.json" 2>/dev/null &
	tp=$!
	wait_bounded $tp 10
	st=$?
	ok "netns: silent address fails with exit 1 and a connect error" \
		sh -c "[ $st -eq 1 ] && jq -e '.error | test(\"cannot connect to .$net.3:9.\")' '$scratch/ns-timeout.json' >/dev/null"
fi

done_testing
