#!/bin/bash
# No client holds the supervisor (issue 24, item 5): a logs client that
# does not read its reply, 300 connections that stall mid-header, every
# slot held by waiters. Each check is an order of protocol events (ps
# answered while the stalled clients are still connected and have not
# read), never a time.
. "$(dirname "$0")/lib.sh"
plan 9
sv_start || exit 1
S=$(dirname "$0")/stall.py

# A log larger than one reply: random bytes, 1 MiB.
head -c 1048576 /dev/urandom >"$T/rootfs/opt/rand"
"$R" run big "$T/rootfs" -- cat /opt/rand >/dev/null

coproc LOGS { python3 "$S" logs "$HARNESS_RUNTIME_SOCKET" big 3; }
stalled=0 queued=
for _ in 1 2 3; do
	read -r -u "${LOGS[0]}" word _ q && [ "$word" = STALLED ] && stalled=$((stalled + 1)) queued="$queued $q"
done
"$R" ps >"$T/ps" 2>&1
ps_rc=$?
diag "bytes queued to each stalled client when ps ran:$queued (a reply is 262144 + its header)"
check "ps is answered while 3 logs clients have not read their replies" \
	$([ "$stalled" = 3 ] && [ $ps_rc = 0 ] && grep -q '^big ' "$T/ps"; echo $?)
echo go >&"${LOGS[1]}"
complete=0
for _ in 1 2 3; do
	read -r -u "${LOGS[0]}" word _ st detail && [ "$word $st" = "COMPLETE ok" ] && complete=$((complete + 1))
	diag "stalled client: $word $st $detail"
done
wait "$LOGS_PID" 2>/dev/null
check "then each of them reads its whole reply: kept, not cut off by ps" $([ "$complete" = 3 ]; echo $?)

coproc IDLE { python3 "$S" idle "$HARNESS_RUNTIME_SOCKET" 300; }
read -r -u "${IDLE[0]}" word n
"$R" ps >/dev/null 2>"$T/err"
ps_rc=$?
echo go >&"${IDLE[1]}"
read -r -u "${IDLE[0]}" state
wait "$IDLE_PID" 2>/dev/null
diag "300 stalled connections after ps: $state"
check "ps is answered while 300 connections stall mid-header ($(cat "$T/err"))" \
	$([ "$word $n" = "OPEN 300" ] && [ $ps_rc = 0 ]; echo $?)
check "every stalled connection still held or told why it was dropped" \
	$(echo "$state" | grep -q ' closed 0$'; echo $?)

# Every slot held by a waiter: a new client is refused with a message,
# and a large request gets that message, not a SIGPIPE.
names=
for i in $(seq 16); do
	"$R" start "w$i" "$T/rootfs" --stop-grace 0 -- sleep 120 >/dev/null && names="$names w$i"
done
coproc WAIT { python3 "$S" wait "$HARNESS_RUNTIME_SOCKET" 256 $names; }
read -r -u "${WAIT[0]}" word n
full=1
for _ in $(seq 200); do
	"$R" ps >/dev/null 2>"$T/err" || { full=0; break; }
	sleep 0.05
done
check "with 256 waiters held, a new client is refused: $(cat "$T/err")" \
	$([ $full = 0 ] && grep -q 'too many clients waiting' "$T/err"; echo $?)
big=$(head -c 3000 /dev/zero | tr '\0' x)
envs=()
for i in $(seq 60); do envs+=(--env "K$i=$big"); done
"$R" start huge "$T/rootfs" "${envs[@]}" -- true 2>"$T/err"
rc=$?
check "a 180 KB request then exits $rc (not 141, SIGPIPE) with the supervisor's reason" \
	$([ $rc = 1 ] && grep -q 'too many clients waiting' "$T/err"; echo $?)
echo go >&"${WAIT[1]}"
wait "$WAIT_PID" 2>/dev/null
ok=1
for _ in $(seq 200); do "$R" ps >/dev/null 2>&1 && { ok=0; break; }; sleep 0.05; done
check "waiters that leave free their slots" $([ $ok = 0 ]; echo $?)
check "a reader that closes early does not kill the CLI by SIGPIPE" \
	$("$R" logs big 2>/dev/null | head -c 10 >/dev/null; rc=${PIPESTATUS[0]}; [ "$rc" != 141 ]; echo $?)
"$R" logs big 2>"$T/err" | head -c 10 >/dev/null
check "and it says why: $(cat "$T/err")" $(grep -q 'cannot write the log of .big. to standard output: Broken pipe' "$T/err"; echo $?)
for i in $(seq 16); do "$R" stop "w$i" -t 0 >/dev/null 2>&1; done
done_testing
