#!/bin/sh
# SPF, DKIM and DMARC end to end: zones written here, served by a real NSD
# on 127.0.10.54, fetched by the exporter over c-ares, values asserted
# exactly.  Every domain has a null MX so nothing is probed: the A records
# below point at documentation addresses and are only ever looked up.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup records

NS=127.0.10.54
OUT=$T_DIR/metrics.prom
K=$T_DIR/keys
mkdir -p "$K"

# DKIM keys: base64 SubjectPublicKeyInfo, split in 200-byte strings as a
# zone file must for records over 255 bytes.
dkim_key() {	# BITS NAME
	openssl genrsa -out "$K/$2.pem" "$1" 2>/dev/null || t_fail "genrsa $1"
	openssl rsa -in "$K/$2.pem" -pubout -outform DER 2>/dev/null |
		base64 -w0 >"$K/$2.b64"
}
split_txt() {	# TEXT: "..." "..." strings of at most 200 bytes
	printf '%s' "$1" | fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' '
}
dkim_key 2048 good
dkim_key 512 weak
GOOD_P=$(cat "$K/good.b64") WEAK_P=$(cat "$K/weak.b64")

# A long SPF record, published as several strings that join with nothing.
LONG="v=spf1"
for i in $(seq 1 30); do LONG="$LONG ip4:198.51.100.$i"; done
LONG="$LONG -all"

t_zone dns rec.test <<EOF
ns		IN A 127.0.10.54
@		IN MX 0 .
_dmarc		IN TXT "v=DMARC1; p=reject; sp=quarantine"

good		IN MX 0 .
good		IN A 192.0.2.77
good		IN TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::1 a ~all"
good		IN TXT "google-site-verification=unrelated"
_dmarc.good	IN TXT "v=DMARC1;p=none;sp=quarantine;pct=100;rua=mailto:dmarcreports@good.rec.test"
mail._domainkey.good	IN TXT "v=DKIM1; k=rsa; " $(split_txt "p=$GOOD_P")
revoked._domainkey.good	IN TXT "v=DKIM1; k=rsa; p="
weak._domainkey.good	IN TXT "v=DKIM1; k=rsa; " $(split_txt "p=$WEAK_P")

two		IN MX 0 .
two		IN TXT "v=spf1 -all"
two		IN TXT "v=spf1 ip4:192.0.2.1 -all"

eleven		IN MX 0 .
eleven		IN TXT "v=spf1 a:h1.rec.test a:h2.rec.test a:h3.rec.test a:h4.rec.test a:h5.rec.test a:h6.rec.test a:h7.rec.test a:h8.rec.test a:h9.rec.test a:h10.rec.test a:h11.rec.test -all"
ten		IN MX 0 .
ten		IN TXT "v=spf1 a:h1.rec.test a:h2.rec.test a:h3.rec.test a:h4.rec.test a:h5.rec.test a:h6.rec.test a:h7.rec.test a:h8.rec.test a:h9.rec.test a:h10.rec.test -all"
$(for i in $(seq 1 11); do echo "h$i IN A 192.0.2.$i"; done)

loop		IN MX 0 .
loop		IN TXT "v=spf1 include:loop2.rec.test -all"
loop2		IN TXT "v=spf1 include:loop.rec.test -all"

missinc		IN MX 0 .
missinc		IN TXT "v=spf1 include:nothere.rec.test -all"

void		IN MX 0 .
void		IN TXT "v=spf1 a:nx1.rec.test a:nx2.rec.test a:nx3.rec.test -all"

split		IN MX 0 .
split		IN TXT $(split_txt "$LONG")

sub		IN MX 0 .
sub		IN TXT "v=spf1 -all"

bogus		IN MX 0 .
bogus		IN TXT "v=spf1 -all"
_dmarc.bogus	IN TXT "v=DMARC1; p=bogus"

ext		IN MX 0 .
ext		IN TXT "v=spf1 -all"
_dmarc.ext	IN TXT "v=DMARC1; p=reject; rua=mailto:a@reports.test,mailto:b@other.test"

; issue 19: the all of a redirect= target; an include's is not the domain's
redir		IN MX 0 .
redir		IN TXT "v=spf1 redirect=_spf.rec.test"
_spf		IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
incl		IN MX 0 .
incl		IN TXT "v=spf1 include:_spf.rec.test"
; a near-miss DMARC record (wrong case; a leading space) is ignored: rec.test's
; record applies, with its sp
nearmiss	IN MX 0 .
nearmiss	IN TXT "v=spf1 -all"
_dmarc.nearmiss	IN TXT "v=dmarc1; p=none"
nearsp		IN MX 0 .
nearsp		IN TXT "v=spf1 -all"
_dmarc.nearsp	IN TXT " v=DMARC1; p=none"
; check_host() without a usable record of the domain's own
nospf		IN MX 0 .
nospf		IN TXT "some-verification=abc"
badspf		IN MX 0 .
badspf		IN TXT "v=spf1 ip4:192.0.2.300 -all"
; ptr: eleven PTR targets of 192.0.2.5, only the tenth validates (c-ares
; lists every target in h_aliases and the last one again in h_name)
ptr		IN MX 0 .
ptr		IN TXT "v=spf1 ptr:rec.test -all"
$(for i in $(seq 1 11); do
	[ "$i" = 10 ] && echo "p$i IN A 192.0.2.5" || echo "p$i IN A 198.51.100.$i"
done)
; a DKIM key limited to sha1 (RFC 8301: refused)
sha1._domainkey.good	IN TXT "v=DKIM1; k=rsa; h=sha1; " $(split_txt "p=$GOOD_P")
EOF
t_zone dns 2.0.192.in-addr.arpa <<EOF
$(for i in $(seq 1 11); do echo "5 IN PTR p$i.rec.test."; done)
EOF
t_zone dns nearorg.test <<EOF
@		IN MX 0 .
@		IN TXT "v=spf1 -all"
_dmarc		IN TXT "v=dmarc1; p=reject"
EOF
t_zone dns nodmarc.test <<EOF
@		IN MX 0 .
@		IN TXT "v=spf1 -all"
EOF
t_zone dns reports.test <<EOF
ext.rec.test._report._dmarc	IN TXT "v=DMARC1"
EOF
t_zone dns other.test <<EOF
@		IN A 192.0.2.99
EOF
t_nsd_start dns "$NS" rec.test nodmarc.test reports.test other.test \
	2.0.192.in-addr.arpa nearorg.test

# The server side: the long record and the DKIM key come back joined.
cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
timeout = 5s
resolver = $NS
log_level = debug

[domain good.rec.test]
dkim_selectors = mail, revoked, weak, missing, sha1
spf_expect_pass = 192.0.2.10, 2001:db8::1, 198.51.100.1
[domain two.rec.test]
spf_expect_pass = 192.0.2.1
[domain eleven.rec.test]
[domain ten.rec.test]
[domain loop.rec.test]
[domain missinc.rec.test]
[domain void.rec.test]
[domain split.rec.test]
[domain sub.rec.test]
[domain bogus.rec.test]
[domain ext.rec.test]
[domain nodmarc.test]
[domain redir.rec.test]
spf_expect_pass = 192.0.2.1
[domain incl.rec.test]
[domain nearmiss.rec.test]
[domain nearsp.rec.test]
[domain nearorg.test]
[domain nospf.rec.test]
spf_expect_pass = 192.0.2.1
[domain badspf.rec.test]
spf_expect_pass = 192.0.2.1
[domain ptr.rec.test]
spf_expect_pass = 192.0.2.5
EOF
"$T_BIN" --config "$T_DIR/exporter.ini" --once >"$OUT" 2>"$T_DIR/stderr" ||
	t_fail "--once failed: $(tail -n 5 "$T_DIR/stderr")"

m() { t_assert_metric "$OUT" "$1" "$2"; }
# the documented example record, exactly as many domains publish it
m 'mailsec_spf_record_present{domain="good.rec.test"}' 1
m 'mailsec_spf_valid{domain="good.rec.test"}' 1
t_assert_absent "$OUT" 'mailsec_spf_error_info{domain="good.rec.test",'
m 'mailsec_spf_dns_lookups{domain="good.rec.test"}' 1
m 'mailsec_spf_void_lookups{domain="good.rec.test"}' 0
m 'mailsec_spf_all_qualifier_info{domain="good.rec.test",qualifier="softfail"}' 1
m 'mailsec_spf_ptr_used{domain="good.rec.test"}' 0
m 'mailsec_spf_record_bytes{domain="good.rec.test"}' "$(printf '%s' 'v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::1 a ~all' | wc -c)"
m 'mailsec_spf_check_host_result_info{domain="good.rec.test",address="192.0.2.10",source="config",result="pass"}' 1
m 'mailsec_spf_check_host_result_info{domain="good.rec.test",address="2001:db8::1",source="config",result="pass"}' 1
m 'mailsec_spf_check_host_result_info{domain="good.rec.test",address="198.51.100.1",source="config",result="softfail"}' 1
m 'mailsec_dmarc_record_present{domain="good.rec.test"}' 1
m 'mailsec_dmarc_valid{domain="good.rec.test"}' 1
m 'mailsec_dmarc_policy{domain="good.rec.test"}' 0
m 'mailsec_dmarc_subdomain_policy{domain="good.rec.test"}' 1
m 'mailsec_dmarc_pct{domain="good.rec.test"}' 100
m 'mailsec_dmarc_rua_destinations{domain="good.rec.test"}' 1
m 'mailsec_dmarc_from_org_domain{domain="good.rec.test"}' 0
t_assert_absent "$OUT" 'mailsec_dmarc_external_rua_authorized{domain="good.rec.test",'
# DKIM: good, revoked, 512-bit, missing selector
m 'mailsec_dkim_record_present{domain="good.rec.test",selector="mail"}' 1
m 'mailsec_dkim_valid{domain="good.rec.test",selector="mail"}' 1
m 'mailsec_dkim_key_size{domain="good.rec.test",selector="mail",key_type="rsa"}' 2048
m 'mailsec_dkim_revoked{domain="good.rec.test",selector="mail"}' 0
m 'mailsec_dkim_revoked{domain="good.rec.test",selector="revoked"}' 1
m 'mailsec_dkim_valid{domain="good.rec.test",selector="revoked"}' 0
m 'mailsec_dkim_valid{domain="good.rec.test",selector="weak"}' 0
m 'mailsec_dkim_key_size{domain="good.rec.test",selector="weak",key_type="rsa"}' 512
m 'mailsec_dkim_error_info{domain="good.rec.test",selector="weak",reason="key_too_short"}' 1
m 'mailsec_dkim_record_present{domain="good.rec.test",selector="missing"}' 0
m 'mailsec_dns_error_info{domain="good.rec.test",record="dkim",rcode="nxdomain",selector="missing"}' 1
# SPF failures, each with its reason; counts reported past the limits
m 'mailsec_spf_valid{domain="two.rec.test"}' 0
m 'mailsec_spf_error_info{domain="two.rec.test",reason="multiple_records"}' 1
m 'mailsec_spf_valid{domain="eleven.rec.test"}' 0
m 'mailsec_spf_dns_lookups{domain="eleven.rec.test"}' 11
m 'mailsec_spf_error_info{domain="eleven.rec.test",reason="too_many_dns_lookups"}' 1
m 'mailsec_spf_valid{domain="ten.rec.test"}' 1
m 'mailsec_spf_dns_lookups{domain="ten.rec.test"}' 10
m 'mailsec_spf_valid{domain="loop.rec.test"}' 0
m 'mailsec_spf_error_info{domain="loop.rec.test",reason="include_loop"}' 1
m 'mailsec_spf_valid{domain="missinc.rec.test"}' 0
m 'mailsec_spf_error_info{domain="missinc.rec.test",reason="include_target_missing"}' 1
m 'mailsec_spf_valid{domain="void.rec.test"}' 0
m 'mailsec_spf_void_lookups{domain="void.rec.test"}' 3
m 'mailsec_spf_error_info{domain="void.rec.test",reason="too_many_void_lookups"}' 1
# a TXT split into several strings is one record, joined with nothing
m 'mailsec_spf_valid{domain="split.rec.test"}' 1
m 'mailsec_spf_record_bytes{domain="split.rec.test"}' "$(printf '%s' "$LONG" | wc -c)"
# DMARC: the organisational domain's record with its sp; none at all; p=bogus
m 'mailsec_dmarc_from_org_domain{domain="sub.rec.test"}' 1
m 'mailsec_dmarc_record_present{domain="sub.rec.test"}' 1
m 'mailsec_dmarc_policy{domain="sub.rec.test"}' 1
m 'mailsec_dmarc_record_present{domain="nodmarc.test"}' 0
m 'mailsec_dmarc_error_info{domain="nodmarc.test",reason="no_record"}' 1
t_assert_absent "$OUT" 'mailsec_dmarc_policy{domain="nodmarc.test"}'
m 'mailsec_dmarc_valid{domain="bogus.rec.test"}' 0
m 'mailsec_dmarc_error_info{domain="bogus.rec.test",reason="bad_policy"}' 1
# external report destinations: authorized, and not
m 'mailsec_dmarc_external_rua_authorized{domain="ext.rec.test",destination="reports.test"}' 1
m 'mailsec_dmarc_external_rua_authorized{domain="ext.rec.test",destination="other.test"}' 0
m 'mailsec_dmarc_rua_destinations{domain="ext.rec.test"}' 2

# --- issue 19 -------------------------------------------------------------------
# the all comes from the record redirect= leads to
m 'mailsec_spf_valid{domain="redir.rec.test"}' 1
m 'mailsec_spf_all_qualifier_info{domain="redir.rec.test",qualifier="fail"}' 1
m 'mailsec_spf_check_host_result_info{domain="redir.rec.test",address="192.0.2.1",source="config",result="pass"}' 1
m 'mailsec_spf_all_qualifier_info{domain="incl.rec.test",qualifier="none"}' 1
m 'mailsec_spf_temperror{domain="redir.rec.test"}' 0
# DKIM h=sha1 only: invalid, with the reason
m 'mailsec_dkim_valid{domain="good.rec.test",selector="sha1"}' 0
m 'mailsec_dkim_sha1_only{domain="good.rec.test",selector="sha1"}' 1
m 'mailsec_dkim_error_info{domain="good.rec.test",selector="sha1",reason="sha1_only"}' 1
# a near miss does not stop the organisational-domain fallback; it is reported
for d in nearmiss nearsp; do
	m "mailsec_dmarc_from_org_domain{domain=\"$d.rec.test\"}" 1
	m "mailsec_dmarc_near_miss{domain=\"$d.rec.test\"}" 1
	m "mailsec_dmarc_valid{domain=\"$d.rec.test\"}" 1
	m "mailsec_dmarc_policy{domain=\"$d.rec.test\"}" 1
done
m 'mailsec_dmarc_near_miss{domain="good.rec.test"}' 0
# at an organisational domain there is nothing to fall back to
m 'mailsec_dmarc_from_org_domain{domain="nearorg.test"}' 0
m 'mailsec_dmarc_near_miss{domain="nearorg.test"}' 1
m 'mailsec_dmarc_valid{domain="nearorg.test"}' 0
m 'mailsec_dmarc_error_info{domain="nearorg.test",reason="bad_version"}' 1
t_assert_absent "$OUT" 'mailsec_dmarc_policy{domain="nearorg.test"}'
# check_host() has an answer without a usable record: none, permerror
m 'mailsec_spf_check_host_result_info{domain="nospf.rec.test",address="192.0.2.1",source="config",result="none"}' 1
m 'mailsec_spf_check_host_result_info{domain="two.rec.test",address="192.0.2.1",source="config",result="permerror"}' 1
m 'mailsec_spf_check_host_result_info{domain="badspf.rec.test",address="192.0.2.1",source="config",result="permerror"}' 1
m 'mailsec_spf_error_info{domain="badspf.rec.test",reason="bad_ip4"}' 1
# ptr: the first ten targets in answer order, each once
m 'mailsec_spf_check_host_result_info{domain="ptr.rec.test",address="192.0.2.5",source="config",result="pass"}' 1

promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
echo "all cases passed"
