#!/bin/bash
# harness/schema/run.schema.json: a valid JSON Schema (2020-12) that accepts
# the records in tests/data/ and refuses records with a missing, unknown or
# mistyped field. The records come from real runs (the quick suite, a boot
# suite, and both with a 10 s boot timeout), with the runner's samples and
# the host series cut to their first entries to keep them small. The
# integration test (t-spine.sh) validates every record a real run writes.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
. "$top/guest/tests/schema.sh"
schema=$top/harness/schema/run.schema.json
data=$top/harness/tests/data
[ $have_jsonschema = 1 ] || skip_all "python3-jsonschema missing (make deps)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

plan 6
python3 -c 'import json, sys, jsonschema; jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))' \
	"$schema"
check "the schema is a valid 2020-12 JSON Schema" $?

rc=0; n=0
for f in "$data"/*.run.json; do valid "$f" || rc=1; n=$((n + 1)); done
test $n -ge 3
check "real records of boot, cpu-contention and a failed run validate ($n files)" $((rc || $?))

# Mutations of a real record, each of which must be refused.
mutate() {
	python3 - "$data/cpu-contention.run.json" "$tmp/m.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(r, open(sys.argv[2], "w"))
PY
	! valid "$tmp/m.json" >/dev/null
}
ok "a record without run_id is refused" mutate 'del r["run_id"]'
ok "an unknown top-level field is refused" mutate 'r["surprise"] = 1'
ok "a guest with a mistyped share is refused" mutate 'r["guests"][0]["measured_share"] = "half"'
ok "a successful run without its metrics is refused" mutate 'del r["fairness_index"]'
done_testing
