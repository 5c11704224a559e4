"""DNS wire format, just enough for the hostile tests: parse a query, build
answers (A, AAAA, MX, TXT, CNAME, PTR), with or without name compression.
Standard library only.  Used by dns.py (the scripted responder) and by
gen_dns_corpus.py (the seeds of fuzz/corpus/dns_answer)."""
import struct

T_A, T_NS, T_CNAME, T_SOA, T_PTR, T_MX, T_TXT, T_AAAA, T_OPT = \
    1, 2, 5, 6, 12, 15, 16, 28, 41
TYPE_NAMES = {T_A: "A", T_NS: "NS", T_CNAME: "CNAME", T_SOA: "SOA",
              T_PTR: "PTR", T_MX: "MX", T_TXT: "TXT", T_AAAA: "AAAA",
              T_OPT: "OPT"}
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5


def enc_name(name, comp=None, offset=0):
    """name -> wire labels.  comp: dict suffix -> offset for compression
    (filled as names are written at offset); None: no compression."""
    name = name.rstrip(".")
    out = b""
    labels = name.split(".") if name else []
    for i in range(len(labels)):
        suffix = ".".join(labels[i:]).lower()
        if comp is not None and suffix in comp:
            return out + struct.pack(">H", 0xC000 | comp[suffix])
        if comp is not None and offset + len(out) < 0x3FFF:
            comp[suffix] = offset + len(out)
        lab = labels[i].encode("latin-1")
        if not 0 < len(lab) < 64:
            raise ValueError("bad label in %r" % name)
        out += bytes([len(lab)]) + lab
    return out + b"\0"


def dec_name(msg, off):
    """-> (name, offset after the name in place).  Follows pointers, at
    most 64 of them."""
    labels, jumps, end = [], 0, None
    while True:
        if off >= len(msg):
            raise ValueError("name runs off the message")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ValueError("truncated pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumps += 1
            if jumps > 64:
                raise ValueError("pointer loop")
            continue
        if n == 0:
            return ".".join(labels), (end if end is not None else off + 1)
        labels.append(msg[off + 1:off + 1 + n].decode("latin-1"))
        off += 1 + n


class Query:
    def __init__(self, data):
        if len(data) < 12:
            raise ValueError("short header")
        (self.id, self.flags, qd, an, ns, ar) = struct.unpack(">6H", data[:12])
        if qd != 1:
            raise ValueError("qdcount %d" % qd)
        self.name, off = dec_name(data, 12)
        self.qtype, self.qclass = struct.unpack(">HH", data[off:off + 4])
        self.question = data[12:off + 4]
        off += 4
        self.edns = None		# the client's UDP payload size
        for _ in range(an + ns + ar):
            _, off = dec_name(data, off)
            rtype, rclass, _ttl, rdlen = struct.unpack(">HHIH", data[off:off + 10])
            if rtype == T_OPT:
                self.edns = rclass
            off += 10 + rdlen
        self.rd = bool(self.flags & 0x0100)


def rdata(rtype, value, comp=None, offset=0):
    """value: A/AAAA text address, MX (pref, host), TXT list of bytes
    strings (or one str), CNAME/PTR/NS host name."""
    import socket
    if rtype == T_A:
        return socket.inet_pton(socket.AF_INET, value)
    if rtype == T_AAAA:
        return socket.inet_pton(socket.AF_INET6, value)
    if rtype == T_MX:
        return struct.pack(">H", value[0]) + enc_name(value[1], comp, offset + 2)
    if rtype == T_TXT:
        if isinstance(value, (str, bytes)):
            value = [value]
        out = b""
        for s in value:
            if isinstance(s, str):
                s = s.encode("latin-1")
            if len(s) > 255:
                raise ValueError("TXT string over 255 bytes")
            out += bytes([len(s)]) + s
        return out
    if rtype in (T_CNAME, T_PTR, T_NS):
        return enc_name(value, comp, offset)
    raise ValueError("type %d" % rtype)


def txt_strings(text):
    """A long text as <=255-byte strings (they join with nothing)."""
    if isinstance(text, str):
        text = text.encode("latin-1")
    return [text[i:i + 255] for i in range(0, len(text), 255)] or [b""]


def response(q, rcode=NOERROR, answers=(), tc=False, aa=True, compress=True,
             edns=None):
    """answers: (name, type, ttl, value).  Echoes the question.  edns: UDP
    payload size to put in an OPT record (None: none)."""
    # QR, the opcode and RD echoed, AA, TC, RA (we stand in for a resolver)
    flags = 0x8000 | (q.flags & 0x7900) | (0x0400 if aa else 0) | \
        (0x0200 if tc else 0) | 0x0080 | rcode
    comp = {} if compress else None
    out = bytearray(struct.pack(">6H", q.id, flags, 1, len(answers), 0,
                                1 if edns else 0))
    out += enc_name(q.name, comp, len(out))
    out += struct.pack(">HH", q.qtype, q.qclass)
    for name, rtype, ttl, value in answers:
        out += enc_name(name, comp, len(out))
        out += struct.pack(">HHI", rtype, 1, ttl)
        rd = rdata(rtype, value, comp, len(out) + 2)
        out += struct.pack(">H", len(rd)) + rd
    if edns:
        out += b"\0" + struct.pack(">HHIH", T_OPT, edns, 0, 0)
    return bytes(out)


def query(name, qtype, qid=0x1234, edns=1232):
    """A client query (for the corpus generator and self-tests)."""
    out = struct.pack(">6H", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    out += enc_name(name) + struct.pack(">HH", qtype, 1)
    if edns:
        out += b"\0" + struct.pack(">HHIH", T_OPT, edns, 0, 0)
    return out
