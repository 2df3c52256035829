#!/bin/bash
# Admission control: the Banker's algorithm admits, queues or refuses starts.
# Capacity memory=1000M; A and B claim 600M and hold 300M each (safe:
# A can finish with the 400M left, then B); C claims 500M holding 200M,
# which would leave 200M, less than anyone's remaining need: unsafe.
. "$(dirname "$0")/lib.sh"
plan 7
sv_start --capacity memory=1000M,cpu=4,pids=1000 || exit 1
c() { "$R" start "$1" "$T/rootfs" --claim "memory=$2" --hold "memory=$3" --stop-grace 1 "${@:4}" -- sleep 60; }

ok "A is admitted" c A 600M 300M
ok "B is admitted (a safe sequence exists)" c B 600M 300M
check "ps shows the safe sequence" $("$R" ps | grep -q '^safe sequence: A B$'; echo $?)
c C 500M 200M --admit refuse 2>"$T/err"
check "C is refused with the reason" $(grep -q "admission refused for 'C': no safe sequence" "$T/err"; echo $?)
c D 500M 200M --admit queue >/dev/null
check "D is queued instead when asked" $("$R" ps | grep -Eq '^D +queued'; echo $?)
"$R" start E "$T/rootfs" --claim memory=2G -- true 2>"$T/err"
check "a claim above the capacity is refused outright" $(grep -q "exceeds the capacity" "$T/err"; echo $?)
"$R" stop A -t 0 >/dev/null
for _ in $(seq 50); do "$R" ps | grep -Eq '^D +running' && break; sleep 0.1; done
check "D starts once A has ended" $("$R" ps | grep -Eq '^D +running'; echo $?)
done_testing
