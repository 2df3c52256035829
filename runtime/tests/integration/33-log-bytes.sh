#!/bin/bash
# Logs carry bytes as they are (issue 24, item 6): a NUL, 140 KB of '"',
# 50 KB of \001, random bytes; `run` and `logs -f` give them back byte for
# byte, in data frames that never pass the protocol's limit.
. "$(dirname "$0")/lib.sh"
plan 7
sv_start || exit 1
mkdir -p "$T/want"
printf 'before\0after\n' >"$T/want/nul"
head -c 143360 /dev/zero | tr '\0' '"' >"$T/want/quotes"
head -c 51200 /dev/zero | tr '\0' '\001' >"$T/want/ctrl"
head -c 600000 /dev/urandom >"$T/want/random"
cp "$T"/want/* "$T/rootfs/opt/"

# same NAME: run cats /opt/NAME; its output must be the file itself.
same() {
	"$R" run "r-$1" "$T/rootfs" --rm -- cat "/opt/$1" >"$T/got-$1" 2>"$T/err-$1"
	local rc=$?
	cmp -s "$T/want/$1" "$T/got-$1" && [ $rc = 0 ] && [ ! -s "$T/err-$1" ]
}
for f in nul quotes ctrl random; do
	same "$f"
	rc=$?
	check "run gives back $f ($(wc -c <"$T/want/$f") bytes) byte for byte $(head -c 200 "$T/err-$f")" $rc
done

# logs -f, started before the output exists: it follows to the end.
mkfifo "$T/rootfs/opt/go-fifo"
"$R" start follow "$T/rootfs" -- sh -c 'read -r _ </opt/go-fifo; cat /opt/random /opt/nul /opt/ctrl' >/dev/null
"$R" logs follow -f >"$T/got-follow" 2>"$T/err-follow" &
lf=$!
echo go >"$T/rootfs/opt/go-fifo"
wait $lf
rc=$?
cat "$T/want/random" "$T/want/nul" "$T/want/ctrl" >"$T/want/follow"
check "logs -f follows random bytes, a NUL and \\001s to the end, byte for byte" \
	$([ $rc = 0 ] && cmp -s "$T/want/follow" "$T/got-follow"; echo $?)
"$R" logs follow >"$T/got-again"
check "logs afterwards gives the same bytes" $(cmp -s "$T/want/follow" "$T/got-again"; echo $?)

# The frames themselves: none past the limit, each announced length kept.
out=$(python3 - "$HARNESS_RUNTIME_SOCKET" <<'PY'
import json, socket, struct, sys
HDR = struct.Struct(">4sBBBBI")
def rd(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: break
        b += c
    return b
off, total, biggest, frames = 0, 0, 0, 0
while True:
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    p = json.dumps({"op": "logs", "name": "follow", "offset": off}).encode()
    s.sendall(HDR.pack(b"HRTP", 1, 1, 0, 0, len(p)) + p)
    _, _, kind, _, _, n = HDR.unpack(rd(s, 12)); resp = json.loads(rd(s, n)); frames += 1
    biggest = max(biggest, n)
    if resp["data_bytes"]:
        _, _, kind, _, _, n = HDR.unpack(rd(s, 12)); data = rd(s, n); frames += 1
        assert kind == 3 and len(data) == resp["data_bytes"] == n, "data frame"
        biggest = max(biggest, n); total += n
    if resp["next"] == off: break
    off = resp["next"]
print(frames, total, biggest)
PY
)
read -r frames total biggest <<<"$out"
check "the log comes in $frames frames, the largest $biggest bytes (limit 262144)" \
	$([ -n "$biggest" ] && [ "$biggest" -le 262144 ] && [ "$total" = "$(wc -c <"$T/want/follow")" ]; echo $?)

done_testing
