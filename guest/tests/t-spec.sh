#!/bin/bash
# harness-guest refuses a bad experiment spec before starting anything:
# ok false, the error names the key, exit status 2.
. "$(dirname "$0")/../../workloads/tests/lib.sh"
hg=$WL_BIN/harness-guest
plan 33

# refused SPEC NEEDLE: exit 2, ok false, nothing run, an error containing NEEDLE.
refused() {
	printf '%s' "$1" | "$hg" - >"$scratch/o.json" 2>/dev/null
	[ $? -eq 2 ] || return 1
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
sys.exit(0 if d["ok"] is False and d["workloads"]==[] and any(sys.argv[2] in e for e in d["errors"]) else 1)' "$scratch/o.json" "$2"
}
W='"workloads":[{"name":"c","program":"cpu_hog","args":["--duration","0.1"]}]'

ok "unknown top-level key" refused "{\"experiment\":\"x\",\"duration_s\":1,\"bogus\":1,$W}" "'bogus'"
ok "unknown workload key" refused '{"experiment":"x","duration_s":1,"workloads":[{"name":"c","program":"cpu_hog","colour":"red"}]}' "workloads[0]: unknown key 'colour'"
ok "missing duration_s" refused "{\"experiment\":\"x\",$W}" "'duration_s'"
ok "negative duration_s" refused "{\"experiment\":\"x\",\"duration_s\":-1,$W}" "'duration_s'"
ok "sample_hz as a string" refused "{\"experiment\":\"x\",\"duration_s\":1,\"sample_hz\":\"10\",$W}" "'sample_hz'"
ok "nice out of range" refused '{"experiment":"x","duration_s":1,"workloads":[{"name":"c","program":"cpu_hog","nice":40}]}' "'nice'"
ok "malformed cpu list" refused '{"experiment":"x","duration_s":1,"workloads":[{"name":"c","program":"cpu_hog","cpus":"0-"}]}' "'cpus'"
ok "program not found" refused '{"experiment":"x","duration_s":1,"workloads":[{"name":"c","program":"no_such_prog"}]}' "no_such_prog"
ok "duplicate names" refused '{"experiment":"x","duration_s":1,"workloads":[{"name":"c","program":"cpu_hog"},{"name":"c","program":"cpu_hog"}]}' "used twice"
ok "program '..' (a directory)" refused '{"experiment":"x","duration_s":1,"workloads":[{"name":"c","program":".."}]}' "'program'"
ok "program an absolute directory" refused '{"experiment":"x","duration_s":1,"workloads":[{"name":"c","program":"/tmp"}]}' "'/tmp' is not a regular file"
ok "duplicate top-level key" refused "{\"experiment\":\"x\",\"duration_s\":1,\"duration_s\":2,$W}" "key 'duration_s' given twice"
ok "duplicate key in a workload" refused '{"experiment":"x","duration_s":1,"workloads":[{"name":"c","program":"cpu_hog","name":"d"}]}' "workloads[0]: key 'name' given twice"
ok "not JSON" refused '{"experiment": ' "not valid JSON"

# Container keys are checked like the others, before any runtime is asked.
C() { printf '{"experiment":"x","duration_s":1,"workloads":[{"name":"c","program":"cpu_hog","container":%s}]}' "$1"; }
ok "container not an object" refused "$(C '"busybox"')" "'container' must be an object"
ok "unknown container key" refused "$(C '{"rootfs":"/","colour":"red"}')" "workloads[0]: container: unknown key 'colour'"
ok "container without rootfs" refused "$(C '{}')" "'rootfs' must be"
ok "rootfs neither busybox nor absolute" refused "$(C '{"rootfs":"alpine"}')" "'rootfs' must be"
ok "rootfs that does not exist" refused "$(C '{"rootfs":"/no/such/root.tar.gz"}')" "cannot use '/no/such/root.tar.gz'"
ok "memory_max with a bad unit" refused "$(C '{"rootfs":"/","memory_max":"12Q"}')" "'memory_max'"
ok "cpu_max with a zero period" refused "$(C '{"rootfs":"/","cpu_max":"5000/0"}')" "'cpu_max'"
ok "cpu_weight out of range" refused "$(C '{"rootfs":"/","cpu_weight":0}')" "'cpu_weight'"
ok "kmon_soft without kmon_hard" refused "$(C '{"rootfs":"/","kmon_soft":"1M"}')" "'kmon_soft' needs 'kmon_hard'"
ok "hostname with a space" refused "$(C '{"rootfs":"/","hostname":"a b"}')" "'hostname' must be 1 to 63"
ok "read_only not a boolean" refused "$(C '{"rootfs":"/","read_only":"yes"}')" "'read_only' must be true or false"
ok "ip without network" refused "$(C '{"rootfs":"/","ip":"10.88.0.9"}')" "'ip' needs 'network': true"
ok "ip not an address" refused "$(C '{"rootfs":"/","network":true,"ip":"10.88.0"}')" "'ip' must be an IPv4 address"
ok "claims with an unknown resource" refused "$(C '{"rootfs":"/","claims":{"disk":"1G"}}')" "container: claims: unknown key 'disk'"
ok "memory_max above the memory claim" refused "$(C '{"rootfs":"/","memory_max":"128M","claims":{"memory":"64M"}}')" "'memory_max' is above the memory claim"
ok "claims without a shared supervisor" refused "$(C '{"rootfs":"/","claims":{"memory":"64M"}}')" "'claims' need a shared supervisor started with --capacity"
ok "claims cpu out of range" refused "$(C '{"rootfs":"/","claims":{"cpu":0}}')" "claims: 'cpu' is 0, must be in"
out=$(printf '%s' "$(C '{"rootfs":"/"}')" | HARNESS_RUNTIME=/no/such/harness-runtime "$hg" - 2>/dev/null)
check "a missing runtime is refused (exit 2)" $([ $? -eq 2 ] && echo "$out" | grep -q "the runtime '/no/such/harness-runtime' cannot be executed"; echo $?)
out=$(printf '%s' "$(C '{"rootfs":"/","hostname":"web-1.lab","read_only":true,"network":true,"ip":"10.88.0.9"}')" | HARNESS_RUNTIME=/no/such/harness-runtime "$hg" - 2>/dev/null)
check "hostname, read_only, network and ip are accepted (only the missing runtime is refused)" $([ $? -eq 2 ] && echo "$out" | grep -q "the runtime '/no/such/harness-runtime' cannot be executed"; echo $?)
done_testing
