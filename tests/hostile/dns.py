#!/usr/bin/env python3
"""A scripted DNS responder for tests/integration/test_dns_faults.sh and
test_resource_faults.sh: UDP and TCP on ADDR:53, standing in for the
exporter's resolver.  Python 3 standard library only.

    dns.py --listen ADDR [--port 53] [--log FILE] [--zone ZONE]

Its behaviour is chosen by the name asked (ZONE defaults to faults.test;
every name below is under it, any depth: "_dmarc.servfail.ZONE" behaves as
"servfail.ZONE"):

  servfail.ZONE    SERVFAIL              refused.ZONE   REFUSED
  nx.ZONE          NXDOMAIN (as is every name not listed)
  timeout.ZONE     never answered (UDP dropped; TCP accepted, silent)
  garbage.ZONE     an answer with the right ID and junk after the header
  tc.ZONE          UDP: TC=1 and no records; TCP: the real answer
  tcsilent.ZONE    UDP: TC=1; TCP: accepted, never answered
  big.ZONE         a TXT of ~64 KB (UDP: TC=1, so TCP)
  loop.ZONE        a CNAME loop: loop -> loop2 -> loop
  boom.ZONE        an SPF include tree: 10 includes, each with 10 more, each
                   with 10 more (1111 records)
  tmo.ZONE         SPF including three names that time out
  ok.ZONE          a sane domain (SPF, DMARC), the control
  hosts.ZONE       hNNN.hosts.ZONE A 127.0.10.x (see HOSTS_NET)

Every domain has a null MX (RFC 7505) unless said otherwise, so nothing is
probed.  One log line per query: "proto=udp name=... type=MX action=...".
"""
import argparse
import asyncio
import os
import sys
import time

sys.dont_write_bytecode = True	# no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsmsg as d  # noqa: E402

ZONE = "faults.test"
LOG = sys.stderr
TTL = 1
BOOM_FANOUT, BOOM_DEPTH = 10, 3
HOSTS_NET = os.environ.get("HOSTS_NET", "127.0.10.200")


def log(**kw):
    LOG.write("%.3f %s\n" % (time.time(), " ".join("%s=%s" % kv for kv in kw.items())))
    LOG.flush()


def big_spf():
    text = "v=spf1"
    i = 0
    while len(text) < 64000:
        text += " ip4:198.51.%d.%d" % (i // 256 % 256, i % 256)
        i += 1
    return text + " -all"


BIG = big_spf()


def answer(q, proto):
    """-> (action, response bytes or None)"""
    name = q.name.lower().rstrip(".")
    if not (name == ZONE or name.endswith("." + ZONE)):
        return "refused_outside", d.response(q, d.REFUSED, aa=False)
    labels = name[:-len(ZONE) - 1].split(".") if name != ZONE else []
    case = labels[-1] if labels else ""
    inner = labels[:-1]		# what is left of the case label
    t = q.qtype

    def rr(rtype, value, owner=None):
        return (owner or q.name, rtype, TTL, value)

    def null_mx():
        return [rr(d.T_MX, (0, ""))] if t == d.T_MX and not inner else []

    def spf(text):
        return [rr(d.T_TXT, d.txt_strings(text))] if t == d.T_TXT and not inner else []

    if case == "servfail":
        return "servfail", d.response(q, d.SERVFAIL, aa=False)
    if case == "refused":
        return "refused", d.response(q, d.REFUSED, aa=False)
    if case == "timeout":
        return "drop", None
    if case == "garbage":
        # the header and question right, ANCOUNT 5, then junk
        resp = bytearray(d.response(q))
        resp[6:8] = b"\x00\x05"
        return "garbage", bytes(resp) + b"\xc0\xff\x07junk" * 3
    if case == "tcsilent":
        if proto == "udp":
            return "truncated", d.response(q, tc=True)
        return "drop", None
    if case == "tc":
        if proto == "udp":
            return "truncated", d.response(q, tc=True)
        ans = null_mx() + spf("v=spf1 ip4:192.0.2.0/24 -all")
        if inner == ["_dmarc"] and t == d.T_TXT:
            ans = [rr(d.T_TXT, "v=DMARC1; p=reject")]
        return "tcp_answer", d.response(q, answers=ans)
    if case == "big":
        ans = null_mx() + spf(BIG)
        resp = d.response(q, answers=ans)
        limit = q.edns or 512
        if proto == "udp" and len(resp) > limit:
            return "truncated", d.response(q, tc=True)
        return "answer", resp
    if case == "loop":
        # loop.ZONE -> loop2.loop.ZONE -> loop.ZONE, whatever is asked
        other = "loop2.loop." + ZONE if not inner else "loop." + ZONE
        back = q.name if not inner else "loop2.loop." + ZONE
        return "cname_loop", d.response(q, answers=[
            rr(d.T_CNAME, other), (other, d.T_CNAME, TTL, back)])
    if case == "boom":
        # inner: [] at the top, ["3"] , ["3-7"], ["3-7-1"] below
        if t == d.T_MX and not inner:
            return "answer", d.response(q, answers=null_mx())
        if t != d.T_TXT or len(inner) > 1 or (inner and inner[0].startswith("_")):
            return "nodata", d.response(q)
        path = inner[0].split("-") if inner else []
        if len(path) >= BOOM_DEPTH:
            text = "v=spf1 ip4:192.0.2.%d -all" % (len(path) + 100)
        else:
            pre = "-".join(path) + "-" if path else ""
            text = "v=spf1 " + " ".join(
                "include:%s%d.boom.%s" % (pre, i, ZONE)
                for i in range(1, BOOM_FANOUT + 1)) + " -all"
        return "boom_level%d" % len(path), d.response(q, answers=[rr(d.T_TXT, d.txt_strings(text))])
    if case == "tmo":
        return "answer", d.response(q, answers=null_mx() + spf(
            "v=spf1 include:a.timeout.%s include:b.timeout.%s include:c.timeout.%s -all"
            % (ZONE, ZONE, ZONE)))
    if case == "ok":
        ans = null_mx() + spf("v=spf1 ip4:192.0.2.0/24 -all")
        if inner == ["_dmarc"] and t == d.T_TXT:
            ans = [rr(d.T_TXT, "v=DMARC1; p=none")]
        return "answer", d.response(q, answers=ans)
    if case == "hosts":
        # hN.hosts.ZONE: A HOSTS_NET's first three octets + N
        if len(inner) == 1 and inner[0][:1] == "h" and inner[0][1:].isdigit():
            if t == d.T_A:
                net = HOSTS_NET.rsplit(".", 1)[0]
                return "answer", d.response(q, answers=[
                    rr(d.T_A, "%s.%d" % (net, int(inner[0][1:]) % 256))])
            return "nodata", d.response(q)
        return "nxdomain", d.response(q, d.NXDOMAIN)
    if not labels:		# the zone apex
        return "answer", d.response(q, answers=null_mx())
    return "nxdomain", d.response(q, d.NXDOMAIN)


def handle(data, proto):
    try:
        q = d.Query(data)
    except Exception as e:
        log(proto=proto, event="bad_query", error=type(e).__name__)
        return None
    action, resp = answer(q, proto)
    log(proto=proto, name=q.name.lower(), type=d.TYPE_NAMES.get(q.qtype, q.qtype),
        action=action, bytes=len(resp) if resp else 0)
    return resp


class Udp(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.t = transport

    def datagram_received(self, data, addr):
        resp = handle(data, "udp")
        if resp is not None:
            self.t.sendto(resp, addr)


async def tcp_client(reader, writer):
    try:
        for _ in range(100):		# bounded: 100 queries per connection
            hdr = await asyncio.wait_for(reader.readexactly(2), 30)
            n = int.from_bytes(hdr, "big")
            data = await asyncio.wait_for(reader.readexactly(n), 30)
            resp = handle(data, "tcp")
            if resp is None:
                continue		# never answered; later queries are
            writer.write(len(resp).to_bytes(2, "big") + resp)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    global LOG, ZONE
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--log")
    ap.add_argument("--zone", default=ZONE)
    a = ap.parse_args()
    ZONE = a.zone.lower().rstrip(".")
    if a.log:
        LOG = open(a.log, "a", buffering=1)
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Udp, local_addr=(a.listen, a.port))
    srv = await asyncio.start_server(tcp_client, a.listen, a.port, reuse_address=True)
    print("ready", flush=True)
    await srv.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
