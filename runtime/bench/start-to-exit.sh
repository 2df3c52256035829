#!/bin/bash
# Container start-to-exit of /bin/true: harness-runtime against crun on the
# same OCI bundle, side by side in one Debian stable guest kernel booted
# under QEMU (ci/qemu-initramfs-run). crun and its shared libraries are
# copied into the payload (ldd). Interleaved rounds so that drift affects
# both equally; the ratio is what counts (TCG: emulated time).
# Output: a summary on stdout; ROUNDS and PER_ROUND tune the run.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
R=${HARNESS_RUNTIME:-$top/build/runtime/harness-runtime}
ROUNDS=${ROUNDS:-5}
PER_ROUND=${PER_ROUND:-20}
tarball=$top/build/rootfs/busybox.tar.gz
[ -f "$tarball" ] || OUT=$tarball "$top/images/rootfs/build-busybox"
command -v crun >/dev/null || { echo "bench: crun is not installed" >&2; exit 1; }
eval "$("$top/ci/guest-kernel" stable)" || exit 1
T=$(mktemp -d /tmp/hrt-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
p=$T/payload
mkdir -p "$p/bin" "$p/bundle/rootfs"
cp "$R" "$p/bin/harness-runtime"
cp /usr/bin/crun "$p/bin/crun"
# crun's shared libraries at their own paths, so the guest's loader finds them.
for lib in $(ldd /usr/bin/crun | grep -o '/[^ ]*'); do
	mkdir -p "$p$(dirname "$lib")"
	cp -L "$lib" "$p$lib"
done
tar -xzf "$tarball" -C "$p/bundle/rootfs"
(cd "$p/bundle" && crun spec)
python3 - "$p/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open(p, "w"), indent=1)
PY
cat >"$p/init.sh" <<GUEST
#!/bin/sh
ROUNDS=$ROUNDS; PER_ROUND=$PER_ROUND
GUEST
cat >>"$p/init.sh" <<'GUEST'
export HARNESS_RUNTIME_SOCKET=/run/hrt/sock LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu
/bin/harness-runtime supervisor --state-dir /run/hrt >/tmp/sv.log 2>&1 &
for i in $(seq 100); do [ -S /run/hrt/sock ] && break; sleep 0.1; done
cd /bundle
now() { cut -d' ' -f1 /proc/uptime; }
ours() { /bin/harness-runtime run "b$1" --bundle /bundle --rm 2>/tmp/err >/dev/null || echo "ours failed: $(cat /tmp/err)"; }
crun_cg() { /bin/crun run --no-pivot "c$1" >/dev/null || echo "crun failed" >&2; }
crun_nocg() { /bin/crun --cgroup-manager=disabled run --no-pivot "n$1" >/dev/null || echo "crun-nocg failed" >&2; }
for i in 1 2 3 4 5; do ours w$i; crun_cg w$i; crun_nocg w$i; done
for r in $(seq $ROUNDS); do
	for k in ours crun_cg crun_nocg; do
		t0=$(now)
		for i in $(seq $PER_ROUND); do $k "$r-$i"; done
		t1=$(now)
		echo "BENCH $k $r $PER_ROUND $t0 $t1"
	done
done
/bin/harness-runtime shutdown
exit 0
GUEST
chmod +x "$p/init.sh"
"$top/ci/qemu-initramfs-run" --kernel "$KERNEL" --payload "$p" --timeout 1200 --mem 1024 >"$T/console" 2>&1
rc=$?
grep -a '^BENCH \|failed\|harness-runtime:\|crun:' "$T/console" | tr -d '\r' >"$T/results"
[ "$rc" -eq 0 ] && [ -s "$T/results" ] || { echo "bench: guest run failed ($rc)"; tail -n 30 "$T/console"; exit 1; }
cat "$T/results"
awk '$1 == "BENCH" { t[$2] += ($6 - $5); n[$2] += $4 }
END {
	for (k in t) printf "%-10s %4d runs  %.1f ms per start-to-exit\n", k, n[k], 1000 * t[k] / n[k]
	if (n["ours"] && n["crun_cg"]) printf "ratio harness-runtime / crun (cgroupfs): %.2f\n", (t["ours"] / n["ours"]) / (t["crun_cg"] / n["crun_cg"])
	if (n["ours"] && n["crun_nocg"]) printf "ratio harness-runtime / crun (cgroups disabled): %.2f\n", (t["ours"] / n["ours"]) / (t["crun_nocg"] / n["crun_nocg"])
}' "$T/results"
