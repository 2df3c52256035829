#!/usr/bin/python3
"""Clients that do not behave, for the supervisor's tests (32-clients.sh).

  stall.py logs SOCK NAME N   N clients ask for NAME's log and do not read;
                              "STALLED i QUEUED TOTAL" once each sees its
                              reply begin; after a line on stdin each reads
                              it all: "COMPLETE i ok|short DETAIL"
  stall.py idle SOCK N        N clients send half a header and stall;
                              "OPEN N"; after a line on stdin: "STATE open A
                              evicted B expired C closed D"
  stall.py wait SOCK N NAME.. N clients wait for the NAMEs' ends (held);
                              "HELD N"; one dropped before it was held (a
                              newer client took its slot) is replaced; they
                              all leave after a line on stdin

Every step is an event of the protocol (bytes arrived, a line read), never
a time: the caller decides what happened in which order.
"""
import fcntl
import json
import select
import socket
import struct
import sys
import termios

HDR = struct.Struct(">4sBBBBI")


def frame(obj, kind=1):
    p = json.dumps(obj).encode()
    return HDR.pack(b"HRTP", 1, kind, 0, 0, len(p)) + p


def connect(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return s


def recv_all(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            break
        b += c
    return b


def read_frame(s):
    h = recv_all(s, HDR.size)
    if len(h) < HDR.size:
        return None, None
    magic, ver, kind, r0, r1, n = HDR.unpack(h)
    return kind, recv_all(s, n)


def logs(path, name, n):
    socks = [connect(path) for _ in range(n)]
    for s in socks:
        s.sendall(frame({"op": "logs", "name": name, "offset": 0}))
    for i, s in enumerate(socks):
        select.select([s], [], [])  # the reply has begun to arrive
        queued = struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0" * 4))[0]
        print("STALLED %d %d" % (i, queued), flush=True)
    sys.stdin.readline()
    for i, s in enumerate(socks):
        kind, p = read_frame(s)
        try:
            resp = json.loads(p)
        except Exception:
            print("COMPLETE %d short no-response" % i, flush=True)
            continue
        want = resp.get("data_bytes", -1)
        dkind, data = read_frame(s) if want > 0 else (3, b"")
        ok = resp.get("ok") and dkind == 3 and data is not None and len(data) == want
        print("COMPLETE %d %s %d-of-%d" % (i, "ok" if ok else "short", len(data or b""), want), flush=True)


def idle(path, n):
    socks = []
    for _ in range(n):
        s = connect(path)
        s.sendall(b"HRTP\x01\x01")
        socks.append(s)
    print("OPEN %d" % n, flush=True)
    sys.stdin.readline()
    counts = {"open": 0, "evicted": 0, "expired": 0, "closed": 0}
    for s in socks:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            counts["open"] += 1
            continue
        kind, p = read_frame(s)
        text = (p or b"").decode(errors="replace")
        if "oldest" in text:
            counts["evicted"] += 1
        elif "time limit" in text:
            counts["expired"] += 1
        else:
            counts["closed"] += 1
    print("STATE open %(open)d evicted %(evicted)d expired %(expired)d closed %(closed)d" % counts, flush=True)


def wait(path, n, names):
    def waiter(i):
        s = connect(path)
        s.sendall(frame({"op": "wait", "name": names[i % len(names)]}))
        return s

    socks = [waiter(i) for i in range(n)]
    print("HELD %d" % n, flush=True)
    while True:
        r, _, _ = select.select(socks + [sys.stdin], [], [])
        if sys.stdin in r:
            return
        for s in r:
            i = socks.index(s)
            s.close()
            socks[i] = waiter(i)


if __name__ == "__main__":
    verb, path = sys.argv[1], sys.argv[2]
    if verb == "logs":
        logs(path, sys.argv[3], int(sys.argv[4]))
    elif verb == "idle":
        idle(path, int(sys.argv[3]))
    elif verb == "wait":
        wait(path, int(sys.argv[3]), sys.argv[4:])
