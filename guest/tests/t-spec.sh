#!/bin/bash
# harness-guest refuses a bad experiment spec before starting anything:
# ok false, the error names the key, exit status 2.
. "$(dirname "$0")/../../workloads/tests/lib.sh"
hg=$WL_BIN/harness-guest
plan 11

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
ok "not JSON" refused '{"experiment": ' "not valid JSON"
ok "container is named as not supported yet" refused '{"experiment":"x","duration_s":1,"workloads":[{"name":"c","program":"cpu_hog","container":{}}]}' "'container'"
done_testing
