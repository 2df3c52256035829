#!/bin/bash
# Lifecycle: run/start/stop/ps/logs/inspect/wait/rm, states and exit codes,
# tarball root filesystems, no zombies, state kept across a restart.
. "$(dirname "$0")/lib.sh"
plan 20
sv_start || exit 1

out=$("$R" run hello "$T/rootfs" -- sh -c 'echo out; echo err >&2; exit 7')
check "run returns the container's exit code" $([ $? -eq 7 ]; echo $?)
check "run prints stdout and stderr from the log" $([ "$(echo $out)" = "out err" ]; echo $?)

"$R" start sleeper "$T/rootfs" -- sleep 30 >/dev/null
ok "ps shows a started container as running" sh -c "'$R' ps | grep -Eq '^sleeper +running'"
ok "inspect is JSON with the pid" sh -c "'$R' inspect sleeper | grep -q '\"pid\"'"
"$R" start sleeper "$T/rootfs" -- true 2>"$T/err"
check "a duplicate name is refused" $(grep -q "already exists" "$T/err"; echo $?)
out=$("$R" stop sleeper -t 1)
check "stop ends it (SIGTERM ignored by pid 1, SIGKILL after grace)" $(echo "$out" | grep -q "killed exit 137"; echo $?)

"$R" start trapper "$T/rootfs" -- sh -c 'trap "echo got-term; exit 0" TERM; while :; do sleep 0.1; done' >/dev/null
sleep 0.3
out=$("$R" stop trapper -t 10)
check "stop with a handler: SIGTERM, clean exit" $(echo "$out" | grep -q "exited exit 0"; echo $?)
ok "the handler's output reached the log" sh -c "'$R' logs trapper | grep -qx got-term"

"$R" stop nosuch 2>"$T/err"
check "stop of an unknown container fails clearly" $(grep -q "no such container 'nosuch'" "$T/err"; echo $?)
"$R" run missing /nonexistent/rootfs -- true 2>"$T/err"
check "a missing rootfs is refused" $(grep -q "cannot use root filesystem '/nonexistent/rootfs'" "$T/err"; echo $?)
"$R" run noexec "$T/rootfs" -- /no/such/program 2>"$T/err"
check "a command that cannot be executed is reported" $(grep -q "cannot execute '/no/such/program'" "$T/err"; echo $?)

out=$("$R" run fromtar "$tarball" -- cat /etc/passwd)
check "a tarball root filesystem is unpacked and used" $(echo "$out" | grep -q '^root:'; echo $?)

"$R" start follow "$T/rootfs" -- sh -c 'for i in 1 2 3; do echo line$i; sleep 0.2; done' >/dev/null
out=$(timeout 20 "$R" logs follow -f)
check "logs -f follows until the container ends" $([ "$(echo "$out" | tr '\n' ' ')" = "line1 line2 line3 " ]; echo $?)

"$R" start kids "$T/rootfs" -- sh -c 'sleep 0.2 & sleep 0.2 & wait' >/dev/null
"$R" wait kids >/dev/null
zombies=$(ps -eo stat=,ppid= | awk -v p="$SV_PID" '$1 ~ /^Z/ && $2 == p' | wc -l)
check "no zombie children of the supervisor" $([ "$zombies" -eq 0 ]; echo $?)

"$R" rm kids
check "rm forgets an ended container" $("$R" inspect kids >/dev/null 2>&1; [ $? -ne 0 ]; echo $?)
"$R" start long "$T/rootfs" --stop-grace 1 -- sleep 30 >/dev/null
long_pid=$("$R" inspect long | sed -n 's/^[[:space:]]*"pid":[[:space:]]*\([0-9]*\).*/\1/p' | head -n 1)
"$R" rm long 2>"$T/err"
check "rm of a running container is refused" $(grep -q "stop it first" "$T/err"; echo $?)

sv_stop
check "shutdown stopped every container" $([ -n "$long_pid" ] && ! kill -0 "$long_pid" 2>/dev/null; echo $?)
ok "state is on disk" test -f "$T/state/containers/hello/state.json"
sv_start
out=$("$R" ps)
check "a restarted supervisor still knows its containers" $(echo "$out" | grep -Eq '^hello +exited .* 7 '; echo $?)
check "and their final states" $(echo "$out" | grep -Eq '^long +killed'; echo $?)
done_testing
