#!/bin/bash
# api: client and server request counts agree; errors are counted by kind;
# malformed HTTP gets a 400; unreachable servers and bad options fail clearly.
. "$(dirname "$0")/lib.sh"
need_bin api
need jq "jq not installed (workloads/packages.txt)"

ok "--help prints usage and exits 0" sh -c "'$bin' --help | grep -q -- '--concurrency'"

# 1. counts agree: fixed count, then a timed POST run, then SIGTERM
start_server a 60
check "server listening" $?
"$bin" client --url "http://127.0.0.1:$port/api/order" --requests 2000 --concurrency 4 >"$scratch/a1.json"
check "GET x2000, 4 connections: exit 0" $?
ok "GET: exactly 2000 requests, all ok, one rtt each" jqt '.totals.requests == 2000 and .totals.ok == 2000 and .totals.errors == 0 and .totals.rtt_us.count == 2000' "$scratch/a1.json"
"$bin" client --url "http://127.0.0.1:$port/api/order" --method POST --body-size 300 \
	--duration 0.5 --concurrency 2 --interval-ms 100 >"$scratch/a2.json"
check "POST for 0.5 s: exit 0" $?
ok "POST: requests made, no errors, samples add up" jqt '.totals.ok > 0 and .totals.errors == 0 and ([.samples[].ok] | add) == .totals.ok' "$scratch/a2.json"
"$bin" client --url "http://127.0.0.1:$port/nope" --requests 10 >"$scratch/a3.json" 2>/dev/null
check "only 404s: exit 1 (no request succeeded)" $(( $? != 1 ))
ok "only 404s: counted as http_status errors" jqt '.totals.errors_by_kind.http_status == 10 and .totals.status_4xx == 10 and (.error | test("no request succeeded"))' "$scratch/a3.json"
# a malformed request, by hand
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'garbage\r\n\r\n' >&3
read -r -t 5 line <&3
exec 3<&-
ok "malformed request: 400" test "${line%%$'\r'}" = "HTTP/1.1 400 Bad Request"
if command -v curl >/dev/null; then
	ok "curl GET /health: 200 and JSON" sh -c "curl -sf 'http://127.0.0.1:$port/health' | jq -e '.status == \"ok\"' >/dev/null"
	head -c 3000 /dev/zero | tr '\0' a >"$scratch/body"
	ok "curl POST of 3000 bytes (Expect: 100-continue) echoed" sh -c "curl -sf --max-time 5 --data-binary @'$scratch/body' 'http://127.0.0.1:$port/api/echo' | jq -e '.received_bytes == 3000' >/dev/null"
	curl_n=2
else
	skip "curl not installed"
	skip "curl not installed"
	curl_n=0
fi
kill -TERM "$srv_pid"
wait_bounded "$srv_pid" 10
check "server SIGTERM: exit 0" $?
total=$(jq -s '.[0].totals.requests + .[1].totals.requests + .[2].totals.requests' "$scratch/a1.json" "$scratch/a2.json" "$scratch/a3.json")
diag "clients: $total requests (+$curl_n curl), server: $(jq .totals.requests "$scratch/a.srv.json")"
ok "server answered every request (clients, curl, the malformed one)" jqt ".totals.requests == $total + $curl_n + 1 and .totals.status_4xx == 11 and .totals.bad_requests == 1" "$scratch/a.srv.json"
ok "server: stopped_early, no error" jqt '.stopped_early and .error == null' "$scratch/a.srv.json"

# 2. --stop-server ends the server from the client side
start_server b 60
"$bin" client --url "http://127.0.0.1:$port" --requests 100 --concurrency 3 --stop-server >"$scratch/b.json"
check "client --stop-server: exit 0" $?
wait_bounded "$srv_pid" 10
check "server stops on POST /stop: exit 0" $?
ok "stop: counts agree (the stop request not counted)" sh -c "[ \"\$(jq .totals.ok '$scratch/b.json')\" = 100 ] && jq -e '.totals.requests == 100 and .totals.stopped_by_request' '$scratch/b.srv.json' >/dev/null"

# 3. SIGTERM to a timed client
start_server c 60
"$bin" client --url "http://127.0.0.1:$port/api/order" --duration 60 >"$scratch/c.json" &
cp=$!
pids="$pids $cp"
sleep 0.3
kill -TERM $cp
wait_bounded $cp 10
check "client SIGTERM: exit 0" $?
kill -TERM "$srv_pid"
wait_bounded "$srv_pid" 10
ok "client SIGTERM: stopped_early, server counted the same" sh -c "jq -e '.stopped_early and .totals.ok > 0' '$scratch/c.json' >/dev/null && [ \"\$(jq .totals.requests '$scratch/c.json')\" = \"\$(jq .totals.requests '$scratch/c.srv.json')\" ]"

# 4. unreachable server and bad options
"$bin" client --url "http://127.0.0.1:1/api/order" --requests 5 >"$scratch/refused.json" 2>/dev/null
check "refused: exit 1" $(( $? != 1 ))
ok "refused: error names the address" jqt '.error | test("cannot connect to .127.0.0.1:1.: connection refused")' "$scratch/refused.json"
ok "no role" bad --url http://127.0.0.1:1/
ok "client without --url" bad client --requests 1
ok "--url ftp://" bad client --url ftp://127.0.0.1/
ok "--url with a bad port" bad client --url http://127.0.0.1:0/
ok "--concurrency 0" bad client --url http://127.0.0.1:1/ --concurrency 0
ok "--requests 0" bad client --url http://127.0.0.1:1/ --requests 0
ok "--method PUT" bad client --url http://127.0.0.1:1/ --method PUT
ok "server without --port" bad server
ok "client option to the server" bad server --port 0 --concurrency 2

done_testing
