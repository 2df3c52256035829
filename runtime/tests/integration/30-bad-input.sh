#!/bin/bash
# Bad input: each gets a clear error and changes nothing.
. "$(dirname "$0")/lib.sh"
plan 16
sv_start || exit 1
"$R" start keeper "$T/rootfs" --stop-grace 1 -- sleep 30 >/dev/null
snapshot() { "$R" ps | awk '{print $1, $2, $3}' | sort; }
before=$(snapshot)

# raw PAYLOAD-SPEC: send a hand-made frame, print the supervisor's answer.
raw() {
	python3 - "$HARNESS_RUNTIME_SOCKET" "$1" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
kind = sys.argv[2]
if kind == "huge":
    s.sendall(b"HRTP" + bytes([1, 1, 0, 0]) + struct.pack(">I", 64 * 1024 * 1024))
elif kind == "magic":
    s.sendall(b"XXXX" + bytes([1, 1, 0, 0]) + struct.pack(">I", 2) + b"{}")
elif kind == "version":
    s.sendall(b"HRTP" + bytes([9, 1, 0, 0]) + struct.pack(">I", 2) + b"{}")
elif kind == "midway":
    s.sendall(b"HRTP" + bytes([1, 1, 0, 0]) + struct.pack(">I", 100) + b'{"op":')
    s.close(); print("closed"); sys.exit(0)
elif kind == "env":
    p = b'{"op":"start","spec":{"name":"x","rootfs":"/","argv":["true"],"env":["=x"]}}'
    s.sendall(b"HRTP" + bytes([1, 1, 0, 0]) + struct.pack(">I", len(p)) + p)
elif kind == "nice":
    p = b'{"op":"start","spec":{"name":"x","rootfs":"/","argv":["true"],"nice":1e999}}'
    s.sendall(b"HRTP" + bytes([1, 1, 0, 0]) + struct.pack(">I", len(p)) + p)
elif kind == "garbage":
    p = b'{"op":"start","spec":{"name":"x","rootfs":"/","argv":["true"],"limits":{"cpu_weight":-3}}}'
    s.sendall(b"HRTP" + bytes([1, 1, 0, 0]) + struct.pack(">I", len(p)) + p)
data = b""
try:
    while True:
        c = s.recv(65536)
        if not c: break
        data += c
except Exception: pass
print(data[12:].decode(errors="replace"))
PY
}

check "an oversized request is refused" $(raw huge | grep -q 'outside 1'; echo $?)
check "a bad magic is refused" $(raw magic | grep -q 'bad message magic'; echo $?)
check "another protocol version is refused" $(raw version | grep -q 'unsupported protocol version 9'; echo $?)
check "a bad limit in a raw request is refused" $(raw garbage | grep -q 'cpu_weight'; echo $?)
raw midway >/dev/null
check "a client that disconnects mid-request changes nothing" $([ "$(snapshot)" = "$before" ]; echo $?)

"$R" start bad "$T/rootfs" --cpu-weight 0 -- true 2>"$T/err"
check "a bad limit value on the command line is refused" $(grep -q "invalid cpu weight" "$T/err"; echo $?)
"$R" start bad "$T/rootfs" --memory-high 64M --memory-max 32M -- true 2>"$T/err"
check "memory.high above memory.max is refused" $(grep -q "memory high .* is above memory max" "$T/err"; echo $?)
"$R" start bad "$T/rootfs" --memory-max 64M -- true 2>"$T/err"
check "limits without cgroup v2: a clear error, never a silent run" $(grep -q "no usable cgroup v2 hierarchy" "$T/err"; echo $?)
"$R" start bad "$T/rootfs" --kmon-hard 64M -- true 2>"$T/err"
check "kernel monitor limits without /dev/memwatch are refused" $(grep -q "/dev/memwatch does not exist" "$T/err"; echo $?)
mkdir -p "$T/bundle"
echo '{"ociVersion":"1.0.2","process":{"args":"notalist"},"root":{"path":"rootfs"}}' >"$T/bundle/config.json"
"$R" start bad --bundle "$T/bundle" 2>"$T/err"
check "a malformed bundle is refused" $(grep -q "process.args' must be an array" "$T/err"; echo $?)
"$R" start '../evil' "$T/rootfs" -- true 2>"$T/err"
check "a bad container name is refused" $(grep -q "invalid" "$T/err"; echo $?)
# Values that strtod, strtol or a loose list check let through (issue 24).
refused=0 total=0
for a in "--cpus nan" "--cpus inf" "--cpus -1" "--cpus=" "--cpus 1e3" "--cpus 0x10" "--env =x" "--env=" \
	 "--cpuset=" "--cpu-max -5/100000" "--cpu-max 5000/" "--nice=" "--nice 5x" "--stop-grace= " \
	 "--cpu-weight=+5" "--hostname=" "--claim=" "--claim cpu=nan" "--ip="; do
	total=$((total + 1))
	# shellcheck disable=SC2086
	"$R" start bad "$T/rootfs" $a -- true 2>"$T/err"
	[ $? = 2 ] && grep -q "invalid" "$T/err" && refused=$((refused + 1)) || diag "not refused: $a ($(cat "$T/err"))"
done
check "$refused of $total bad option values are refused with exit 2 and the value named" $([ $refused = $total ]; echo $?)
"$R" start bad "$T/rootfs" --cpuset 5-1 -- true 2>"$T/err"
check "--cpuset 5-1: $(cat "$T/err")" $(grep -q "invalid cpuset '5-1': a range runs backwards" "$T/err"; echo $?)
out=$(raw env)
check "a raw request with env '=x' is refused: $out" $(echo "$out" | grep -q 'not NAME=VALUE'; echo $?)
out=$(raw nice)
check "a raw request with nice 1e999 is refused: $out" $(echo "$out" | grep -q "field 'nice' must be an integer in -20..19"; echo $?)
check "none of it changed anything" $([ "$(snapshot)" = "$before" ]; echo $?)
done_testing
