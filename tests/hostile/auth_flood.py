#!/usr/bin/env python3
"""A login flood against the exporter's Basic authentication (loopback only).

    auth_flood.py HOST PORT SECONDS OUT USER SOURCES CONNS_PER_SOURCE

From each source address (127.x.y.z, bound locally) CONNS_PER_SOURCE
connections send requests one after another with, in turn, a wrong
password for USER and an unknown user, for SECONDS at most (and 20000
requests at most in all).  A connection the server closes is opened again.
At the end OUT gets one line per kind: "KIND STATUS COUNT" and the median
answer time "KIND time_ms MEDIAN".  Only loopback addresses are accepted.
"""
import base64
import os
import socket
import sys
import threading
import time

MAX_REQUESTS = 50000


def main():
    host, port, seconds, out, user = sys.argv[1], int(sys.argv[2]), \
        float(sys.argv[3]), sys.argv[4], sys.argv[5]
    sources = sys.argv[6].split(",")
    conns = int(sys.argv[7])
    for a in [host] + sources:
        if not a.startswith("127."):
            sys.exit("loopback only: " + a)
    end = time.time() + min(seconds, 120)
    lock = threading.Lock()
    counts = {}
    times = {"wrong": [], "unknown": []}
    sent = [0]

    def header(kind, n):
        if kind == "wrong":
            cred = "%s:wrong-%d-%s" % (user, n, os.urandom(6).hex())
        else:
            cred = "nobody%d:%s" % (n % 1000, os.urandom(6).hex())
        return "Basic " + base64.b64encode(cred.encode()).decode()

    def one(src, k):
        s = None
        n = 0
        while time.time() < end:
            with lock:
                if sent[0] >= MAX_REQUESTS:
                    return
                sent[0] += 1
            kind = "wrong" if (n + k) % 2 == 0 else "unknown"
            n += 1
            try:
                if s is None:
                    s = socket.socket()
                    s.bind((src, 0))
                    s.settimeout(max(0.1, min(15, end - time.time())))
                    s.connect((host, port))
                req = ("GET /metrics HTTP/1.1\r\nHost: x\r\n"
                       "Authorization: %s\r\n\r\n" % header(kind, n))
                t0 = time.time()
                s.sendall(req.encode())
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = s.recv(4096)
                    if not chunk:
                        raise ConnectionError("closed")
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                status = head.split(b" ", 2)[1].decode()
                length = 0
                close = False
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                    if name.strip().lower() == b"connection" and \
                            value.strip().lower() == b"close":
                        close = True
                while len(body) < length:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                dt = (time.time() - t0) * 1000
                with lock:
                    counts[(kind, status)] = counts.get((kind, status), 0) + 1
                    if status == "401":
                        times[kind].append(dt)
                if close:
                    s.close()
                    s = None
                if status == "503":
                    time.sleep(0.05)
            except (OSError, ValueError, IndexError):
                with lock:
                    counts[(kind, "error")] = counts.get((kind, "error"), 0) + 1
                if s is not None:
                    s.close()
                s = None
                time.sleep(0.01)
        if s is not None:
            s.close()

    threads = [threading.Thread(target=one, args=(src, k), daemon=True)
               for src in sources for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, end - time.time() + 20))
    with lock, open(out, "w") as f:
        for (kind, status), c in sorted(counts.items()):
            f.write("%s %s %d\n" % (kind, status, c))
        for kind, v in times.items():
            if v:
                v.sort()
                f.write("%s time_ms %d\n" % (kind, v[len(v) // 2]))


if __name__ == "__main__":
    main()
