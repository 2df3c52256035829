# Sourced by the runner's tests: valid FILE checks a runner output document
# against guest/schema/output.schema.json; have_jsonschema says whether the
# validator (python3-jsonschema) is there.
schema=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/schema/output.schema.json
valid() {
	python3 - "$schema" "$1" <<'PY'
import json, sys
import jsonschema
s = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
errs = list(jsonschema.Draft202012Validator(s).iter_errors(d))
for e in errs[:5]:
    print("# schema: %s at %s" % (e.message, list(e.absolute_path)))
sys.exit(1 if errs else 0)
PY
}
have_jsonschema=0
python3 -c 'import jsonschema' 2>/dev/null && have_jsonschema=1
