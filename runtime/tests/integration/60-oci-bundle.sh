#!/bin/bash
# OCI bundles: the bundle crun runs is run the same way here.
. "$(dirname "$0")/lib.sh"
plan 4
command -v crun >/dev/null || { skip_all "crun is not installed"; }
sv_start || exit 1
b=$T/bundle
mkdir -p "$b"
mv "$T/rootfs" "$b/rootfs"
(cd "$b" && crun spec)
# A plain command instead of the interactive shell; no terminal.
python3 - "$b/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "echo hello from $(hostname); exit 4"]
c["hostname"] = "ocibox"
json.dump(c, open(p, "w"), indent=1)
PY
out=$("$R" run oci1 --bundle "$b")
check "the bundle runs, exit code kept" $([ $? -eq 4 ]; echo $?)
check "with its hostname and command" $([ "$out" = "hello from ocibox" ]; echo $?)
out=$(cd "$b" && timeout 30 crun run "hrt-oci-$$" 2>&1)
rc=$?
if echo "$out" | grep -q "cgroups in hybrid mode not supported"; then
	skip "crun cannot run on this host's hybrid cgroup layout (compared in the guest benchmark)"
else
	check "crun runs the very same bundle alike" $([ $rc -eq 4 ] && [ "$out" = "hello from ocibox" ]; echo $?)
fi
crun delete -f "hrt-oci-$$" >/dev/null 2>&1
check "the readonly root of crun's default spec is honoured" \
	$("$R" run oci2 --bundle "$b" >/dev/null; python3 -c "import json;c=json.load(open('$b/config.json'));c['process']['args']=['touch','/x'];json.dump(c,open('$b/config.json','w'))"; "$R" run oci3 --bundle "$b" >/dev/null 2>&1; [ $? -ne 0 ]; echo $?)
done_testing
