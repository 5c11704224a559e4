#!/bin/sh
# DNSSEC validated by the exporter itself (libunbound on its own loop):
# zones signed here with ldns-signzone and served by a real NSD, the
# exporter forwarding to it with the test's own trust anchors.  The status
# of the domain and of each MX host's zone, told apart: secure, insecure,
# bogus (expired signatures), servfail (a zone nobody serves).
#
# Loopback only: NSD on 127.0.63.53.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup dnssec

NS=127.0.63.53
OUT=$T_DIR/metrics.prom
t_addr "$NS"

H311=$(printf '%064d' 0 | tr 0 a)	# any 32-byte digest: matching is not tested here
t_zone dns sec.test <<EOF
ns		IN A $NS
@		IN MX 10 mx.sec.test.
mx		IN A 127.0.63.1
_25._tcp.mx	IN TLSA 3 1 1 $H311
toplain		IN MX 10 mx.plain.test.
todead		IN MX 10 mx.dead.test.
notlsa		IN MX 10 mx2.sec.test.
mx2		IN A 127.0.63.2
unusable	IN MX 10 mx3.sec.test.
mx3		IN A 127.0.63.3
_25._tcp.mx3	IN TLSA 1 1 1 $H311
EOF
t_zone dns exp.test <<EOF
ns		IN A $NS
@		IN MX 10 mx.sec.test.
EOF
t_zone dns plain.test <<EOF
ns		IN A $NS
@		IN MX 10 mx.sec.test.
mx		IN A 127.0.63.2
_25._tcp.mx	IN TLSA 3 1 1 $H311
EOF
t_zone_sign dns sec.test
t_zone_sign dns exp.test expired
t_nsd_start dns "$NS" sec.test exp.test plain.test

cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
timeout = 3s
resolver = $NS
dnssec_trust_anchor_file = $T_DIR/dns/trust-anchors
dnssec_forwarder = $NS
audit = off
log_level = debug

[domain sec.test]

records = off
mta_sts = off
tls_rpt = off
[domain toplain.sec.test]
records = off
mta_sts = off
tls_rpt = off

[domain todead.sec.test]
records = off
mta_sts = off
tls_rpt = off

[domain exp.test]
records = off
mta_sts = off
tls_rpt = off

[domain notlsa.sec.test]
records = off
mta_sts = off
tls_rpt = off
[domain unusable.sec.test]
records = off
mta_sts = off
tls_rpt = off
[domain plain.test]
records = off
mta_sts = off
tls_rpt = off

EOF
"$T_BIN" --config "$T_DIR/exporter.ini" --once >"$OUT" 2>"$T_DIR/stderr" ||
	t_fail "--once failed: $(tail -n 5 "$T_DIR/stderr")"

m() { t_assert_metric "$OUT" "$1" "$2"; }
m 'mailsec_dnssec_status_info{domain="sec.test",name="sec.test",status="secure"}' 1
m 'mailsec_dnssec_secure{domain="sec.test",name="sec.test"}' 1
m 'mailsec_dnssec_status_info{domain="sec.test",name="mx.sec.test",status="secure"}' 1
m 'mailsec_dnssec_secure{domain="sec.test",name="mx.sec.test"}' 1
# a signed domain whose MX host is in an unsigned zone
m 'mailsec_dnssec_status_info{domain="toplain.sec.test",name="toplain.sec.test",status="secure"}' 1
m 'mailsec_dnssec_status_info{domain="toplain.sec.test",name="mx.plain.test",status="insecure"}' 1
m 'mailsec_dnssec_secure{domain="toplain.sec.test",name="mx.plain.test"}' 0
# an MX host in a zone nobody serves: the forwarder refuses, a SERVFAIL
m 'mailsec_dnssec_status_info{domain="todead.sec.test",name="mx.dead.test",status="servfail"}' 1
# expired signatures: bogus, never "insecure"
m 'mailsec_dnssec_status_info{domain="exp.test",name="exp.test",status="bogus"}' 1
m 'mailsec_dnssec_secure{domain="exp.test",name="exp.test"}' 0
m 'mailsec_dnssec_status_info{domain="plain.test",name="plain.test",status="insecure"}' 1
m 'mailsec_dnssec_status_info{domain="plain.test",name="mx.sec.test",status="secure"}' 1

# DANE's DNS half (RFC 7672 2.2), per MX endpoint on port 25: a secure,
# usable TLSA set applies; a TLSA set under an insecure MX or address
# lookup does not; a SERVFAIL is never "no TLSA".
E='port="25",protocol="smtp"'
m "mailsec_dane_applicable{domain=\"sec.test\",host=\"mx.sec.test\",address=\"127.0.63.1\",$E}" 1
t_assert_absent "$OUT" 'mailsec_dane_error_info{domain="sec.test",'
m "mailsec_dane_applicable{domain=\"notlsa.sec.test\",host=\"mx2.sec.test\",address=\"127.0.63.2\",$E}" 0
m "mailsec_dane_error_info{domain=\"notlsa.sec.test\",host=\"mx2.sec.test\",address=\"127.0.63.2\",$E,reason=\"no_tlsa\"}" 1
m "mailsec_dane_error_info{domain=\"unusable.sec.test\",host=\"mx3.sec.test\",address=\"127.0.63.3\",$E,reason=\"unusable\"}" 1
m "mailsec_dane_error_info{domain=\"toplain.sec.test\",host=\"mx.plain.test\",address=\"127.0.63.2\",$E,reason=\"insecure\"}" 1
# plain.test is unsigned: the secure TLSA of its MX host does not apply
m "mailsec_dane_error_info{domain=\"plain.test\",host=\"mx.sec.test\",address=\"127.0.63.1\",$E,reason=\"insecure\"}" 1
m "mailsec_dane_error_info{domain=\"exp.test\",host=\"mx.sec.test\",address=\"127.0.63.1\",$E,reason=\"bogus\"}" 1

# The validated lookups go through the scheduler's queue and count
# against the domain's budget: with dns_budget_per_domain = 1 the MX
# lookup (c-ares) spends it, and every DNSSEC question of the run is
# refused, never handed to the validator: the zones' status dns_budget,
# never "secure" or "insecure".
cat >"$T_DIR/budget.ini" <<EOF
[exporter]
timeout = 3s
resolver = $NS
dnssec_trust_anchor_file = $T_DIR/dns/trust-anchors
dnssec_forwarder = $NS
audit = off
dns_budget_per_domain = 1
[domain sec.test]
records = off
mta_sts = off
tls_rpt = off
EOF
B=$T_DIR/budget.prom
"$T_BIN" --config "$T_DIR/budget.ini" --once >"$B" 2>"$T_DIR/budget.log" ||
	t_fail "budget: --once failed: $(tail -n 5 "$T_DIR/budget.log")"
t_assert_metric "$B" 'mailsec_dnssec_status_info{domain="sec.test",name="sec.test",status="dns_budget"}' 1
t_assert_metric "$B" 'mailsec_dnssec_status_info{domain="sec.test",name="mx.sec.test",status="dns_budget"}' 1
t_assert_absent "$B" 'status="secure"'
asked=$(awk '/^mailsec_exporter_dnssec_queries_total\{/ { n += $2 } END { print n + 0 }' "$B")
[ "$asked" -eq 0 ] || t_fail "budget: $asked questions handed to the validator, want 0"
grep -q 'event=dns_budget .*target=sec.test budget=1 ' "$T_DIR/budget.log" ||
	t_fail "budget: no dns_budget log line: $(grep dns_budget "$T_DIR/budget.log")"
# refused: 6 validated (DANE's MX, A, AAAA, TLSA; two zones' DNSKEY) and
# 4 through c-ares (A and AAAA of mx.sec.test, the MX hygiene's CNAME
# and CAA)
refused=$(t_metric_value "$B" mailsec_exporter_dns_budget_refused_total)
[ "$refused" -eq 10 ] || t_fail "budget: dns_budget_refused_total $refused, want 10"
echo "ok: every DNSSEC question counted against dns_budget_per_domain ($refused refused, none validated)"

# A trust anchor that cannot be read is a config error with file:line.
sed "s#^dnssec_trust_anchor_file = .*#dnssec_trust_anchor_file = $T_DIR/nothere#" \
	"$T_DIR/exporter.ini" >"$T_DIR/bad.ini"
if "$T_BIN" --check-config --config "$T_DIR/bad.ini" >"$T_DIR/bad.out" 2>&1; then
	t_fail "a missing trust anchor file was accepted"
fi
grep -q "bad.ini:4: .*dnssec_trust_anchor_file.*nothere" "$T_DIR/bad.out" ||
	t_fail "no file:line error for the trust anchor: $(cat "$T_DIR/bad.out")"
promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
echo "all cases passed"
