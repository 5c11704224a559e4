#!/usr/bin/env python3
"""Writes the seeds of fuzz/corpus/dns_answer/: DNS answers as resolvers
send them (MX, null MX, A, AAAA, TXT split into strings and records, CNAME
chains, PTR, compression, EDNS) and as hostile ones might (pointer loops,
truncation, counts that lie, 64 KB TXT).  Run from anywhere:
    python3 fuzz/gen_dns_corpus.py      (rewrites the dns_answer seeds)"""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True	# no __pycache__ in the tree
sys.path.insert(0, os.path.join(here, "..", "tests", "hostile"))
import dnsmsg as d  # noqa: E402

out = os.path.join(here, "corpus", "dns_answer")
os.makedirs(out, exist_ok=True)


def q(name, t):
    return d.Query(d.query(name, t))


def put(fname, data):
    with open(os.path.join(out, fname), "wb") as f:
        f.write(data)


D = "example.org"
put("mx_two", d.response(q(D, d.T_MX), answers=[
    (D, d.T_MX, 300, (10, "MX1.example.org")),
    (D, d.T_MX, 300, (20, "mx2.example.org."))]))
put("mx_nocomp", d.response(q(D, d.T_MX), compress=False, answers=[
    (D, d.T_MX, 300, (0, "mail.example.net"))]))
put("mx_null", d.response(q(D, d.T_MX), answers=[(D, d.T_MX, 300, (0, ""))]))
put("mx_nxdomain", d.response(q("nx." + D, d.T_MX), rcode=d.NXDOMAIN))
put("mx_servfail", d.response(q(D, d.T_MX), rcode=d.SERVFAIL))
put("mx_refused", d.response(q(D, d.T_MX), rcode=d.REFUSED))
put("mx_nodata", d.response(q(D, d.T_MX)))
put("a_three", d.response(q(D, d.T_A), answers=[
    (D, d.T_A, 60, "192.0.2.%d" % i) for i in range(1, 4)]))
put("a_cname", d.response(q("www." + D, d.T_A), answers=[
    ("www." + D, d.T_CNAME, 60, "web." + D),
    ("web." + D, d.T_A, 60, "192.0.2.80")]))
put("a_cname_loop", d.response(q("l1." + D, d.T_A), answers=[
    ("l1." + D, d.T_CNAME, 60, "l2." + D),
    ("l2." + D, d.T_CNAME, 60, "l1." + D)]))
put("a_many", d.response(q(D, d.T_A), answers=[
    (D, d.T_A, 60, "198.51.100.%d" % i) for i in range(70)]))
put("aaaa_two", d.response(q(D, d.T_AAAA), answers=[
    (D, d.T_AAAA, 60, "2001:db8::1"), (D, d.T_AAAA, 60, "::1")]))
put("aaaa_mixed", d.response(q(D, d.T_AAAA), answers=[
    (D, d.T_A, 60, "192.0.2.1"), (D, d.T_AAAA, 60, "2001:db8::25")]))
put("txt_spf", d.response(q(D, d.T_TXT), answers=[
    (D, d.T_TXT, 300, "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net ~all"),
    (D, d.T_TXT, 300, "google-site-verification=xyz")]))
put("txt_split", d.response(q(D, d.T_TXT), answers=[
    (D, d.T_TXT, 300, ["v=spf1 ", "ip4:192.0.2.1 ", "", "-all"])]))
put("txt_dmarc", d.response(q("_dmarc." + D, d.T_TXT), answers=[
    ("_dmarc." + D, d.T_TXT, 300, "v=DMARC1; p=reject; rua=mailto:r@" + D)]))
put("txt_dkim", d.response(q("s._domainkey." + D, d.T_TXT), answers=[
    ("s._domainkey." + D, d.T_TXT, 300, ["v=DKIM1; k=ed25519; ",
     "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="])]))
put("txt_nul", d.response(q(D, d.T_TXT), answers=[
    (D, d.T_TXT, 300, [b"v=spf1\0 -all", b"\0"])]))
put("txt_64k", d.response(q(D, d.T_TXT), answers=[
    (D, d.T_TXT, 300, d.txt_strings(b"v=spf1 " + b"x" * 64000))]))
put("txt_edns", d.response(q(D, d.T_TXT), edns=1232, answers=[
    (D, d.T_TXT, 300, "v=spf1 -all")]))
put("txt_tc", d.response(q(D, d.T_TXT), tc=True))
put("ptr", d.response(q("1.2.0.192.in-addr.arpa", d.T_PTR), answers=[
    ("1.2.0.192.in-addr.arpa", d.T_PTR, 60, "mail." + D),
    ("1.2.0.192.in-addr.arpa", d.T_PTR, 60, "alias." + D)]))

# Hostile shapes, made by hand.
base = bytearray(d.response(q(D, d.T_MX), answers=[
    (D, d.T_MX, 300, (10, "mx1.example.org"))]))
loop = bytearray(base)
loop[-2:] = b"\xc0" + bytes([len(loop) - 2])	# a pointer to itself
put("ptr_self_loop", bytes(loop))
put("truncated_mid_rr", bytes(base[:len(base) - 5]))
lie = bytearray(base)
lie[6:8] = struct.pack(">H", 50)			# ANCOUNT says 50
put("ancount_lies", bytes(lie))
badlen = bytearray(base)
# RDLENGTH of the MX record far past the end
rdoff = len(base) - len(b"\x00\x0a\x03mx1\xc0\x0c") - 2
badlen[rdoff:rdoff + 2] = b"\xff\xf0"
put("rdlength_past_end", bytes(badlen))
put("header_only", bytes(base[:12]))
put("empty", b"")
put("forward_ptr", bytes(base[:12]) + b"\xc0\x40" + bytes(base[14:]))
print("wrote", len(os.listdir(out)), "seeds to", out)
