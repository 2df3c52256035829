#!/bin/bash
# The disk experiment and guest settings as axes, end to end on the standing
# guests (vm up): bad settings refused with file, line and key before
# anything starts; then the disk experiment in vm1 with two cache modes
# applied by hot-plugging a scratch disk (and the seeds' dd with conv=fsync),
# fio run after each phase as the reference (reference: fio, its figures and
# the ratio recorded), its records against the schema and theory (host bytes for guest bytes),
# the scratch disk gone afterwards, a scratch disk on the scsi bus (hot-plugged
# with its controller, none left after), and the report's section. Needs root and
# the images ('make images'); about 2 minutes of guest time under TCG.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/ci/tap.sh"
. "$top/guest/tests/schema.sh"
schema=$top/harness/schema/run.schema.json
H=$top/build/bin/harness
out=$top/build/test-disk

[ "$(id -u)" -eq 0 ] || skip_all "needs root for libvirt's system connection"
[ -x "$H" ] || skip_all "harness not built"
"$top/ci/libvirtd" status >/dev/null 2>&1 || "$top/ci/libvirtd" start >&2 ||
	skip_all "no libvirt daemon"
rm -rf "$out" && mkdir -p "$out"

plan 16

guests='guests:
  - name: vm1
    image: general
    vcpus: 1
    memory_mib: 1024
  - name: vm2
    image: security
    vcpus: 1
    memory_mib: 1024'

# 1. refused before anything starts: io native with a cache mode, a guest
#    setting for a guest the suite does not have.
printf 'suite: bad\n%s\nexperiments:\n  - type: disk\n    vary:\n      disk_io: native\n      disk_cache: [none, writeback]\n' \
	"$guests" >"$out/bad1.yaml"
$H run --results "$out/bad-results" suite "$out/bad1.yaml" 2>"$out/bad1.err"
check "disk_io native with cache writeback: non-zero exit" $((! $?))
ok "the error names file, line and key" \
	grep -q "bad1.yaml:14: vary: disk_io native needs disk_cache none or directsync, not 'writeback'" "$out/bad1.err"
printf 'suite: bad\n%s\nexperiments:\n  - type: disk\n    vary:\n      vm3.disk_cache: none\n' "$guests" >"$out/bad2.yaml"
$H run --results "$out/bad-results" suite "$out/bad2.yaml" 2>"$out/bad2.err"
ok "a setting for a guest not in the suite: refused with file, line and key" \
	grep -q "bad2.yaml:14: vm3.disk_cache: 'vm3' is not a guest of the suite" "$out/bad2.err"
printf 'suite: bad\n%s\nexperiments:\n  - type: disk\n    vary:\n      method: dd\n      reference: fio\n' "$guests" >"$out/bad3.yaml"
$H run --results "$out/bad-results" suite "$out/bad3.yaml" 2>"$out/bad3.err"
ok "reference fio with method dd: refused before the run" \
	grep -q "reference fio needs method workload, not 'dd'" "$out/bad3.err"
ok "nothing was started (no results directory)" test ! -e "$out/bad-results"

# 2. the disk experiment, two cache modes by hot-plug, and dd
$H vm up >"$out/vm-up.txt" 2>&1
check "vm up: vm1 and vm2 answer" $?
cat >"$out/disk.yaml" <<YAML
suite: disk
repeats: 1
warmup: 0
order: sequential
$guests
experiments:
  - type: disk
    duration_s: 8
    vary:
      vm1.disk_cache: [none, writeback]
      reference: fio
  - type: disk
    vary:
      method: dd
      disk_cache: unsafe
YAML
start=$(date +%s)
$H run --results "$out/results" suite "$out/disk.yaml" >"$out/run.log" 2>&1
check "the suite completes ($(( $(date +%s) - start )) s)" $?
dir=$(ls -d "$out"/results/*-disk 2>/dev/null | head -n 1)
diag "results: $dir"

records_valid() {
	[ $have_jsonschema = 1 ] || { echo "# python3-jsonschema missing (make deps)"; return 1; }
	for f in "$@"; do valid "$f" || { echo "# not harness-run/1: $f"; return 1; }; done
}
records_valid "$dir"/runs/*.json
check "every record validates against harness/schema/run.schema.json" $?

pycheck() {
	python3 - "$dir" "$2" >"$out/$1.txt" 2>&1 <<'PY'
import glob, json, sys
recs = [json.load(open(p)) for p in sorted(glob.glob(sys.argv[1] + "/runs/*.json"))]
def cache(c):
    return [r for r in recs if r["scratch_disk"]["cache"] == c]
exec(sys.argv[2])
PY
	local st=$?
	diag "$(cat "$out/$1.txt")"
	return $st
}

pycheck records '
assert len(recs) == 3, "expected 3 records, got %d" % len(recs)
for r in recs: assert r["ok"], (r["run_id"], r.get("error"))
for r in recs:
    s = r["scratch_disk"]
    print("%s: %s" % (r["run_id"], ", ".join("%s=%s by %s" % (a["key"], a["value"], a["applied"]) for a in r["guest_settings"])))
    assert s["applied"] == "hot-plug" and s["removed"] is True and s["guest"] == "vm1", s
    assert {a["key"]: a["applied"] for a in r["guest_settings"] if a["guest"] == "vm1"} == {"disk_cache": "hot-plug", "disk_bus": "hot-plug", "disk_io": "hot-plug"}
    # disk_cache for every guest: vm2 has no scratch disk, the record says so.
    assert all(a["applied"] == "not-used" for a in r["guest_settings"] if a["guest"] == "vm2")
assert sorted(r["scratch_disk"]["cache"] for r in recs) == ["none", "unsafe", "writeback"]'
check "3 records, every run ok; the cache mode applied by hot-plug, the scratch disk removed" $?

pycheck phases '
for r in recs:
    for name, p in r["phases"].items():
        lat = p.get("latency_us", {})
        print("%-9s %-17s %7.1f MiB/s %7.0f IOPS p50 %s p99 %s p99.9 %s us; guest wrote %d B, virtual disk %d B, QEMU wrote %d B (host/guest %s, expected %s)" % (
              r["scratch_disk"]["cache"], name, p["mib_per_s"], p["iops"], lat.get("p50"), lat.get("p99"), lat.get("p999"),
              p["guest_write_bytes"], p["host"]["block_wr_bytes"], p["host"]["proc_write_bytes"], p["host_per_guest"], p["expected_host_per_guest"]))
wl = [r for r in recs if r["method"] == "workload"]
for r in wl:
    assert set(r["phases"]) == {"seqwrite_direct", "seqwrite_buffered", "randread", "randwrite"}, set(r["phases"])
    for name, p in r["phases"].items():
        assert p["mib_per_s"] > 0 and p["iops"] > 0, (name, p)
        for k in ("p50", "p90", "p99", "p999"): assert p["latency_us"][k] > 0, (name, k)
        assert p["latency_us"]["p50"] <= p["latency_us"]["p90"] <= p["latency_us"]["p99"] <= p["latency_us"]["p999"]
    assert r["phases"]["randread"]["guest_read_bytes"] > 0
dd = [r for r in recs if r["method"] == "dd"]
assert len(dd) == 1 and dd[0]["phases"]["dd"]["guest_write_bytes"] == 128 << 20'
check "the four phases (dd for method dd): throughput, IOPS, ordered latency percentiles" $?

# The reference: fio ran in the guest right after each phase with the same
# flags, and the phase has its figures and the ratio (the 0.95 goal is
# BENCHMARKS.md's, not this test's).
pycheck fio '
wl = [r for r in recs if r["method"] == "workload"]
assert wl and all(r["reference"] == "fio" for r in wl), [r.get("reference") for r in wl]
for r in wl:
    for name, p in r["phases"].items():
        f = p["reference"]
        print("%-9s %-17s disk %7.1f MiB/s %7.0f IOPS, fio %7.1f MiB/s %7.0f IOPS (%s), disk/fio %.3f" % (
              r["scratch_disk"]["cache"], name, p["mib_per_s"], p["iops"], f["mib_per_s"], f["iops"], f["version"],
              p["vs_reference"]["mib_per_s"]))
        assert f["tool"] == "fio" and f["version"].startswith("fio-"), f
        assert f["mib_per_s"] > 0 and f["iops"] > 0 and f["io_bytes"] > 0, f
        assert "--ioengine=psync" in f["args"] and ("--direct=1" in f["args"]) == p["direct"], f["args"]
        assert p["vs_reference"]["mib_per_s"] > 0 and p["vs_reference"]["iops"] > 0, p["vs_reference"]
assert "reference" not in [r for r in recs if r["method"] == "dd"][0]["phases"]["dd"]'
check "reference fio: fio ran after each phase, its figures and the ratio recorded (positive)" $?

# O_DIRECT writes on a raw volume: every guest byte reaches the virtual disk
# once (virDomainBlockStats), and with cache none QEMU writes it to the host
# file (/proc/PID/io write_bytes) once: both at least the guest bytes (the
# host may write a little more: the boot disk, the console log).
pycheck ratio '
for r in recs:
    for name, p in r["phases"].items():
        if p["guest_write_bytes"] == 0 or not p["direct"]: continue
        assert p["host"]["block_wr_bytes"] >= p["guest_write_bytes"], (r["run_id"], name, p["host"])
for r in cache("none"):
    p = r["phases"]["seqwrite_direct"]
    assert p["expected_host_per_guest"] == 1
    assert p["host"]["proc_write_bytes"] >= p["guest_write_bytes"], p
    assert p["host_per_guest"] < 1.5, p
for r in cache("writeback"):
    assert r["phases"]["seqwrite_direct"]["expected_host_per_guest"] is None
dd = [r for r in recs if r["method"] == "dd"][0]["phases"]["dd"]
assert dd["host"]["block_wr_bytes"] >= dd["guest_write_bytes"], dd
print("ok")'
check "O_DIRECT writes: virtual-disk bytes >= guest bytes; cache none: QEMU host bytes >= guest bytes (theory 1)" $?

# Nothing of the scratch disks is left: not in the domain, no volume, no pool.
dom=$(python3 -c 'import glob,json,sys; print(json.load(open(sorted(glob.glob(sys.argv[1]+"/runs/*.json"))[0]))["guest"]["domain"])' "$dir")
xml=$(virsh -c qemu:///system dumpxml "$dom" 2>&1)
diag "domain $dom: $(printf '%s' "$xml" | grep -c hscratch) scratch disk entries; settings pools: $(virsh -c qemu:///system pool-list --all --name | grep -c -- '-gs$')"
[ -n "$xml" ] && ! printf '%s' "$xml" | grep -q hscratch && ! virsh -c qemu:///system pool-list --all --name | grep -q -- '-gs$'
check "the scratch disk is gone from the domain and its pool removed" $?

# 3. the scsi bus: the scratch disk and a virtio-scsi controller hot-plugged
#    into the running vm1 (a few seconds), both gone after the run.
sed -e '/^experiments:/,$d' -e 's/^suite: disk$/suite: disk-scsi/' "$out/disk.yaml" >"$out/scsi.yaml"
printf 'experiments:\n  - type: disk\n    duration_s: 4\n    vary:\n      vm1.disk_bus: scsi\n' >>"$out/scsi.yaml"
$H run --results "$out/scsi-results" suite "$out/scsi.yaml" >"$out/scsi.log" 2>&1
scsi_rc=$?
python3 - "$(ls -d "$out"/scsi-results/*/ 2>/dev/null | head -n 1)" >"$out/scsi.txt" 2>&1 <<'PY'
import glob, json, sys
recs = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/runs/*.json")]
assert len(recs) == 1, "expected 1 record, got %d" % len(recs)
r = recs[0]
assert r["ok"], r.get("error")
s = r["scratch_disk"]
assert s["bus"] == "scsi" and s["applied"] == "hot-plug" and s["removed"] is True, s
assert {"guest": "vm1", "key": "disk_bus", "value": "scsi", "applied": "hot-plug"} in r["guest_settings"], r["guest_settings"]
for name, p in sorted(r["phases"].items()):
    print("scsi %-17s %7.1f MiB/s %7.0f IOPS (%s)" % (name, p["mib_per_s"], p["iops"], s.get("guest_device")))
    assert p["mib_per_s"] > 0 and p["iops"] > 0, (name, p)
PY
scsi_py=$?
diag "$(cat "$out/scsi.txt")"
[ $scsi_rc = 0 ] || diag "$(tail -5 "$out/scsi.log")"
scsi_left=$(virsh -c qemu:///system dumpxml "$dom" 2>/dev/null | grep -c "controller type='scsi'")
[ $scsi_rc = 0 ] && [ $scsi_py = 0 ] && [ "$scsi_left" = 0 ]
check "vm1.disk_bus scsi: hot-plugged, throughput and IOPS > 0, no SCSI controller left ($scsi_left)" $?

$H report "$dir" -o "$out/report.pdf" >/dev/null 2>"$out/report.err" &&
	pdftotext -layout "$out/report.pdf" "$out/report.txt" 2>/dev/null
grep -q "Disk: throughput, IOPS and host bytes" "$out/report.txt" && grep -q "Host bytes written per guest byte" "$out/report.txt"
check "the report has the disk section (bars, host-vs-guest bytes)" $?

ok "vm1 and vm2 are still running" sh -c "$H vm status 2>&1 | grep -Eq '^vm1 +running' && $H vm status 2>&1 | grep -Eq '^vm2 +running'"
done_testing
