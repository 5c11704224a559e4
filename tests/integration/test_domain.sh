#!/bin/sh
# Domain targets end to end: the exporter asks a real NSD (127.0.10.53) for
# MX, A and AAAA, and probes every address of every MX host.
#   mail.test     MX 10 mx1 (127.0.10.41, Postfix, cert for mx1.mail.test)
#                 MX 20 mx2 (A 127.0.10.42: nothing listens; AAAA ::1: Postfix)
#   nullmx.test   MX 0 .  (RFC 7505)
#   nomx.test     no MX, A 127.0.10.41 (RFC 5321 implicit MX)
#   missing.mail.test  NXDOMAIN
#   dup.test      MX 10 and MX 20 both mx1.mail.test: probed once
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup domain

NS=127.0.10.53 M1=127.0.10.41 M2=127.0.10.42
CA=$T_DIR/ca
OUT=$T_DIR/metrics.prom

if _l=$(t_listening "$M2" 25); then t_fail "$M2:25 must be free: $_l"; fi
if _l=$(t_listening ::1 25); then t_fail "[::1]:25 must be free: $_l"; fi

t_ca "$CA"
t_cert "$CA" mx1 mx1.mail.test "DNS:mx1.mail.test" 1 30
t_cert "$CA" mx2 mx2.mail.test "DNS:mx2.mail.test" 1 60
t_addr "$M1"
t_postfix_start pf_mx1 "$M1" mx1.mail.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/mx1.chain.pem" "smtpd_tls_key_file = $CA/mx1.key"
t_postfix_start pf_mx2 ::1 mx2.mail.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/mx2.chain.pem" "smtpd_tls_key_file = $CA/mx2.key"

t_zone dns mail.test <<EOF
@	IN MX 10 mx1.mail.test.
@	IN MX 20 MX2.mail.test.
ns	IN A 127.0.10.53
mx1	IN A $M1
mx2	IN A $M2
mx2	IN AAAA ::1
EOF
t_zone dns nullmx.test <<EOF
@	IN MX 0 .
EOF
t_zone dns nomx.test <<EOF
@	IN A $M1
EOF
t_zone dns dup.test <<EOF
@	IN MX 10 mx1.mail.test.
@	IN MX 20 MX1.mail.test.
EOF
t_nsd_start dns "$NS" mail.test nullmx.test nomx.test dup.test

cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = 127.0.0.1:19926
timeout = 5s
resolver = $NS
ca_file = $CA/ca.crt
log_level = debug

[domain mail.test]
[domain nullmx.test]
[domain nomx.test]
[domain missing.mail.test]
[domain dup.test]
EOF
"$T_BIN" --config "$T_DIR/exporter.ini" --once >"$OUT" 2>"$T_DIR/stderr" ||
	t_fail "--once failed: $(tail -n 5 "$T_DIR/stderr")"

l() { echo "domain=\"$1\",host=\"$2\",address=\"$3\",port=\"25\",protocol=\"smtp\""; }

# mail.test: both MX, sorted by preference, names lowercased.
t_assert_metric "$OUT" 'mailsec_mx_records{domain="mail.test"}' 2
t_assert_metric "$OUT" 'mailsec_mx_info{domain="mail.test",host="mx1.mail.test",preference="10"}' 1
t_assert_metric "$OUT" 'mailsec_mx_info{domain="mail.test",host="mx2.mail.test",preference="20"}' 1
t_assert_metric "$OUT" 'mailsec_dns_lookup_success{domain="mail.test",record="mx"}' 1
t_assert_metric "$OUT" 'mailsec_mx_null{domain="mail.test"}' 0
t_assert_metric "$OUT" 'mailsec_mx_implicit{domain="mail.test"}' 0
# every address of every host, IPv4 and IPv6
t_assert_metric "$OUT" "mailsec_probe_success{$(l mail.test mx1.mail.test $M1)}" 1
t_assert_metric "$OUT" "mailsec_cert_hostname_match{$(l mail.test mx1.mail.test $M1)}" 1
t_assert_metric "$OUT" "mailsec_cert_verified{$(l mail.test mx1.mail.test $M1)}" 1
t_assert_metric "$OUT" "mailsec_cert_not_after_timestamp_seconds{$(l mail.test mx1.mail.test $M1)}" \
	"$(t_cert_epoch "$CA/mx1.crt" enddate)"
t_assert_metric "$OUT" "mailsec_probe_success{$(l mail.test mx2.mail.test $M2)}" 0
t_assert_metric "$OUT" "mailsec_probe_error_info{$(l mail.test mx2.mail.test $M2),step=\"connect\",reason=\"conn\",cause=\"refused\"}" 1
t_assert_metric "$OUT" "mailsec_probe_success{$(l mail.test mx2.mail.test ::1)}" 1
t_assert_metric "$OUT" "mailsec_cert_hostname_match{$(l mail.test mx2.mail.test ::1)}" 1
t_assert_metric "$OUT" "mailsec_cert_not_after_timestamp_seconds{$(l mail.test mx2.mail.test ::1)}" \
	"$(t_cert_epoch "$CA/mx2.crt" enddate)"
t_assert_metric "$OUT" 'mailsec_check_success{target="mail.test",kind="domain"}' 0

# nullmx.test: null MX reported, nothing probed, nothing wrong.
t_assert_metric "$OUT" 'mailsec_mx_null{domain="nullmx.test"}' 1
t_assert_metric "$OUT" 'mailsec_mx_records{domain="nullmx.test"}' 1
t_assert_absent "$OUT" 'mailsec_probe_success{domain="nullmx.test",'
t_assert_metric "$OUT" 'mailsec_check_success{target="nullmx.test",kind="domain"}' 1

# nomx.test: no MX, the domain's own address is the mail host; the cert
# there is mx1's, so the name does not match.
t_assert_metric "$OUT" 'mailsec_mx_implicit{domain="nomx.test"}' 1
t_assert_metric "$OUT" 'mailsec_mx_records{domain="nomx.test"}' 0
t_assert_metric "$OUT" 'mailsec_dns_error_info{domain="nomx.test",record="mx",rcode="nodata"}' 1
t_assert_metric "$OUT" "mailsec_probe_success{$(l nomx.test nomx.test $M1)}" 1
t_assert_metric "$OUT" "mailsec_cert_hostname_match{$(l nomx.test nomx.test $M1)}" 0

# missing.mail.test: NXDOMAIN, told apart from no-data.
t_assert_metric "$OUT" 'mailsec_dns_lookup_success{domain="missing.mail.test",record="mx"}' 1
t_assert_metric "$OUT" 'mailsec_dns_error_info{domain="missing.mail.test",record="mx",rcode="nxdomain"}' 1
t_assert_metric "$OUT" 'mailsec_check_success{target="missing.mail.test",kind="domain"}' 0

# dup.test: one exchanger at two preferences is resolved and probed once
t_assert_metric "$OUT" 'mailsec_mx_records{domain="dup.test"}' 2
t_assert_metric "$OUT" "mailsec_probe_success{$(l dup.test mx1.mail.test $M1)}" 1
n=$(grep -c '^mailsec_probe_success{domain="dup.test",' "$OUT")
[ "$n" = 1 ] || t_fail "dup.test: $n mailsec_probe_success samples, want 1"

promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"

# address_label = off: one series per host, port and protocol; mx2 has a
# dead IPv4 address and a working IPv6 one: its series is the failed one's.
sed 's/^log_level = debug$/log_level = info\naddress_label = off/' "$T_DIR/exporter.ini" >"$T_DIR/off.ini"
"$T_BIN" --config "$T_DIR/off.ini" --once >"$T_DIR/off.prom" 2>"$T_DIR/off.stderr" ||
	t_fail "--once (address_label = off) failed: $(tail -n 5 "$T_DIR/off.stderr")"
t_assert_metric "$T_DIR/off.prom" "mailsec_probe_success{$(l mail.test mx2.mail.test '')}" 0
t_assert_metric "$T_DIR/off.prom" "mailsec_probe_error_info{$(l mail.test mx2.mail.test ''),step=\"connect\",reason=\"conn\",cause=\"refused\"}" 1
t_assert_metric "$T_DIR/off.prom" "mailsec_probe_success{$(l mail.test mx1.mail.test '')}" 1
[ "$(grep -c '^mailsec_probe_success{domain="mail.test",host="mx2.mail.test"' "$T_DIR/off.prom")" = 1 ] ||
	t_fail "address_label = off: not one series for mx2: $(grep '^mailsec_probe_success{domain="mail.test"' "$T_DIR/off.prom")"
grep "host=" "$T_DIR/off.prom" | grep -q "address=\"$M2\"\|address=\"::1\"" &&
	t_fail "address_label = off: an endpoint series still has its address"
promtool check metrics <"$T_DIR/off.prom" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics (off): $(cat "$T_DIR/promtool.out")"
echo "ok: address_label = off"
# address_label = hash: every address a distinct 8-hex-digit hash.
sed 's/^log_level = debug$/log_level = info\naddress_label = hash/' "$T_DIR/exporter.ini" >"$T_DIR/hash.ini"
"$T_BIN" --config "$T_DIR/hash.ini" --once >"$T_DIR/hash.prom" 2>"$T_DIR/hash.stderr" ||
	t_fail "--once (address_label = hash) failed"
h=$(printf '%s' ::1 | sha256sum | cut -c1-8)
t_assert_metric "$T_DIR/hash.prom" "mailsec_probe_success{$(l mail.test mx2.mail.test "$h")}" 1
[ "$(grep '^mailsec_probe_success{domain="mail.test",host="mx2.mail.test"' "$T_DIR/hash.prom" | grep -c 'address="[0-9a-f]\{8\}"')" = 2 ] ||
	t_fail "address_label = hash: not two hashed addresses for mx2"
echo "ok: address_label = hash"
echo "all cases passed"
