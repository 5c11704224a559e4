#!/usr/bin/env python3
"""A scripted hostile HTTPS server (an MTA-STS policy host gone wrong) for
tests/integration/test_mta_sts_hostile.sh.

    https.py --cert CHAIN.pem --key KEY.pem [--log FILE] --case MODE@ADDR:PORT ...

Each case listens on its own address and plays one misbehaviour on every
connection, after a correct TLS handshake and after reading the request.
Python 3 standard library only.  Prints "ready" once every listener is up,
and one "case=... event=..." line per connection to the log.  Every loop is
bounded (MAX_BYTES, MAX_SECONDS): a client that never hangs up still ends.

Modes:
  stall        reads the request, then sends nothing
  trickle      a valid 200 text/plain answer at one byte per second
  chunked      200, Transfer-Encoding: chunked, chunks forever
  reset_body   200 with Content-Length 1000, 100 bytes, then a TCP reset
  gzip         200 with Content-Encoding: gzip (never asked for) and a
               gzipped policy
  good         a correct policy (mode enforce), for a control case
"""
import argparse
import asyncio
import gzip
import socket
import ssl
import struct
import sys
import time

MAX_BYTES = 4 * 1024 * 1024
MAX_SECONDS = 30
POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.hostile.test\r\nmax_age: 86400\r\n"
LOG = sys.stderr


def log(case, event):
    LOG.write("case=%s event=%s\n" % (case, event))
    LOG.flush()


async def read_request(reader):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 16384:
        chunk = await reader.read(4096)
        if not chunk:
            break
        data += chunk
    return data


def head(extra):
    return ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n%s\r\n" % extra).encode()


async def serve(case, reader, writer):
    start = time.monotonic()
    log(case, "connect")
    try:
        req = await read_request(reader)
        log(case, "request %d bytes" % len(req))
        if case == "stall":
            await asyncio.sleep(MAX_SECONDS)
        elif case == "trickle":
            msg = head("Content-Length: %d\r\n" % len(POLICY)) + POLICY
            for b in msg:
                if time.monotonic() - start > MAX_SECONDS:
                    break
                writer.write(bytes([b]))
                await writer.drain()
                await asyncio.sleep(1)
        elif case == "chunked":
            writer.write(head("Transfer-Encoding: chunked\r\n"))
            sent = 0
            line = b"x-pad: " + b"x" * 1000 + b"\r\n"
            while sent < MAX_BYTES and time.monotonic() - start < MAX_SECONDS:
                writer.write(b"%x\r\n%s\r\n" % (len(line), line))
                sent += len(line)
                await writer.drain()
            log(case, "sent %d" % sent)
        elif case == "reset_body":
            writer.write(head("Content-Length: 1000\r\n") + POLICY + b"x" * (100 - len(POLICY) % 100))
            await writer.drain()
            await asyncio.sleep(0.2)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            log(case, "reset")
            return
        elif case == "gzip":
            z = gzip.compress(POLICY)
            writer.write(head("Content-Encoding: gzip\r\nContent-Length: %d\r\n" % len(z)) + z)
            await writer.drain()
        elif case == "good":
            writer.write(head("Content-Length: %d\r\n" % len(POLICY)) + POLICY)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError) as e:
        log(case, "error %s" % type(e).__name__)
    finally:
        log(case, "close after %.1fs" % (time.monotonic() - start))
        try:
            writer.close()
        except Exception:
            pass


async def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--log")
    ap.add_argument("--case", action="append", required=True)
    a = ap.parse_args()
    if a.log:
        LOG = open(a.log, "a")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    servers = []
    for c in a.case:
        mode, where = c.split("@", 1)
        host, port = where.rsplit(":", 1)
        servers.append(await asyncio.start_server(
            lambda r, w, m=mode: serve(m, r, w), host, int(port), ssl=ctx))
    print("ready", flush=True)
    await asyncio.sleep(MAX_SECONDS * 4)	# then stop by itself


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
