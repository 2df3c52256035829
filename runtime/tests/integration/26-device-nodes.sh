#!/bin/bash
# Device nodes shipped in a root filesystem or a bundle's mount are
# unusable (issue 24): on the host the cgroup root is not cgroup2, so no
# device filter is attached and nodev alone must stop a char node (c 1 11,
# the host's /dev/kmsg; c 10 229, /dev/fuse) and a block node. The filter
# itself is checked in the guest (75-escape-guest.sh). Each check fails on
# a runtime that bind-mounts the root without nodev.
. "$(dirname "$0")/lib.sh"
plan 11
sv_start || exit 1

check "the supervisor warns that it has no device controller" \
	$(grep -q 'warning: no device controller: no usable cgroup v2 hierarchy' "$T/supervisor.log"; echo $?)

# A block device the host has, to place its node in the root.
blk=$(cd /sys/dev/block && ls | head -n 1)
d=$T/devroot
cp -a "$T/rootfs" "$d"
mkdir -p "$d/opt"
mknod "$d/opt/kmsg" c 1 11
mknod "$d/opt/fuse" c 10 229
mknod "$d/opt/blk" b "${blk%%:*}" "${blk##*:}"
# The nodes do work where the file system allows them (the host's side),
# so a refusal inside can only come from the container's mounts.
host_ok=$( { : <>"$d/opt/fuse" && : <"$d/opt/blk"; } 2>/dev/null && echo yes)
diag "block node b $blk; the nodes open on the host: ${host_ok:-no}"

# denied CMD [OPTIONS]: runs CMD (one redirection) in a container; prints
# DENIED when the shell could not open the node for lack of permission.
denied() {
	"$R" run "d$RANDOM$RANDOM" "$d" "${@:2}" -- sh -c "($1) && echo OPENED; echo RAN" 2>&1 |
		awk '/Permission denied/ { d = 1 } /OPENED/ { o = 1 } /RAN/ { r = 1 }
		     END { print (r && d && !o) ? "DENIED" : "NOT-DENIED" }'
}
check "c 1 11 (the host's kmsg) in the root cannot be written" \
	$([ "$(denied 'echo hrt-26-device-nodes >/opt/kmsg')" = DENIED ]; echo $?)
check "c 10 229 (/dev/fuse) in the root cannot be opened read-write" \
	$([ "$(denied ': <>/opt/fuse')" = DENIED ]; echo $?)
check "b $blk (a host block device) in the root cannot be opened" \
	$([ "$(denied ': </opt/blk')" = DENIED ]; echo $?)
check "nor with --read-only (a remount keeps nodev)" \
	$([ "$(denied ': <>/opt/fuse' --read-only)" = DENIED ]; echo $?)
check "nor with --userns" $([ "$(denied ': </opt/blk' --userns)" = DENIED ]; echo $?)
out=$("$R" run mnt1 "$d" -- sh -c 'grep " / " /proc/mounts' 2>&1)
check "the root is mounted nodev ($(echo $out | cut -d' ' -f4))" $(echo "$out" | grep -q 'nodev'; echo $?)
out=$("$R" run std1 "$d" -- sh -c 'echo x >/dev/null && head -c 4 /dev/zero | wc -c' 2>&1)
check "the standard nodes of /dev still work" $([ "$out" = 4 ]; echo $?)

"$R" start idle "$d" --stop-grace 1 -- sleep 30 >/dev/null
out=$("$R" inspect idle)
diag "$(echo "$out" | grep -A4 '"devices"')"
check "inspect says there is no device filter, and why" \
	$(echo "$out" | tr -d ' \t\n' | grep -q '"devices":{"nodev":true,"filter":false,"no_filter_because":"nousablecgroupv2'; echo $?)
"$R" stop idle -t 0 >/dev/null

# A bundle's bind mount, even with the "dev" option, is nodev too.
if command -v crun >/dev/null; then
	b=$T/bundle
	mkdir -p "$b" "$T/hostdev"
	mknod "$T/hostdev/fuse" c 10 229
	mknod "$T/hostdev/blk" b "${blk%%:*}" "${blk##*:}"
	cp -a "$T/rootfs" "$b/rootfs"
	(cd "$b" && crun spec)
	python3 - "$b/config.json" "$T/hostdev" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["terminal"] = False
c["root"]["readonly"] = False
c["process"]["args"] = ["sh", "-c", "(: <>/mnt/fuse) && echo OPENED; (: </mnt/blk) && echo OPENED; echo RAN"]
c["mounts"].append({"destination": "/mnt", "type": "bind", "source": sys.argv[2], "options": ["rbind", "dev", "rw"]})
json.dump(c, open(p, "w"), indent=1)
PY
	out=$("$R" run bnd1 --bundle "$b" 2>&1)
	check "a bundle's bind mount with 'dev': its nodes cannot be opened" \
		$(echo "$out" | grep -q RAN && ! echo "$out" | grep -q OPENED &&
		  [ "$(echo "$out" | grep -c 'Permission denied')" = 2 ]; echo $?)
	python3 - "$b/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["args"] = ["sh", "-c", "grep ' /mnt ' /proc/mounts"]
json.dump(c, open(p, "w"), indent=1)
PY
	out=$("$R" run bnd2 --bundle "$b" 2>&1)
	check "and it is mounted nodev ($(echo $out | cut -d' ' -f4))" $(echo "$out" | grep -q nodev; echo $?)
else
	skip "crun spec is needed to write the bundle"
	skip "crun spec is needed to write the bundle"
fi
done_testing
