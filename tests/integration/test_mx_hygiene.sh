#!/bin/sh
# MX hygiene end to end (doc/mx-hygiene.md): a real NSD serves the zones
# below, the reverse zone of 127.0.16.0/24 among them, and two real Postfix
# instances answer SMTP, one whose myhostname is its MX name, one not.
#   hyg.test      MX 10 good (127.0.16.1, AAAA ::1), MX 20 bad (127.0.16.2)
#                 PTR 127.0.16.1 -> good.hyg.test (A 127.0.16.1): match
#                 PTR 127.0.16.2 -> other.hyg.test (A 127.0.16.9): mismatch
#                 CAA good: issue letsencrypt.org; apex: issue ";" (bad
#                 inherits it); Postfix on .1 myhostname good.hyg.test, on
#                 .2 myhostname wrong.example.org
#   nocaa.test    MX 10 mx.nocaa.test (127.0.16.1): no CAA up to test.
#   cname.test    MX 10 alias.cname.test, a CNAME to good.hyg.test
#   mixed.test    MX 0 . beside MX 10 good.hyg.test (RFC 7505 3)
#   many.test     11 MX hosts m1..m11 (127.0.16.1)
#   noaddr.test   MX 10 none.noaddr.test: no A, no AAAA
#   lit.test      MX 10 127.0.16.1. (an address where a name belongs)
#   badcaa.test   MX 10 mx.badcaa.test: CAA issue "bad value!" and a
#                 critical unknown tag
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup mx_hygiene

NS=127.0.16.53 A1=127.0.16.1 A2=127.0.16.2
OUT=$T_DIR/metrics.prom

CA=$T_DIR/ca
t_ca "$CA"
t_cert "$CA" good good.hyg.test "DNS:good.hyg.test" 1 30
t_cert "$CA" bad bad.hyg.test "DNS:bad.hyg.test" 1 30
t_addr "$A1"
t_addr "$A2"
t_postfix_start pf_good "$A1" good.hyg.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/good.chain.pem" "smtpd_tls_key_file = $CA/good.key"
t_postfix_start pf_bad "$A2" wrong.example.org "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/bad.chain.pem" "smtpd_tls_key_file = $CA/bad.key"

t_zone dns test <<EOF
ns	IN A $NS
EOF
t_zone dns hyg.test <<EOF
@	IN MX 10 good.hyg.test.
@	IN MX 20 bad.hyg.test.
@	IN CAA 0 issue ";"
ns	IN A $NS
good	IN A $A1
good	IN AAAA ::1
good	IN CAA 0 issue "letsencrypt.org"
good	IN CAA 0 issuemail "letsencrypt.org; account=1"
bad	IN A $A2
other	IN A 127.0.16.9
EOF
t_zone dns 16.0.127.in-addr.arpa <<EOF
1	IN PTR good.hyg.test.
2	IN PTR other.hyg.test.
EOF
t_zone dns nocaa.test <<EOF
@	IN MX 10 mx.nocaa.test.
mx	IN A $A1
EOF
t_zone dns cname.test <<EOF
@	IN MX 10 alias.cname.test.
alias	IN CNAME good.hyg.test.
EOF
t_zone dns mixed.test <<EOF
@	IN MX 0 .
@	IN MX 10 good.hyg.test.
EOF
{
	for i in 1 2 3 4 5 6 7 8 9 10 11; do
		printf '@\tIN MX %s m%s.many.test.\nm%s\tIN A %s\n' "$i" "$i" "$i" "$A1"
	done
} | t_zone dns many.test
t_zone dns noaddr.test <<EOF
@	IN MX 10 none.noaddr.test.
none	IN TXT "no address here"
EOF
t_zone dns lit.test <<EOF
@	IN MX 10 127.0.16.1.
EOF
t_zone dns badcaa.test <<EOF
@	IN MX 10 mx.badcaa.test.
mx	IN A $A1
mx	IN CAA 0 issue "bad value!"
mx	IN CAA 128 future "x"
EOF
t_nsd_start dns "$NS" test hyg.test 16.0.127.in-addr.arpa nocaa.test \
	cname.test mixed.test many.test noaddr.test badcaa.test lit.test

cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
timeout = 5s
resolver = $NS
audit = off
ca_file = $CA/ca.crt
; the test CA plays Let's Encrypt: its issuer name holds this text
caa_issuers = letsencrypt.org=mailsec test CA, sectigo.com=Sectigo
mta_sts = off
tls_rpt = off
EOF
# ip_protocol = ip4: good.hyg.test's AAAA ::1 is counted, not probed;
# cname.test (both) probes it.  localhost: 127.0.0.1 only.
cat >>"$T_DIR/exporter.ini" <<EOF
[domain hyg.test]
ip_protocol = ip4
[endpoint localhost:2526]
protocol = smtp
ip_protocol = ip4
EOF
for d in nocaa.test cname.test mixed.test many.test noaddr.test \
    badcaa.test lit.test; do
	printf '[domain %s]\n' "$d" >>"$T_DIR/exporter.ini"
done
"$T_BIN" --config "$T_DIR/exporter.ini" --once >"$OUT" 2>"$T_DIR/stderr" ||
	t_fail "--once failed: $(tail -n 5 "$T_DIR/stderr")"

# FCrDNS
t_assert_metric "$OUT" 'mailsec_mx_ptr_match{domain="hyg.test",host="good.hyg.test",address="127.0.16.1"}' 1
t_assert_metric "$OUT" 'mailsec_mx_ptr_info{domain="hyg.test",host="good.hyg.test",address="127.0.16.1",name="good.hyg.test"}' 1
t_assert_metric "$OUT" 'mailsec_mx_ptr_match{domain="hyg.test",host="bad.hyg.test",address="127.0.16.2"}' 0
t_assert_metric "$OUT" 'mailsec_mx_ptr_info{domain="hyg.test",host="bad.hyg.test",address="127.0.16.2",name="other.hyg.test"}' 1
# ::1 has no PTR zone here: NSD refuses, so the match is not known (the
# reverse lookup is made for addresses ip_protocol leaves unprobed too)
t_assert_absent "$OUT" 'mailsec_mx_ptr_match{domain="hyg.test",host="good.hyg.test",address="::1"}'
# IPv6
t_assert_metric "$OUT" 'mailsec_mx_ipv6_addresses{domain="hyg.test",host="good.hyg.test"}' 1
t_assert_metric "$OUT" 'mailsec_mx_ipv6_addresses{domain="hyg.test",host="bad.hyg.test"}' 0
t_assert_absent "$OUT" 'mailsec_probe_success{domain="hyg.test",host="good.hyg.test",address="::1",'
t_assert_metric "$OUT" 'mailsec_probe_success{domain="cname.test",host="alias.cname.test",address="::1",port="25",protocol="smtp"}' 0
t_assert_metric "$OUT" 'mailsec_probe_success{domain="",host="localhost",address="127.0.0.1",port="2526",protocol="smtp"}' 0
t_assert_absent "$OUT" 'mailsec_probe_success{domain="",host="localhost",address="::1",'
# banner and EHLO names: Postfix says its myhostname in both
t_assert_metric "$OUT" 'mailsec_smtp_banner_name_match{domain="hyg.test",host="good.hyg.test",address="127.0.16.1",port="25",protocol="smtp",name="banner"}' 1
t_assert_metric "$OUT" 'mailsec_smtp_banner_name_match{domain="hyg.test",host="good.hyg.test",address="127.0.16.1",port="25",protocol="smtp",name="ehlo"}' 1
t_assert_metric "$OUT" 'mailsec_smtp_banner_name_match{domain="hyg.test",host="bad.hyg.test",address="127.0.16.2",port="25",protocol="smtp",name="banner"}' 0
t_assert_metric "$OUT" 'mailsec_smtp_banner_name_match{domain="hyg.test",host="bad.hyg.test",address="127.0.16.2",port="25",protocol="smtp",name="ehlo"}' 0
# the CNAMEd MX and mx.nocaa.test reach good's Postfix: its name is not
# the MX name, but it is the PTR name of 127.0.16.1
t_assert_metric "$OUT" 'mailsec_smtp_banner_name_match{domain="cname.test",host="alias.cname.test",address="127.0.16.1",port="25",protocol="smtp",name="banner"}' 1
t_assert_metric "$OUT" 'mailsec_smtp_banner_name_match{domain="nocaa.test",host="mx.nocaa.test",address="127.0.16.1",port="25",protocol="smtp",name="banner"}' 1
# CAA: present at the host, inherited from the apex, absent, invalid
t_assert_metric "$OUT" 'mailsec_caa_present{domain="hyg.test",host="good.hyg.test"}' 1
t_assert_metric "$OUT" 'mailsec_caa_valid{domain="hyg.test",host="good.hyg.test"}' 1
t_assert_metric "$OUT" 'mailsec_caa_info{domain="hyg.test",host="good.hyg.test",found_at="good.hyg.test",issuers="letsencrypt.org"}' 1
t_assert_metric "$OUT" 'mailsec_caa_present{domain="hyg.test",host="bad.hyg.test"}' 1
t_assert_metric "$OUT" 'mailsec_caa_info{domain="hyg.test",host="bad.hyg.test",found_at="hyg.test",issuers=";"}' 1
t_assert_metric "$OUT" 'mailsec_caa_present{domain="nocaa.test",host="mx.nocaa.test"}' 0
t_assert_absent "$OUT" 'mailsec_caa_valid{domain="nocaa.test",'
t_assert_metric "$OUT" 'mailsec_caa_present{domain="badcaa.test",host="mx.badcaa.test"}' 1
t_assert_metric "$OUT" 'mailsec_caa_valid{domain="badcaa.test",host="mx.badcaa.test"}' 0
# the served certificate's CA (told by caa_issuers) against the CAA set:
# allowed at good, forbidden by the inherited issue ";" at bad, allowed
# where no CAA exists, refused by the set with a critical unknown tag
ep() { echo "domain=\"$1\",host=\"$2\",address=\"$3\",port=\"25\",protocol=\"smtp\""; }
t_assert_metric "$OUT" "mailsec_caa_issuer_allowed{$(ep hyg.test good.hyg.test $A1),ca=\"letsencrypt.org\"}" 1
t_assert_metric "$OUT" "mailsec_caa_issuer_allowed{$(ep hyg.test bad.hyg.test $A2),ca=\"letsencrypt.org\"}" 0
t_assert_metric "$OUT" "mailsec_caa_issuer_allowed{$(ep nocaa.test mx.nocaa.test $A1),ca=\"letsencrypt.org\"}" 1
t_assert_metric "$OUT" "mailsec_caa_issuer_allowed{$(ep badcaa.test mx.badcaa.test $A1),ca=\"letsencrypt.org\"}" 0
# MX sanity
t_assert_metric "$OUT" 'mailsec_mx_error_info{domain="cname.test",host="alias.cname.test",reason="cname"}' 1
t_assert_metric "$OUT" 'mailsec_mx_error_info{domain="mixed.test",host="",reason="null_mx_mixed"}' 1
t_assert_metric "$OUT" 'mailsec_mx_error_info{domain="many.test",host="",reason="too_many_mx"}' 1
t_assert_metric "$OUT" 'mailsec_mx_error_info{domain="noaddr.test",host="none.noaddr.test",reason="no_address"}' 1
t_assert_metric "$OUT" 'mailsec_mx_error_info{domain="lit.test",host="127.0.16.1",reason="ip_literal"}' 1
t_assert_absent "$OUT" 'mailsec_caa_present{domain="lit.test",'
t_assert_absent "$OUT" 'mailsec_mx_error_info{domain="hyg.test",'
t_assert_absent "$OUT" 'mailsec_mx_error_info{domain="nocaa.test",'
t_assert_absent "$OUT" 'mailsec_mx_error_info{domain="many.test",host="m1.many.test",'
[ "$(grep -c '^mailsec_mx_error_info{' "$OUT")" = 5 ] ||
	t_fail "want exactly 5 mailsec_mx_error_info samples: $(grep '^mailsec_mx_error_info{' "$OUT")"
# the report (mailsec_exporter check): the MX hygiene line with its class
"$T_BIN" check --resolver "$NS" --ca-file "$CA/ca.crt" --timeout 10s hyg.test >"$T_DIR/hyg.report" 2>&1 </dev/null
grep -q 'MX hygiene.*192\|MX hygiene.*127.0.16.2 (bad.hyg.test): its PTR name does not resolve back to it' "$T_DIR/hyg.report" ||
	t_fail "no FCrDNS finding in the report: $(cat "$T_DIR/hyg.report")"
grep -q 'PTR record of 127.0.16.2 set to the MX' "$T_DIR/hyg.report" ||
	t_fail "no FCrDNS advice in the report: $(cat "$T_DIR/hyg.report")"
"$T_BIN" check --resolver "$NS" --timeout 10s mixed.test >"$T_DIR/mixed.report" 2>&1 </dev/null
grep -q 'MX hygiene.*null_mx_mixed' "$T_DIR/mixed.report" ||
	t_fail "no null_mx_mixed in the report: $(cat "$T_DIR/mixed.report")"
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
		t_fail "promtool: $(cat "$T_DIR/promtool.out")"
fi
echo "all cases passed"
