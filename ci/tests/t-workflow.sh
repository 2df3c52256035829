#!/bin/bash
# The GitHub Actions workflow cannot run here; it is parsed with a real YAML
# parser (PyYAML) and checked for the structure Actions requires, and every
# local script it calls must exist and be executable.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
py=/usr/bin/python3
[ -x "$py" ] || skip_all "python3 not installed (make deps)"
"$py" -c "import yaml" 2>/dev/null || { echo "Bail out! python3-yaml is not installed: run make deps"; exit 1; }
plan 4
for wf in "$top"/.github/workflows/*.yml; do
	ok "$(basename "$wf"): parses and has the structure Actions requires" "$py" - "$wf" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
assert isinstance(doc, dict), "not a mapping"
on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare 'on' as true
assert on, "no 'on' trigger"
if isinstance(on, dict) and "schedule" in on:
    for s in on["schedule"]:
        assert len(s["cron"].split()) == 5, "cron needs five fields: %r" % s["cron"]
jobs = doc["jobs"]
assert jobs, "no jobs"
for name, job in jobs.items():
    assert "runs-on" in job, "%s: no runs-on" % name
    steps = job["steps"]
    assert steps, "%s: no steps" % name
    for st in steps:
        assert ("run" in st) != ("uses" in st), "%s: a step needs exactly one of run/uses: %r" % (name, st)
PY
done
ok "nightly.yml runs ci/nightly" grep -q 'ci/nightly' "$top/.github/workflows/nightly.yml"
ok "nightly.yml gates the night on working KVM (harness doctor --require-kvm) before ci/nightly" "$py" - "$top/.github/workflows/nightly.yml" <<'PY'
import sys, yaml
steps = yaml.safe_load(open(sys.argv[1]))["jobs"]["nightly"]["steps"]
runs = [s.get("run", "") for s in steps]
kvm = next(i for i, r in enumerate(runs) if "doctor --require-kvm" in r)
night = next(i for i, r in enumerate(runs) if "ci/nightly" in r)
assert kvm < night, "the KVM check comes after ci/nightly"
assert steps[night].get("if") == "steps.kvm.outputs.gate == 'yes'", "ci/nightly does not wait for the KVM gate"
PY
ok "ci/nightly and ci/deps are executable" test -x "$top/ci/nightly" -a -x "$top/ci/deps"
done_testing
