#!/bin/bash
# Private network: two containers on a bridge inside the supervisor's own
# network namespace (unshare -n), calling each other by name and address.
. "$(dirname "$0")/lib.sh"
plan 4
sv_start --subnet 10.77.0.0/24 || exit 1
"$R" start server "$T/rootfs" --net --ip 10.77.0.10 -- sh -c 'echo pong | nc -l -p 7000' >/dev/null
out=$("$R" run client1 "$T/rootfs" --net -- sh -c 'ip -4 addr show eth0; cat /etc/hosts')
check "a container gets an address from the subnet" $(echo "$out" | grep -q 'inet 10.77.0.2/24'; echo $?)
check "its /etc/hosts names the other containers" $(echo "$out" | grep -q '10.77.0.10[[:space:]]*server'; echo $?)
out=$("$R" run client2 "$T/rootfs" --net -- sh -c 'ping -c 1 -W 2 server >/dev/null && echo reachable')
check "a container reaches another by name" $([ "$out" = reachable ]; echo $?)
out=$("$R" run client3 "$T/rootfs" --net -- sh -c 'nc 10.77.0.10 7000 </dev/null')
check "and talks to it over TCP" $([ "$out" = pong ]; echo $?)
done_testing
