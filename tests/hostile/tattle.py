#!/usr/bin/env python3
"""Listeners that tell who connected (loopback test addresses only).

    tattle.py LOG SECONDS ADDR:PORT...   (IPv6 as [ADDR]:PORT)

Every connection to one of the addresses is written to LOG as one line
"ADDR PORT" (the listener's), answered with an SMTP greeting and closed.
Runs SECONDS at most (120 at most).  "ready" goes to standard output once
every listener is bound.
"""
import select
import socket
import sys
import time


def main():
    log, seconds = sys.argv[1], min(float(sys.argv[2]), 120)
    socks = {}
    for spec in sys.argv[3:]:
        host, _, port = spec.rpartition(":")
        fam = socket.AF_INET
        if host.startswith("["):
            host, fam = host[1:-1], socket.AF_INET6
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, int(port)))
        s.listen(16)
        socks[s] = (host, port)
    print("ready", flush=True)
    end = time.time() + seconds
    with open(log, "a") as f:
        while time.time() < end:
            r, _, _ = select.select(list(socks), [], [], 0.2)
            for s in r:
                try:
                    c, _ = s.accept()
                except OSError:
                    continue
                f.write("%s %s\n" % socks[s])
                f.flush()
                try:
                    c.sendall(b"220 tattle.test ESMTP\r\n")
                except OSError:
                    pass
                c.close()


if __name__ == "__main__":
    main()
