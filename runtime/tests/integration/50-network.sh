#!/bin/bash
# Private network: two containers on a bridge inside the supervisor's own
# network namespace (unshare -n), calling each other by name and address.
. "$(dirname "$0")/lib.sh"
plan 6
sv_start --subnet 10.77.0.0/24 || exit 1
"$R" start server "$T/rootfs" --net --ip 10.77.0.10 -- sh -c 'echo pong | nc -l -p 7000' >/dev/null
out=$("$R" run client1 "$T/rootfs" --net -- sh -c 'ip -4 addr show eth0; cat /etc/hosts')
check "a container gets an address from the subnet" $(echo "$out" | grep -q 'inet 10.77.0.2/24'; echo $?)
check "its /etc/hosts names the other containers" $(echo "$out" | grep -q '10.77.0.10[[:space:]]*server'; echo $?)
out=$("$R" run client2 "$T/rootfs" --net -- sh -c 'ping -c 1 -W 2 server >/dev/null && echo reachable')
check "a container reaches another by name" $([ "$out" = reachable ]; echo $?)
out=$("$R" run client3 "$T/rootfs" --net -- sh -c 'nc 10.77.0.10 7000 </dev/null')
check "and talks to it over TCP" $([ "$out" = pong ]; echo $?)
sv_stop

# The bridge a supervisor made goes when it stops (a named namespace, so that
# the bridge could outlive the supervisor: the api-call experiment's bridge
# once stayed in the guest after its run).
ns=hrt-t50-$$
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" "$R" supervisor --state-dir "$T/state2" --cgroup-root "$T/no-cgroup/harness2" \
	--subnet 10.78.0.0/24 >>"$T/supervisor2.log" 2>&1 &
sv2=$!
for _ in $(seq 100); do [ -S "$T/state2/sock" ] && break; sleep 0.05; done
HARNESS_RUNTIME_SOCKET=$T/state2/sock "$R" run c4 "$T/rootfs" --net -- true >/dev/null
check "a container on the private network: the supervisor made its bridge" \
	$(ip netns exec "$ns" ip link show hrt-br0 >/dev/null 2>&1; echo $?)
HARNESS_RUNTIME_SOCKET=$T/state2/sock "$R" shutdown >/dev/null 2>&1
for _ in $(seq 200); do kill -0 $sv2 2>/dev/null || break; sleep 0.05; done
kill -9 $sv2 2>/dev/null; wait $sv2 2>/dev/null
check "the supervisor stopped and removed the bridge it made" \
	$(! ip netns exec "$ns" ip link show hrt-br0 >/dev/null 2>&1; echo $?)
ip netns del "$ns"
done_testing
