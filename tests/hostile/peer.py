#!/usr/bin/env python3
"""A scripted hostile mail server for tests/integration/test_hostile.sh.

    peer.py --cert CHAIN.pem --key KEY.pem [--log FILE]
            --case MODE@ADDR:PORT [--case ...]

Every case listens on its own address (or port) and plays one misbehaviour
on every connection.  Python 3 standard library only (asyncio, ssl).  It
prints "ready" on stdout once every listener is up, and one line per
connection event to the log ("case=... event=..."), so a test can see
what the peer saw.  Every loop is bounded (MAX_BYTES, MAX_SECONDS): a peer
whose client never hangs up still stops.

A case may name its own certificate: MODE@ADDR:PORT@CHAIN.pem@KEY.pem.

Modes (SMTP unless named imap_* / pop3_*):
  garbage        binary garbage instead of a banner
  longline       1 MB without CRLF as the banner
  ehlo_forever   a good banner, then "250-" lines forever after EHLO
  slowloris      the banner at one byte per second
  close_banner   the banner, then close
  reset_banner   accept, then a TCP reset (SO_LINGER 0) before any byte
  inject         "220 go ahead" to STARTTLS with a plaintext reply in the
                 same segment (the STARTTLS command injection flaw)
  plaintalk      STARTTLS accepted, then plain text instead of TLS
  tls_alert      STARTTLS accepted, a fatal TLS alert for the ClientHello
                 (handshake_failure)
  tls_alert_version  the same with protocol_version
  tls_alert_sni  the same with unrecognized_name
  tls_close      STARTTLS accepted, the ClientHello read, then a close
  tls_stall      STARTTLS accepted, the ClientHello read, then silence
  starttls_stall EHLO offers STARTTLS, STARTTLS is never answered
  tls_reset      STARTTLS accepted, a TCP reset after the ClientHello
  tls_good       a correct STARTTLS server (use with a big chain/cert)
  smtps_plain    port 465 (implicit TLS) answered with a plaintext banner
  imap_garbage   garbage as an IMAP greeting
  imap_capa_forever  "* CAPABILITY ..." lines forever after CAPABILITY
  imap_flood     an untagged "* n EXISTS" flood right after the greeting
  imap_inject    STARTTLS answered "OK" with an untagged line in the same
                 segment
  pop3_garbage   garbage as a POP3 greeting
  pop3_capa_forever  "+OK" then capability lines forever after CAPA
  pop3_flood     unsolicited "+OK" lines right after the greeting
  pop3_inject    STLS answered "+OK" with another line in the same segment
  buffered       the STARTTLS command injection flaw itself (CVE-2011-0411):
                 a command that came in clear text in the same write as
                 STARTTLS is kept and answered inside TLS
  imap_buffered  the same flaw in IMAP (the kept command's tagged reply)
  pop3_buffered  the same flaw in POP3 (-ERR for the kept NOOP)
  hold           a good banner, then silence (a probe holds its fd until
                 its timeout)
  slowbanner     the banner after 1 s, EHLO without STARTTLS, QUIT: a quick
                 starttls_missing, after time spent waiting in the banner
  slowtls        the banner after 1 s, then a correct STARTTLS session
  logforge       a 554 banner that tries to forge log keys: a '"' and
                 key=value pairs, backslashes, non-ASCII, and a bare newline
                 inside the (multi-line) reply

PORT may be a range, FIRST-LAST: one listener per port, same mode.
"""
import argparse
import asyncio
import os
import socket
import ssl
import struct
import sys
import time

MAX_BYTES = 16 * 1024 * 1024	# no case sends more on one connection
MAX_SECONDS = 60		# nor takes longer
LOG = sys.stderr


def log(case, peer, event, **kw):
    extra = "".join(" %s=%s" % (k, v) for k, v in kw.items())
    LOG.write("%.3f case=%s peer=%s event=%s%s\n" %
              (time.time(), case, peer, event, extra))
    LOG.flush()


class Conn:
    def __init__(self, case, reader, writer, sslctx):
        self.case, self.r, self.w, self.sslctx = case, reader, writer, sslctx
        p = writer.get_extra_info("peername")
        self.peer = "%s:%s" % (p[0], p[1]) if p else "?"
        self.sent = 0
        self.t0 = time.monotonic()

    def log(self, event, **kw):
        log(self.case, self.peer, event, **kw)

    async def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.w.write(data)
        self.sent += len(data)
        await self.w.drain()

    async def line(self, timeout=10):
        """One line from the client ('' at EOF)."""
        data = await asyncio.wait_for(self.r.readline(), timeout)
        return data.decode("latin-1").rstrip("\r\n")

    async def expect(self, verb, timeout=10):
        """Reads lines until one starts with verb; '' at EOF."""
        while True:
            l = await self.line(timeout)
            if l == "" or l.upper().startswith(verb):
                return l

    async def forever(self, make_line, first=None):
        """Sends lines until the client goes away or the bounds are hit."""
        if first is not None:
            await self.send(first)
        i = 0
        while self.sent < MAX_BYTES and time.monotonic() - self.t0 < MAX_SECONDS:
            await self.send(make_line(i))
            i += 1
            if i % 64 == 0:
                await asyncio.sleep(0)	# let the loop breathe
        self.log("bound_hit", sent=self.sent)

    def sock(self):
        return self.w.get_extra_info("socket")

    async def reset(self):
        """Closes with a TCP RST: SO_LINGER on, timeout 0."""
        s = self.sock()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.w.transport.abort()

    async def read_client_hello(self):
        """Reads the first TLS record from the client (bounded)."""
        data = await asyncio.wait_for(self.r.read(16384), 10)
        self.log("client_hello", bytes=len(data),
                 tls=int(len(data) > 0 and data[0] == 0x16))
        return data

    async def starttls_prologue(self):
        await self.send("220 hostile.test ESMTP\r\n")
        await self.expect("EHLO")
        await self.send("250-hostile.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        l = await self.expect("STARTTLS")
        return l != ""

    async def upgrade(self):
        """The server side of the TLS handshake on this connection."""
        if hasattr(self.w, "start_tls"):	# Python 3.11
            await self.w.start_tls(self.sslctx)
        else:
            loop = asyncio.get_running_loop()
            tr = await loop.start_tls(self.w.transport, self.w.transport.get_protocol(),
                                      self.sslctx, server_side=True)
            self.w._transport = tr
        self.log("tls_up", version=self.w.get_extra_info("ssl_object").version())


GARBAGE = b"\x00\xff\xfe\x16\x03\x01 not a banner \x1b[31m\x80\x81\r\n\xde\xad\xbe\xef\r\n"


async def smtp_garbage(c):
    await c.send(GARBAGE)
    await asyncio.sleep(5)


async def smtp_longline(c):
    chunk = b"220 " + b"A" * (64 * 1024 - 4)
    while c.sent < 1024 * 1024:
        await c.send(chunk if c.sent == 0 else b"A" * (64 * 1024))
    c.log("sent_1mb", sent=c.sent)
    await asyncio.sleep(5)


async def smtp_ehlo_forever(c):
    await c.send("220 hostile.test ESMTP\r\n")
    await c.expect("EHLO")
    await c.forever(lambda i: "250-KEYWORD%d never ends\r\n" % i,
                    first="250-hostile.test greets you\r\n")


async def smtp_slowloris(c):
    for b in b"220 slowly.hostile.test ESMTP\r\n":
        await c.send(bytes([b]))
        await asyncio.sleep(1)
        if time.monotonic() - c.t0 > MAX_SECONDS:
            break


async def smtp_close_banner(c):
    await c.send("220 hostile.test ESMTP closing now\r\n")
    c.w.close()


async def smtp_reset_banner(c):
    await c.reset()


async def smtp_inject(c):
    if await c.starttls_prologue():
        # The reply and an injected one in one write: one segment.
        await c.send("220 2.0.0 go ahead\r\n250 injected\r\n")
        await asyncio.sleep(5)


async def pending_after(c):
    """What a flawed server keeps: the lines the client sent in clear text
    behind STARTTLS (same write: already here, or within a moment)."""
    kept = []
    while len(kept) < 4:
        try:
            l = await c.line(timeout=0.3)
        except asyncio.TimeoutError:
            break
        if l == "":
            break
        kept.append(l)
    c.log("kept_plaintext", lines=len(kept))
    return kept


async def smtp_buffered(c):
    if await c.starttls_prologue():
        kept = await pending_after(c)
        await c.send("220 2.0.0 go ahead\r\n")
        await c.upgrade()
        for l in kept:		# the flaw: answered inside TLS
            await c.send("250 2.0.0 Ok (%s)\r\n" % l.split(" ")[0][:16])
        if await c.expect("QUIT"):
            await c.send("221 bye\r\n")


async def imap_buffered(c):
    await c.send("* OK hostile IMAP ready\r\n")
    l = await c.expect("A1 CAPABILITY")
    if not l:
        return
    await c.send("* CAPABILITY IMAP4rev1 STARTTLS\r\n%s OK done\r\n" % l.split(" ")[0])
    l = await c.expect("A2 STARTTLS")
    if not l:
        return
    kept = await pending_after(c)
    await c.send("%s OK begin TLS\r\n" % l.split(" ")[0])
    await c.upgrade()
    for k in kept:
        await c.send("%s OK NOOP completed\r\n" % k.split(" ")[0][:16])
    l = await c.expect("A3 LOGOUT")
    if l:
        await c.send("* BYE bye\r\n%s OK LOGOUT completed\r\n" % l.split(" ")[0])


async def pop3_buffered(c):
    await c.send("+OK hostile POP3 ready\r\n")
    if not await c.expect("CAPA"):
        return
    await c.send("+OK\r\nSTLS\r\n.\r\n")
    if not await c.expect("STLS"):
        return
    kept = await pending_after(c)
    await c.send("+OK begin TLS\r\n")
    await c.upgrade()
    for k in kept:
        await c.send("-ERR unknown command\r\n")
    if await c.expect("QUIT"):
        await c.send("+OK bye\r\n")


async def smtp_plaintalk(c):
    if await c.starttls_prologue():
        await c.send("220 2.0.0 go ahead\r\n")
        await c.read_client_hello()
        for i in range(20):
            await c.send("250 still plaintext %d\r\n" % i)
            await asyncio.sleep(0.05)
        await asyncio.sleep(5)


async def smtp_tls_alert(c):
    await alert_after_hello(c, 40)	# handshake_failure


async def alert_after_hello(c, code):
    """A fatal alert record (level 2) for the ClientHello."""
    if await c.starttls_prologue():
        await c.send("220 2.0.0 go ahead\r\n")
        await c.read_client_hello()
        await c.send(b"\x15\x03\x03\x00\x02\x02" + bytes([code]))
        await asyncio.sleep(5)


async def smtp_tls_alert_version(c):
    await alert_after_hello(c, 70)


async def smtp_tls_alert_sni(c):
    await alert_after_hello(c, 112)


async def smtp_tls_close(c):
    if await c.starttls_prologue():
        await c.send("220 2.0.0 go ahead\r\n")
        await c.read_client_hello()
        c.w.close()


async def smtp_tls_stall(c):
    if await c.starttls_prologue():
        await c.send("220 2.0.0 go ahead\r\n")
        await c.read_client_hello()
        await asyncio.sleep(MAX_SECONDS)


async def smtp_starttls_stall(c):
    if await c.starttls_prologue():
        await asyncio.sleep(MAX_SECONDS)


async def smtp_tls_reset(c):
    if await c.starttls_prologue():
        await c.send("220 2.0.0 go ahead\r\n")
        await c.read_client_hello()
        await c.reset()


async def smtp_tls_good(c):
    if await c.starttls_prologue():
        await c.send("220 2.0.0 go ahead\r\n")
        await c.upgrade()
        l = await c.expect("QUIT")
        if l:
            await c.send("221 bye\r\n")


async def smtp_smtps_plain(c):
    await c.send("220 hostile.test ESMTP (no TLS here)\r\n")
    await asyncio.sleep(5)


async def imap_garbage(c):
    await c.send(GARBAGE)
    await asyncio.sleep(5)


async def imap_capa_forever(c):
    await c.send("* OK hostile IMAP ready\r\n")
    l = await c.expect("A1 CAPABILITY")
    if l:
        await c.forever(lambda i: "* CAPABILITY IMAP4rev1 STARTTLS X-%d\r\n" % i)


async def imap_flood(c):
    await c.send("* OK hostile IMAP ready\r\n")
    await c.forever(lambda i: "* %d EXISTS\r\n" % i)


async def imap_inject(c):
    await c.send("* OK hostile IMAP ready\r\n")
    l = await c.expect("A1 CAPABILITY")
    if l:
        await c.send("* CAPABILITY IMAP4rev1 STARTTLS\r\n%s OK done\r\n" % l.split(" ")[0])
        l = await c.expect("A2 STARTTLS")
        if l:
            await c.send("%s OK begin TLS\r\n* OK injected\r\n" % l.split(" ")[0])
            await asyncio.sleep(5)


async def pop3_garbage(c):
    await c.send(GARBAGE)
    await asyncio.sleep(5)


async def pop3_capa_forever(c):
    await c.send("+OK hostile POP3 ready\r\n")
    l = await c.expect("CAPA")
    if l:
        await c.forever(lambda i: "X-CAPABILITY-%d\r\n" % i,
                        first="+OK capability list follows\r\n")


async def pop3_inject(c):
    await c.send("+OK hostile POP3 ready\r\n")
    if await c.expect("CAPA"):
        await c.send("+OK\r\nSTLS\r\nUSER\r\n.\r\n")
        if await c.expect("STLS"):
            await c.send("+OK begin TLS\r\n+OK injected\r\n")
            await asyncio.sleep(5)


async def pop3_flood(c):
    await c.send("+OK hostile POP3 ready\r\n")
    await c.forever(lambda i: "+OK unsolicited %d\r\n" % i)


async def smtp_hold(c):
    await c.send("220 hostile.test ESMTP hold\r\n")
    await asyncio.sleep(MAX_SECONDS)


async def smtp_slowbanner(c):
    await asyncio.sleep(1)
    await c.send("220 hostile.test ESMTP slow\r\n")
    if await c.expect("EHLO"):
        await c.send("250-hostile.test\r\n250 PIPELINING\r\n")
        if await c.expect("QUIT"):
            await c.send("221 bye\r\n")


async def smtp_slowtls(c):
    await asyncio.sleep(1)
    if await c.starttls_prologue():
        await c.send("220 2.0.0 go ahead\r\n")
        await c.upgrade()
        if await c.expect("QUIT"):
            await c.send("221 bye\r\n")


LOGFORGE = (b'554-hostile.test no" fake=1 caf\xc3\xa9 \\" esc=\\\\ level=error event=forged\n'
            b'554 event=forged2 \xc3\xa9 done\r\n')


async def smtp_logforge(c):
    await c.send(LOGFORGE)
    if await c.expect("QUIT"):
        await c.send("221 bye\r\n")


MODES = {name[5:] if name.startswith("smtp_") else name: fn
         for name, fn in list(globals().items())
         if name.startswith(("smtp_", "imap_", "pop3_")) and callable(fn)}


def make_ctx(chain, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain, key)
    return ctx


async def serve(case, addr, port, sslctx, counters):
    fn = MODES[case]

    async def handler(reader, writer):
        c = Conn(case, reader, writer, sslctx)
        counters[case] = counters.get(case, 0) + 1
        c.log("accept")
        why = "done"
        try:
            await asyncio.wait_for(fn(c), MAX_SECONDS + 5)
        except (ConnectionError, BrokenPipeError, asyncio.IncompleteReadError) as e:
            why = "client_gone(%s)" % type(e).__name__
        except asyncio.TimeoutError:
            why = "timeout"
        except ssl.SSLError as e:
            why = "ssl_error(%s)" % (e.reason or "?")
        except Exception as e:  # keep serving other connections
            why = "error(%s:%s)" % (type(e).__name__, str(e).replace(" ", "_")[:80])
        c.log("end", why=why, sent=c.sent,
              secs="%.2f" % (time.monotonic() - c.t0))
        try:
            writer.close()
        except Exception:
            pass

    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    return await asyncio.start_server(handler, addr, port, family=fam,
                                      reuse_address=True, limit=1 << 20)


async def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--log")
    ap.add_argument("--case", action="append", required=True,
                    help="MODE@ADDR:PORT[@CHAIN@KEY]")
    a = ap.parse_args()
    if a.log:
        LOG = open(a.log, "a", buffering=1)
    default = make_ctx(a.cert, a.key)
    servers, counters = [], {}
    for spec in a.case:
        parts = spec.split("@")
        mode, hp = parts[0], parts[1]
        if mode not in MODES:
            sys.exit("unknown mode %s (known: %s)" % (mode, " ".join(sorted(MODES))))
        addr, port = hp.rsplit(":", 1)
        first, _, last = port.partition("-")
        ctx = make_ctx(parts[2], parts[3]) if len(parts) == 4 else default
        for pn in range(int(first), int(last or first) + 1):
            servers.append(await serve(mode, addr.strip("[]"), pn, ctx, counters))
        log(mode, "-", "listening", at=hp)
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
