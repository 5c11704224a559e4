#!/usr/bin/env python3
"""`make bench SCALE=domains`: one exporter, N generated domains in the
shapes real users have, every check on (MX, probes, SPF, DKIM, DMARC,
MTA-STS, TLS-RPT, DNSSEC and DANE), with sharing on and off.

    python3 bench/domains.py --n 10000 [--rounds 10] [--tools build/bench]
        [--exporter ./mailsec_exporter] [--skip off,daemon,scrape]

The servers, all on loopback (127.0.20.0/24, as bench/bench.py):
  * NSD serving bench.test (unsigned) and sec.test (signed, with TLSA
    records; its trust anchor given to the exporter's validator);
  * nginx: the SMTP STARTTLS mail proxy on 8 addresses (the MX hosts) and
    an HTTPS server answering every mta-sts.<domain> with a policy.
The domains (domain i):
  * 80 % on 5 shared MX clusters (cK-mx1, cK-mx2.bench.test), 20 % with an
    MX host of their own (mx-dI.bench.test), each on one of the 8 nginx
    addresses: 10 + N/5 distinct servers;
  * a tenth of them in the signed zone sec.test (sI.sec.test) with a TLSA
    record for their own MX host (mx-sI.sec.test) or a cluster's;
  * SPF with 1-3 includes drawn from 20 shared include trees (each two
    levels deep), the cluster's tree for cluster domains; DMARC; 1-2 DKIM
    selectors (2048-bit keys); MTA-STS (id record + policy over HTTPS);
    TLS-RPT;
  * a few hostile domains: an SPF include explosion, an SPF include loop,
    20 MX hosts where nothing listens, an MX host that does not exist.
The exporter runs --once with share = on and share = off, then as a daemon
for --rounds rounds and is scraped.  See bench/README.md ("Many domains").
"""
import argparse
import base64
import gzip as gz
import json
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench as B  # noqa: E402

OUT = os.path.join(B.OUT, "domains")
HTTPS_ADDR = "127.0.20.110"
DEAD_ADDR = "127.0.20.250"	# nothing listens: connections refused
CLUSTERS = 5
TREES = 20
SEC = "sec.test"
PARENT = "test"		# both zones' parent, served too (write_zones)
REVERSE = "20.0.127.in-addr.arpa"	# 127.0.20.0/24's PTR records
GROUP = 200			# mta-sts names per HTTPS certificate
HOSTILE = ["h-spfboom", "h-spfloop", "h-manymx", "h-nomxhost"]


def sh(argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


# --------------------------------------------------------------------------
# the domains


def domain_name(i, n):
    """The tenth with i % 10 == 9 is in the signed zone."""
    return ("s%d.%s" % (i, SEC)) if i % 10 == 9 else ("d%d.%s" % (i, B.DOMAIN))


def own_mx(i):
    return i % 5 == 0


def cluster_of(i):
    return (i // 5) % CLUSTERS


def mx_hosts(i, n):
    if own_mx(i):
        if i % 10 == 9:
            return ["mx-s%d.%s" % (i, SEC)]
        return ["mx-d%d.%s" % (i, B.DOMAIN)]
    k = cluster_of(i)
    return ["c%d-mx1.%s" % (k, B.DOMAIN), "c%d-mx2.%s" % (k, B.DOMAIN)]


def selectors(i):
    return ["s1"] if i % 2 else ["s1", "s2"]


def trees_of(i):
    k = 1 + (i * 7) % 3
    return sorted({(i * 13 + j * 7) % TREES for j in range(k)})


# The parts of mailsec_exporter_result_bytes that are the domain's own
# facts; the others (mx, dane, dnssec, mx_hygiene) are mostly its MX hosts'.
OWN_PARTS = ("result", "records", "mta_sts")


def own_questions(i, n):
    """The (name, type) pairs the exporter asks about names only domain i
    has: no other domain's answer serves them, so no answer cache and no
    sharing can save them (the floor of the DNS questions per domain)."""
    d = domain_name(i, n)
    q = [(d, "MX"), (d, "TXT"), ("_dmarc." + d, "TXT"), ("_mta-sts." + d, "TXT"),
         ("_smtp._tls." + d, "TXT"), ("mta-sts." + d, "A"), ("mta-sts." + d, "AAAA"),
         (d, "DNSKEY")]                 # the validator: the domain's zone status
    q += [("%s._domainkey.%s" % (s, d), "TXT") for s in selectors(i)]
    if own_mx(i):                       # its own MX host: hygiene, DNSSEC, DANE
        h = mx_hosts(i, n)[0]
        q += [(h, t) for t in ("A", "AAAA", "CNAME", "CAA", "DNSKEY")]
        q.append(("_25._tcp." + h, "TLSA"))
    return q


def distinct_servers(n):
    return CLUSTERS * 2 + sum(1 for i in range(n) if own_mx(i))


def dkim_txt(pki):
    """The p= of a real 2048-bit key, as TXT strings of at most 255."""
    der = subprocess.run(["openssl", "pkey", "-in", pki + "/dkim.key", "-pubout",
                          "-outform", "DER"], check=True, stdout=subprocess.PIPE).stdout
    rec = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    return " ".join('"%s"' % rec[j:j + 250] for j in range(0, len(rec), 250))


def tlsa_311(pki):
    der = subprocess.run(["openssl", "x509", "-in", pki + "/mx.crt", "-pubkey", "-noout"],
                         check=True, stdout=subprocess.PIPE).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der,
                          check=True, stdout=subprocess.PIPE).stdout
    import hashlib
    return hashlib.sha256(spki).hexdigest()


def mail_addr(i):
    return B.MAIL_ADDRS[i % len(B.MAIL_ADDRS)]


def domain_records(i, n, dkim, origin):
    """The records of domain i, relative to its zone's origin."""
    name = domain_name(i, n)
    rel = name[:-(len(origin) + 1)]
    out = []
    for pref, h in zip((10, 20), mx_hosts(i, n)):
        out.append("%s IN MX %d %s." % (rel, pref, h))
    if own_mx(i):
        host = mx_hosts(i, n)[0]
        out.append("%s IN A %s" % (host[:-(len(origin) + 1)], mail_addr(i)))
        spf = ["mx"]
    else:
        spf = ["include:_spf.c%d.%s" % (cluster_of(i), B.DOMAIN)]
    spf += ["include:_spf.i%d.%s" % (t, B.DOMAIN) for t in trees_of(i)]
    out.append('%s IN TXT "v=spf1 %s -all"' % (rel, " ".join(spf)))
    out.append('_dmarc.%s IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@%s"' % (rel, name))
    for s in selectors(i):
        out.append("%s._domainkey.%s IN TXT %s" % (s, rel, dkim))
    out.append('_mta-sts.%s IN TXT "v=STSv1; id=20261203"' % rel)
    out.append("mta-sts.%s IN A %s" % (rel, HTTPS_ADDR))
    out.append('_smtp._tls.%s IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@%s"' % (rel, name))
    return out


def zone_head(origin):
    return ("$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n"
            "@ IN NS ns\nns IN A %s\n" % (origin, origin, origin, B.NS_ADDR))


def write_zones(d, n, pki):
    dkim = dkim_txt(pki)
    tlsa = tlsa_311(pki)
    with open(d + "/%s.zone" % B.DOMAIN, "w") as f:
        f.write(zone_head(B.DOMAIN))
        for a in range(1, 255):
            f.write("r%d IN A 127.0.20.%d\n" % (a, a))
        for k in range(CLUSTERS):
            ips = []
            for j in (1, 2):
                a = B.MAIL_ADDRS[(2 * k + j) % len(B.MAIL_ADDRS)]
                f.write("c%d-mx%d IN A %s\n" % (k, j, a))
                ips.append(a)
            f.write('_spf.c%d IN TXT "v=spf1 %s -all"\n'
                    % (k, " ".join("ip4:" + a for a in ips)))
        # Names inside TXT are not relative to $ORIGIN: spelt in full.
        # (Spelt "_a.i0", the walk asked a name nobody serves, refused,
        # never cached: 0.6 of the 13.7 questions per domain measured at
        # 10,000 before, and every tree's SPF a permerror.)
        for t in range(TREES):
            f.write('_spf.i%d IN TXT "v=spf1 ip4:10.%d.0.0/16 include:_a.i%d.%s include:_b.i%d.%s ~all"\n'
                    % (t, t, t, B.DOMAIN, t, B.DOMAIN))
            f.write('_a.i%d IN TXT "v=spf1 ip4:10.%d.1.0/24 ip6:fd00:%x::/48 ~all"\n' % (t, t, t))
            # 3 lookups a tree: 3 trees and the cluster's include, or the
            # own MX's mx, stay within RFC 7208's 10 (with an a: term
            # here 1,000 of 3,000 domains were a permerror).
            f.write('_b.i%d IN TXT "v=spf1 ip4:10.%d.2.0/24 ~all"\n' % (t, t))
        for i in range(n):
            if i % 10 != 9:
                f.write("\n".join(domain_records(i, n, dkim, B.DOMAIN)) + "\n")
        # hostile
        f.write('h-spfboom IN MX 10 c0-mx1.%s.\n' % B.DOMAIN)
        f.write('h-spfboom IN TXT "v=spf1 %s " "%s -all"\n'
                % (" ".join("include:_x%d.h-spfboom.%s" % (j, B.DOMAIN) for j in range(6)),
                   " ".join("include:_x%d.h-spfboom.%s" % (j, B.DOMAIN) for j in range(6, 12))))
        for j in range(12):
            f.write('_x%d.h-spfboom IN TXT "v=spf1 %s " "%s ~all"\n'
                    % (j, " ".join("include:_y%d.h-spfboom.%s" % (k, B.DOMAIN)
                                   for k in range(4)),
                       " ".join("include:_y%d.h-spfboom.%s" % (k, B.DOMAIN)
                                for k in range(4, 8))))
        for k in range(8):
            f.write('_y%d.h-spfboom IN TXT "v=spf1 a:nx%d.h-spfboom.%s mx:nx%d.h-spfboom.%s ~all"\n'
                    % (k, k, B.DOMAIN, k, B.DOMAIN))
        f.write('h-spfloop IN MX 10 c1-mx1.%s.\n' % B.DOMAIN)
        f.write('h-spfloop IN TXT "v=spf1 include:h-spfloop.%s -all"\n' % B.DOMAIN)
        for j in range(20):
            f.write("h-manymx IN MX %d dead%d.h-manymx\ndead%d.h-manymx IN A %s\n"
                    % (j, j, j, DEAD_ADDR))
        f.write("h-nomxhost IN MX 10 nothere.%s.\n" % B.DOMAIN)
    with open(d + "/%s.zone" % SEC, "w") as f:
        f.write(zone_head(SEC))
        for i in range(n):
            if i % 10 == 9:
                f.write("\n".join(domain_records(i, n, dkim, SEC)) + "\n")
                if own_mx(i):
                    f.write("_25._tcp.mx-s%d IN TLSA 3 1 1 %s\n" % (i, tlsa))
    # The parent, "test": the CAA climb of a host's name (RFC 8659) ends
    # there, and a name nobody serves is refused, never cached: asked
    # again by every domain (0.18 per domain at 3,000).  Served, its
    # NODATA is cached as a real TLD's would be.
    with open(d + "/%s.zone" % PARENT, "w") as f:
        f.write(zone_head(PARENT))
    # The MX addresses' reverse zone: each address's PTR (MX hygiene asks
    # it, then the name's A) once per TTL, not refused for every domain
    # (0.8 questions per domain at 3,000 without it).
    with open(d + "/%s.zone" % REVERSE, "w") as f:
        f.write(zone_head(REVERSE))
        for a in range(1, 255):
            f.write("%d IN PTR r%d.%s.\n" % (a, a, B.DOMAIN))
    # sign sec.test (tests/lib/nsd.sh t_zone_sign does the same)
    kd = d + "/keys"
    os.makedirs(kd, exist_ok=True)
    ksk = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", SEC], cwd=kd,
                         check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    zsk = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", SEC], cwd=kd,
                         check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    sh(["ldns-signzone", "-f", d + "/%s.zone.signed" % SEC, d + "/%s.zone" % SEC,
        kd + "/" + ksk, kd + "/" + zsk])
    os.replace(d + "/%s.zone.signed" % SEC, d + "/%s.zone" % SEC)
    with open(d + "/trust-anchors", "w") as f:
        f.write("".join(x for x in open(kd + "/" + ksk + ".key") if not x.startswith(";")))


def start_nsd(n, pki):
    d = os.path.join(OUT, "nsd")
    os.makedirs(d, exist_ok=True)
    write_zones(d, n, pki)
    with open(d + "/nsd.conf", "w") as f:
        f.write("""server:
	ip-address: {ns}
	port: 53
	do-ip6: no
	zonesdir: "{d}"
	pidfile: "{d}/nsd.pid"
	database: ""
	xfrdfile: "{d}/xfrd.state"
	zonelistfile: "{d}/zone.list"
	logfile: "{d}/nsd.log"
	username: ""
	chroot: ""
	server-count: 1
	verbosity: 0
	hide-version: yes
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
	statistics: 0
remote-control:
	control-enable: yes
	control-interface: {d}/nsd.ctl
zone:
	name: "{z1}"
	zonefile: "{z1}.zone"
zone:
	name: "{z2}"
	zonefile: "{z2}.zone"
zone:
	name: "{z3}"
	zonefile: "{z3}.zone"
zone:
	name: "{z4}"
	zonefile: "{z4}.zone"
""".format(ns=B.NS_ADDR, d=d, z1=B.DOMAIN, z2=SEC, z3=PARENT, z4=REVERSE))
    sh(["nsd-checkconf", d + "/nsd.conf"])
    for z in (B.DOMAIN, SEC, PARENT, REVERSE):
        r = subprocess.run(["nsd-checkzone", z, "%s/%s.zone" % (d, z)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError("zone %s does not load: %s" % (z, r.stdout[-500:]))
    p = B.PROCS.start("nsd", ["nsd", "-d", "-c", d + "/nsd.conf"],
                      stdout=open(d + "/stdout", "w"), stderr=subprocess.STDOUT)
    if not B.wait_port(B.NS_ADDR, 53, 60):
        raise RuntimeError("nsd does not answer (see %s/nsd.log)" % d)
    return p, d


def nsd_queries(d):
    r = subprocess.run(["nsd-control", "-c", d + "/nsd.conf", "stats_noreset"],
                       stdout=subprocess.PIPE, text=True, check=True)
    m = re.search(r"^num\.queries=(\d+)", r.stdout, re.M)
    return int(m.group(1))


# --------------------------------------------------------------------------
# certificates and nginx


def make_pki(n):
    d = B.make_pki("rsa2048")	# the CA and *.bench.test (unused here)
    q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sh(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
        "-out", d + "/dkim.key"])

    def leaf(name, sans):
        with open(d + "/%s.ext" % name, "w") as f:
            f.write("basicConstraints = critical, CA:FALSE\n"
                    "keyUsage = critical, digitalSignature, keyEncipherment\n"
                    "extendedKeyUsage = serverAuth\n"
                    "subjectAltName = %s\n" % ",".join("DNS:" + s for s in sans))
        subprocess.run(["openssl", "x509", "-req", "-in", d + "/leaf.csr", "-CA",
                        d + "/ca.crt", "-CAkey", d + "/ca.key", "-CAcreateserial",
                        "-days", "365", "-extfile", d + "/%s.ext" % name,
                        "-out", d + "/%s.crt" % name], check=True, **q)
        with open(d + "/%s.chain.pem" % name, "w") as f:
            f.write(open(d + "/%s.crt" % name).read() + open(d + "/ca.crt").read())

    leaf("mx", ["*." + B.DOMAIN, "*." + SEC])
    names = ["mta-sts." + domain_name(i, n) for i in range(n)]
    groups = [names[j:j + GROUP] for j in range(0, len(names), GROUP)]
    for g, ns in enumerate(groups):
        leaf("sts%d" % g, ns)
    return d, groups


def start_nginx(pki, groups):
    d = os.path.join(OUT, "nginx")
    os.makedirs(d + "/tmp", exist_ok=True)
    listens = "".join("\t\tlisten %s:25 backlog=4096;\n" % a for a in B.MAIL_ADDRS)
    sts = "".join("""	server {{
		listen {a}:443 ssl;
		server_name {names};
		ssl_certificate {pki}/sts{g}.chain.pem;
		ssl_certificate_key {pki}/leaf.key;
		location = /.well-known/mta-sts.txt {{
			default_type text/plain;
			return 200 "version: STSv1\\nmode: enforce\\nmx: *.{dom}\\nmx: *.{sec}\\nmax_age: 604800\\n";
		}}
	}}
""".format(a=HTTPS_ADDR, names=" ".join(ns), pki=pki, g=g, dom=B.DOMAIN, sec=SEC)
                  for g, ns in enumerate(groups))
    conf = """# Written by bench/domains.py.
load_module /usr/lib/nginx/modules/ngx_mail_module.so;
worker_processes 2;
worker_rlimit_nofile 20000;
daemon off;
master_process on;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{
	worker_connections 9000;
	multi_accept on;
}}
http {{
	access_log off;
	server_names_hash_max_size 65536;
	server_names_hash_bucket_size 128;
	client_body_temp_path {d}/tmp/body;
	proxy_temp_path {d}/tmp/proxy;
	fastcgi_temp_path {d}/tmp/fastcgi;
	uwsgi_temp_path {d}/tmp/uwsgi;
	scgi_temp_path {d}/tmp/scgi;
	ssl_protocols TLSv1.2 TLSv1.3;
	server {{
		listen {ha}:{hp};
		location = /auth {{
			add_header Auth-Status OK;
			add_header Auth-Server 127.0.20.100;
			add_header Auth-Port 2525;
			return 204;
		}}
		location = /status {{
			stub_status;
		}}
	}}
{sts}}}
mail {{
	server_name mx.{dom};
	auth_http {ha}:{hp}/auth;
	ssl_certificate {pki}/mx.chain.pem;
	ssl_certificate_key {pki}/leaf.key;
	ssl_protocols TLSv1.2 TLSv1.3;
	server {{
{listens}		protocol smtp;
		starttls on;
		smtp_auth login plain;
	}}
}}
""".format(d=d, ha=B.HTTP_ADDR, hp=B.HTTP_PORT, pki=pki, dom=B.DOMAIN, listens=listens,
           sts=sts)
    with open(d + "/nginx.conf", "w") as f:
        f.write(conf)
    sh(["nginx", "-t", "-q", "-p", d, "-e", d + "/error.log", "-c", d + "/nginx.conf"])
    p = B.PROCS.start("nginx", ["nginx", "-p", d, "-e", d + "/error.log", "-c",
                                d + "/nginx.conf"],
                      stdout=open(d + "/stdout", "w"), stderr=subprocess.STDOUT)
    for a, port in [(x, 25) for x in B.MAIL_ADDRS] + [(HTTPS_ADDR, 443),
                                                       (B.HTTP_ADDR, B.HTTP_PORT)]:
        if not B.wait_port(a, port, 30):
            raise RuntimeError("nginx does not listen on %s:%d" % (a, port))
    return p


def https_accepts():
    """All connections nginx accepted (mail and HTTPS), less the status
    requests (B.nginx_accepts)."""
    return B.nginx_accepts()


# --------------------------------------------------------------------------
# the exporter


def write_config(path, n, args, pki, nsd_dir, share, interval, cache=True):
    with open(path, "w") as f:
        f.write("""; Written by bench/domains.py.
[exporter]
listen = {ea}:{ep}
interval = {iv}
timeout = 10s
concurrency = {c}
ca_file = {pki}/ca.crt
resolver = {ns}
log_level = warn
ehlo_name = exporter.bench.test
audit = {audit}
share = {share}
dnssec_trust_anchor_file = {nsd}/trust-anchors
dnssec_forwarder = {ns}
{nocache}{off}""".format(off="".join("%s = off\n" % k for k in sorted(args.off)),
           nocache="" if cache else "dns_cache_max_ttl = 0\n",ea=B.EXP_ADDR, ep=B.EXP_PORT, iv=interval, c=args.c, pki=pki, ns=B.NS_ADDR,
           share=share, audit=args.audit, nsd=nsd_dir))
        for i in range(n):
            f.write("\n[domain %s]\ndkim_selectors = %s\n"
                    % (domain_name(i, n), ",".join(selectors(i))))
        for h in HOSTILE:
            f.write("\n[domain %s.%s]\ndkim_selectors = s1\n" % (h, B.DOMAIN))


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')


def read_prom(path):
    """Counts from one exposition: samples, endpoint samples, the number of
    endpoint label sets with and without the domain (the series count of
    per-domain series vs shared endpoint series + a mapping), the check
    results and the exporter's counters."""
    r = {"samples": 0, "endpoint_samples": 0, "domains_ok": 0, "domains": 0,
         "hostile_ok": 0, "probes": 0, "shared": 0, "probe_timeouts": 0,
         "probe_timeouts_own_mx": 0, "probe_timeout_steps": {}, "spf_valid": 0,
         "hostile": 0}
    eps, servers, server_series = set(), set(), set()
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = SAMPLE.match(line.rstrip("\n"))
            if not m:
                continue
            r["samples"] += 1
            name, labels, val = m.group(1), m.group(3) or "", m.group(4)
            if 'address="' in labels and 'domain="' in labels:
                r["endpoint_samples"] += 1
                dom = re.search(r'domain="([^"]*)"', labels).group(1)
                rest = re.sub(r'domain="[^"]*",?', "", labels)
                server = re.search(r'host="[^"]*",address="[^"]*",port="[^"]*",'
                                   r'protocol="[^"]*"', labels)
                if server:
                    eps.add((dom, server.group(0)))
                    servers.add(server.group(0))
                server_series.add((name, rest))
            if (name == "mailsec_probe_error_info" and 'reason="timeout"' in labels
                    and 'domain="h-' not in labels and val == "1"):
                r["probe_timeouts"] += 1
                st = re.search(r'step="([^"]*)"', labels)
                st = st.group(1) if st else "?"
                r["probe_timeout_steps"][st] = r["probe_timeout_steps"].get(st, 0) + 1
                if 'host="mx-' in labels:
                    r["probe_timeouts_own_mx"] += 1
            if (name == "mailsec_spf_valid" and val == "1"
                    and 'domain="h-' not in labels):
                r["spf_valid"] += 1
            if name == "mailsec_check_success":
                ok = val == "1"
                if 'target="h-' in labels:
                    r["hostile"] += 1
                    r["hostile_ok"] += ok
                else:
                    r["domains"] += 1
                    r["domains_ok"] += ok
            elif name == "mailsec_exporter_probes_total":
                r["probes"] += int(float(val))
            elif name == "mailsec_exporter_probes_shared_total":
                r["shared"] += int(float(val))
            elif name == "mailsec_exporter_result_bytes":
                part = re.search(r'part="([^"]*)"', labels).group(1)
                r["result_bytes_" + part] = int(float(val))
    r["endpoint_results"] = len(eps)
    # What the results hold (check_result_bytes): per endpoint result, and
    # the rest per target (every domain, hostile ones too).
    targets = r["domains"] + r["hostile"]
    if "result_bytes_endpoints" in r and eps:
        r["bytes_per_endpoint"] = r["result_bytes_endpoints"] / len(eps)
    parts = [k for k in r if k.startswith("result_bytes_") and k != "result_bytes_endpoints"]
    if parts and targets:
        r["bytes_per_domain"] = sum(r[k] for k in parts) / targets
        r["bytes_per_domain_parts"] = {k[len("result_bytes_"):]: r[k] / targets
                                       for k in sorted(parts)}
    r["distinct_endpoints"] = len(servers)
    # Shared endpoint series: each endpoint family once per server, plus
    # one domain -> endpoint _info sample per endpoint result.
    r["series_per_domain"] = r["samples"]
    r["series_shared_model"] = (r["samples"] - r["endpoint_samples"] +
                                len(server_series) + len(eps))
    return r


def phase_once(args, pki, nsd_dir, share, cache=True):
    name = "once-share-" + share + ("" if cache else "-nocache")
    cfg = os.path.join(OUT, name + ".ini")
    write_config(cfg, args.n, args, pki, nsd_dir, share, "5m", cache)
    outp = os.path.join(OUT, name + ".prom")
    B.log("exporter --once, share = %s%s: %d domains"
          % (share, "" if cache else ", dns_cache_max_ttl = 0", args.n))
    q0, a0 = nsd_queries(nsd_dir), https_accepts()
    wrap = os.environ.get("MAILSEC_BENCH_WRAP", "").split()  # e.g. heaptrack -o F
    r = B.run_measured(name, wrap + [args.exporter, "--config", cfg, "--once"], 900,
                       stdout=open(outp, "w"),
                       stderr=open(os.path.join(OUT, name + ".stderr"), "w"))
    q1, a1 = nsd_queries(nsd_dir), https_accepts()
    r.update(read_prom(outp))
    r["dns_questions"] = q1 - q0
    r["dns_per_domain"] = (q1 - q0) / args.n
    r["connections"] = a1 - a0
    r["handshakes_exporter"] = r["probes"] - r["shared"]
    r["exposition_bytes"] = os.path.getsize(outp)
    r["exposition_gzip_bytes"] = len(gz.compress(open(outp, "rb").read(), 6))
    r["cpu_per_domain_ms"] = r["cpu_s"] / args.n * 1000
    r["rss_per_domain_kib"] = r["peak_rss"] / args.n / 1024
    return r


def get_metrics(gzip=False):
    with socket.create_connection((B.EXP_ADDR, B.EXP_PORT), timeout=60) as s:
        s.sendall(("GET /metrics HTTP/1.0\r\nHost: x\r\n%s\r\n"
                   % ("Accept-Encoding: gzip\r\n" if gzip else "")).encode())
        chunks = []
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            chunks.append(b)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def phase_daemon(args, pki, nsd_dir, share, once_wall):
    """Rounds of the daemon: RSS after round 1 and after the last; then
    /metrics size (plain, gzip) and latency with 4 scrapers."""
    name = "daemon-share-" + share
    cfg = os.path.join(OUT, name + ".ini")
    interval = max(10, int(once_wall * 1.5 + 1))
    write_config(cfg, args.n, args, pki, nsd_dir, share, "%ds" % interval)
    if B.port_busy(B.EXP_ADDR, B.EXP_PORT):
        raise RuntimeError("%s:%d is taken" % (B.EXP_ADDR, B.EXP_PORT))
    B.log("daemon, share = %s: %d rounds of %d s" % (share, args.rounds, interval))
    p = B.PROCS.start(name, [args.exporter, "--config", cfg], stdout=subprocess.DEVNULL,
                      stderr=open(os.path.join(OUT, name + ".stderr"), "w"))
    res = {"interval_s": interval, "rounds": args.rounds}
    try:
        if not B.wait_port(B.EXP_ADDR, B.EXP_PORT, 30) or not B.wait_ready(p, 600):
            raise RuntimeError("the exporter did not become ready")
        t_ready = time.monotonic()
        time.sleep(2)
        res["rss_round1"] = B.proc_status(p.pid)["VmRSS"]
        c1 = B.proc_cpu(p.pid)
        q1 = nsd_queries(nsd_dir)
        rss = [res["rss_round1"]]
        for k in range(2, args.rounds + 1):
            # Round k's checks start from (k-1) intervals after round 1's;
            # measured just before round k+1 would start.
            wait = t_ready + (k - 1) * interval + interval * 0.9 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            rss.append(B.proc_status(p.pid)["VmRSS"])
        res["rss_rounds"] = rss
        res["rss_last"] = rss[-1]
        if args.rounds > 1:
            res["cpu_per_domain_round_ms"] = ((B.proc_cpu(p.pid) - c1) /
                                              (args.rounds - 1) / args.n * 1000)
            res["dns_per_domain_round"] = ((nsd_queries(nsd_dir) - q1) /
                                           (args.rounds - 1) / args.n)
        res["hwm"] = B.proc_status(p.pid)["VmHWM"]
        if "scrape" not in args.skip:
            t0 = time.monotonic()
            head, body = get_metrics()
            res["first_scrape_ms"] = (time.monotonic() - t0) * 1000
            res["metrics_bytes"] = len(body)
            for m in re.finditer(rb'^mailsec_exporter_result_bytes\{part="(\w+)"\} (\S+)$',
                                 body, re.M):
                res["result_bytes_" + m.group(1).decode()] = int(float(m.group(2)))
            head, body = get_metrics(gzip=True)
            res["metrics_gzip_bytes"] = len(body)
            res["metrics_gzip_served"] = b"gzip" in head.lower()
            del body
            lat = os.path.join(OUT, name + "-latency.txt")
            res["scrape"] = B.scrape_load(args.tools, 4, args.scrape_secs, 1.0, lat, name)
            res["scrape_gzip"] = B.scrape_load(args.tools, 4, args.scrape_secs, 1.0, None,
                                               name + "-gzip", gzip=True)
            res["hwm_scraped"] = B.proc_status(p.pid)["VmHWM"]
    finally:
        B.PROCS.stop(p)
    return res


# --------------------------------------------------------------------------
# the table


def report(args, R):
    on, off = R.get("once_on", {}), R.get("once_off", {})
    don, doff = R.get("daemon_on", {}), R.get("daemon_off", {})
    print()
    print("make bench SCALE=domains: %d domains (+%d hostile), %d distinct SMTP servers, "
          "concurrency %d, audit %s%s; load average %.1f at start, %.1f at end"
          % (args.n, len(HOSTILE), distinct_servers(args.n), args.c, args.audit,
             "".join(", %s off" % k for k in sorted(args.off)),
             R.get("loadavg_start", 0), R.get("loadavg_end", 0)))
    print()
    print("| figure | share = on | share = off | target |")
    print("| --- | ---: | ---: | --- |")

    def g(d, k, fmt="%s", scale=1.0):
        if k not in d or d[k] is None:
            return "-"
        v = d[k]
        return fmt % (v * scale if isinstance(v, (int, float)) and scale != 1.0 else v)

    def row(what, a, b, target=""):
        print("| %s | %s | %s | %s |" % (what, a, b, target))

    row("full round, --once: wall", g(on, "wall_s", "%.1f s"), g(off, "wall_s", "%.1f s"),
        "<= 60 s: %s" % B.verdict(on.get("wall_s", 1e9) <= 60))
    row("CPU per domain (--once)", g(on, "cpu_per_domain_ms", "%.2f ms"),
        g(off, "cpu_per_domain_ms", "%.2f ms"), "info")
    row("  CPU per domain per round, daemon rounds 2..", g(don, "cpu_per_domain_round_ms", "%.2f ms"),
        g(doff, "cpu_per_domain_round_ms", "%.2f ms"), "info")
    ratio = (on["dns_per_domain"] / off["dns_per_domain"]
             if on.get("dns_per_domain") and off.get("dns_per_domain") else None)
    row("DNS questions per domain (--once, at NSD)", g(on, "dns_per_domain", "%.1f"),
        g(off, "dns_per_domain", "%.1f"),
        "on/off <= 1/3: %s" % ("%.2f %s" % (ratio, B.verdict(ratio <= 1 / 3))
                               if ratio else "-"))
    nc = R.get("once_on_nocache", {})
    # The reason, when missed: the floor, from the shapes (own_questions):
    # what no cache or sharing can answer, against the unshared count (no
    # answer cache: sharing probes changes no lookup).
    floor = sum(len(own_questions(i, args.n)) for i in range(args.n)) / args.n
    unshared = nc.get("dns_per_domain") or off.get("dns_per_domain")
    row("  floor: names only the domain has (MX, 5-6 TXT, mta-sts A+AAAA, DNSKEY; "
        "own MX host: A, AAAA, CNAME, CAA, DNSKEY, TLSA)", "%.1f" % floor, "",
        "info: %s of the unshared %s; 1/3 would be %s" % (
            "%.2f" % (floor / unshared) if unshared else "-",
            "%.1f" % unshared if unshared else "-",
            "%.1f" % (unshared / 3) if unshared else "-"))
    if nc and on.get("dns_per_domain"):
        row("  share = on / unshared (share = on, dns_cache_max_ttl = 0)",
            "%.2f" % (on["dns_per_domain"] / nc["dns_per_domain"]), "",
            "<= 1/3: %s" % B.verdict(on["dns_per_domain"] / nc["dns_per_domain"] <= 1 / 3))
    if nc:
        row("  DNS questions per domain, share = on, dns_cache_max_ttl = 0",
            g(nc, "dns_per_domain", "%.1f"), "", "info (the cache's saving)")
        row("  full round, share = on, dns_cache_max_ttl = 0: wall", g(nc, "wall_s", "%.1f s"),
            "", "info")
        row("  own-MX / all probe timeouts, share = on (cache on; cache off)",
            "%s / %s; %s / %s" % (g(on, "probe_timeouts_own_mx"), g(on, "probe_timeouts"),
                                  g(nc, "probe_timeouts_own_mx"), g(nc, "probe_timeouts")),
            "%s / %s" % (g(off, "probe_timeouts_own_mx"), g(off, "probe_timeouts")), "info")
    row("SMTP handshakes per round (exporter: probes - shared)",
        g(on, "handshakes_exporter"), g(off, "handshakes_exporter"),
        "= distinct servers (%s): %s" % (
            g(on, "distinct_endpoints"), B.verdict(
                on.get("handshakes_exporter") == on.get("distinct_endpoints"))))
    row("  connections nginx accepted (SMTP + HTTPS MTA-STS)", g(on, "connections"),
        g(off, "connections"), "info")
    row("  endpoint results (domain x MX address)", g(on, "endpoint_results"),
        g(off, "endpoint_results"), "info")
    row("domains with check_success 1", g(on, "domains_ok"), g(off, "domains_ok"),
        "all %d: %s" % (args.n, B.verdict(on.get("domains_ok") == args.n)))
    row("peak RSS, --once", g(on, "peak_rss", "%.1f MiB", 1 / B.MIB),
        g(off, "peak_rss", "%.1f MiB", 1 / B.MIB),
        "<= 128 MiB: %s" % B.verdict(on.get("peak_rss", 1e12) <= 128 * B.MIB))
    row("  peak RSS per domain, --once", g(on, "rss_per_domain_kib", "%.2f KiB"),
        g(off, "rss_per_domain_kib", "%.2f KiB"), "info")
    row("result bytes per endpoint result (check_result_bytes)",
        g(on, "bytes_per_endpoint", "%.0f B"), g(off, "bytes_per_endpoint", "%.0f B"),
        "<= 1 KB: %s" % B.verdict(on.get("bytes_per_endpoint", 1e12) <= 1024))
    row("result bytes per domain, the rest (check_result_bytes)",
        g(on, "bytes_per_domain", "%.0f B"), g(off, "bytes_per_domain", "%.0f B"),
        "<= 1 KB: %s" % B.verdict(on.get("bytes_per_domain", 1e12) <= 1024))
    # The reason, when missed: what the bytes are, part by part
    # (mailsec_exporter_result_bytes{part}), the domain's own facts apart
    # from the facts of its MX hosts, which every domain naming the same
    # hosts holds a copy of.
    pp = on.get("bytes_per_domain_parts") or {}
    if pp:
        own = sum(pp.get(k, 0) for k in OWN_PARTS)
        hosts = sum(v for k, v in pp.items() if k not in OWN_PARTS)
        row("  the domain's own: %s" % ", ".join("%s %.0f" % (k, pp.get(k, 0)) for k in OWN_PARTS),
            "%.0f B" % own, "", "info")
        row("  its MX hosts' (MX hygiene and DANE shared between domains): %s"
            % ", ".join("%s %.0f" % (k, v) for k, v in sorted(pp.items()) if k not in OWN_PARTS),
            "%.0f B" % hosts, "", "info")
    row("peak RSS, daemon after %d rounds" % args.rounds, g(don, "hwm", "%.1f MiB", 1 / B.MIB),
        g(doff, "hwm", "%.1f MiB", 1 / B.MIB),
        "<= 128 MiB: %s" % B.verdict(don.get("hwm", 1e12) <= 128 * B.MIB) if don else "")
    # the highest of rounds 2..N against round 2: no round may grow it
    grow = ((max(don["rss_rounds"][1:]) - don["rss_rounds"][1]) / don["rss_rounds"][1]
            if don.get("rss_rounds") and len(don["rss_rounds"]) > 1 else None)
    row("RSS after round 1 / 2 / %d" % args.rounds,
        " / ".join("%.1f" % (x / B.MIB) for x in (don.get("rss_rounds") or [])[:2] +
                   (don.get("rss_rounds") or [])[-1:]) + " MiB" if don else "-",
        " / ".join("%.1f" % (x / B.MIB) for x in (doff.get("rss_rounds") or [])[:2] +
                   (doff.get("rss_rounds") or [])[-1:]) + " MiB" if doff else "-",
        "no round above round 2 (<= +5%%): %s" % ("%+.1f%% %s" % (grow * 100, B.verdict(grow <= 0.05))
                                                 if grow is not None else "-"))
    row("RSS after each round", " / ".join("%.1f" % (x / B.MIB) for x in
                                           (don.get("rss_rounds") or [])) + " MiB" if don else "-",
        " / ".join("%.1f" % (x / B.MIB) for x in (doff.get("rss_rounds") or [])) + " MiB"
        if doff else "-", "info")
    row("/metrics bytes, plain", g(don, "metrics_bytes"), g(doff, "metrics_bytes"), "info")
    row("/metrics bytes, gzip", g(don, "metrics_gzip_bytes"), g(doff, "metrics_gzip_bytes"),
        "info")
    sc_on, sc_off = don.get("scrape", {}), doff.get("scrape", {})
    row("/metrics p99, 4 scrapers at 1/s (plain)", g(sc_on, "p99_ms", "%.1f ms"),
        g(sc_off, "p99_ms", "%.1f ms"), "info")
    sg_on, sg_off = don.get("scrape_gzip", {}), doff.get("scrape_gzip", {})
    row("/metrics p99, 4 scrapers at 1/s (gzip)", g(sg_on, "p99_ms", "%.1f ms"),
        g(sg_off, "p99_ms", "%.1f ms"), "info")
    row("series, per-domain model (what is exported)", g(on, "series_per_domain"),
        g(off, "series_per_domain"), "info")
    row("series, shared endpoint model + domain->endpoint _info", g(on, "series_shared_model"),
        g(off, "series_shared_model"), "info")
    row("hostile domains with check_success 1", g(on, "hostile_ok"), g(off, "hostile_ok"),
        "info (%d hostile)" % len(HOSTILE))
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--c", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--audit", choices=("on", "off"), default="off")
    ap.add_argument("--scrape-secs", type=int, default=10)
    ap.add_argument("--exporter", default=os.path.join(B.ROOT, "mailsec_exporter"))
    ap.add_argument("--tools", default=os.path.join(B.ROOT, "build", "bench"))
    ap.add_argument("--skip", default="", help="comma list: off,nocache,daemon,daemon-off,scrape")
    ap.add_argument("--off", default="", help="checks turned off, for attribution: "
                    "comma list of mta_sts,tls_rpt,dnssec")
    ap.add_argument("--results", default=os.path.join(B.ROOT, "bench", "results-domains.json"))
    args = ap.parse_args()
    args.skip = set(x for x in args.skip.split(",") if x)
    args.off = set(x for x in args.off.split(",") if x)
    if args.off - {"mta_sts", "tls_rpt", "dnssec"}:
        ap.error("--off: mta_sts, tls_rpt, dnssec")
    args.exporter = os.path.abspath(args.exporter)
    args.tools = os.path.abspath(args.tools)
    B.ARGS = args
    os.makedirs(OUT, exist_ok=True)
    B.Procs.stop_leftovers()
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
    t_all = time.monotonic()
    R = {"n": args.n, "c": args.c, "audit": args.audit, "off": sorted(args.off),
         "loadavg_start": os.getloadavg()[0],
         "distinct_servers": distinct_servers(args.n)}
    try:
        B.log("generating %d domains, certificates, zones" % args.n)
        pki, groups = make_pki(args.n)
        _, nsd_dir = start_nsd(args.n, pki)
        start_nginx(pki, groups)
        R["once_on"] = phase_once(args, pki, nsd_dir, "on")
        if "nocache" not in args.skip:
            R["once_on_nocache"] = phase_once(args, pki, nsd_dir, "on", cache=False)
        if "off" not in args.skip:
            R["once_off"] = phase_once(args, pki, nsd_dir, "off")
        if "daemon" not in args.skip:
            R["daemon_on"] = phase_daemon(args, pki, nsd_dir, "on", R["once_on"]["wall_s"])
            if "off" not in args.skip and "daemon-off" not in args.skip:
                R["daemon_off"] = phase_daemon(args, pki, nsd_dir, "off",
                                               R["once_off"]["wall_s"])
    finally:
        B.PROCS.stop_all()
    R["bench_wall_s"] = time.monotonic() - t_all
    R["loadavg_end"] = os.getloadavg()[0]
    with open(args.results, "w") as f:
        json.dump(R, f, indent=2, sort_keys=True)
        f.write("\n")
    report(args, R)
    print("results: %s (%.0f s)" % (os.path.relpath(args.results, B.ROOT), R["bench_wall_s"]))
    return 0 if R["once_on"]["domains_ok"] == args.n else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        B.PROCS.stop_all()
        sys.exit(130)
