#!/bin/sh
# MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) end to end: zones written here
# and served by a real NSD, policies served over HTTPS by a real nginx (one
# server block per mta-sts.<domain>, certificates from the test's own CA),
# two real Postfix MX hosts (one whose certificate verifies for its MX name,
# one whose does not), the exporter fetching and judging everything.  Every
# case asserts its exact metrics.
#
# Loopback only: NSD 127.0.61.53, nginx 127.0.61.44:443, Postfix
# 127.0.61.25 (mx1.sts.test) and 127.0.61.26 (mx2.sts.test).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/../lib/nginx.sh"
t_setup mta_sts

NS=127.0.61.53 WEB=127.0.61.44 MX1=127.0.61.25 MX2=127.0.61.26
OUT=$T_DIR/metrics.prom
CA=$T_DIR/ca
WWW=$T_DIR/www
mkdir -p "$WWW"
for a in $NS $WEB $MX1 $MX2; do t_addr "$a"; done

# Policy-served domains, each a case below.
GOOD="enforce testing none notcovered wild unrelated longid split notfound
	redirect html charset lfonly big age0 agemax ageover repmode rpthttp"
SANS=
for d in $GOOD; do SANS="$SANS${SANS:+,}DNS:mta-sts.$d.sts.test"; done
t_ca "$CA"
t_cert "$CA" web mta-sts.enforce.sts.test "$SANS" 1 365
t_cert "$CA" expired mta-sts.expired.sts.test "DNS:mta-sts.expired.sts.test" 90 -2
t_cert "$CA" wrongname elsewhere.test "DNS:elsewhere.test" 1 365
t_cert "$CA" mx1 mx1.sts.test "DNS:mx1.sts.test" 1 365
t_cert "$CA" mx2 nomatch.test "DNS:nomatch.test" 1 365

crlf() { printf '%s\r\n' "$@"; }
crlf "version: STSv1" "mode: enforce" "mx: mx1.sts.test" "max_age: 604800" >"$WWW/enforce"
crlf "version: STSv1" "mode: testing" "mx: *.sts.test" "max_age: 86400" >"$WWW/testing"
crlf "version: STSv1" "mode: none" "max_age: 86400" >"$WWW/none"
crlf "version: STSv1" "mode: enforce" "mx: mail.example.net" "max_age: 86400" >"$WWW/notcovered"
# "*.test" spans two labels of mx1.sts.test, "*.mx1.sts.test" needs one more
crlf "version: STSv1" "mode: enforce" "mx: *.test" "mx: *.mx1.sts.test" "max_age: 86400" >"$WWW/wild"
for d in unrelated longid split notfound redirect html charset big rpthttp; do
	cp "$WWW/enforce" "$WWW/$d"
done
printf 'version: STSv1\nmode: enforce\nmx: mx1.sts.test\nmax_age: 3600' >"$WWW/lfonly"
# 70 KiB: over RFC 8461's 64 KiB
{ cat "$WWW/enforce"; head -c 71680 /dev/zero | tr '\0' 'x' | fold -w 70 | sed 's/^/x-pad: /'; } >"$WWW/big"
crlf "version: STSv1" "mode: none" "max_age: 0" >"$WWW/age0"
crlf "version: STSv1" "mode: none" "max_age: 31557600" >"$WWW/agemax"
crlf "version: STSv1" "mode: none" "max_age: 31557601" >"$WWW/ageover"
crlf "version: STSv1" "mode: testing" "mode: enforce" "mx: mx1.sts.test" "max_age: 60" >"$WWW/repmode"
cp "$WWW/enforce" "$WWW/expired"
cp "$WWW/enforce" "$WWW/wrongname"

site() {	# NAME CERT LOCATION-BODY
	cat <<NGX
server {
	listen $WEB:443 ssl;
	server_name mta-sts.$1.sts.test;
	ssl_certificate $CA/$2.chain.pem;
	ssl_certificate_key $CA/$2.key;
	location = /.well-known/mta-sts.txt {
		$3
	}
}
NGX
}
plain="types { } default_type text/plain;"
{
	for d in enforce testing none notcovered wild unrelated longid split lfonly \
	    big age0 agemax ageover repmode rpthttp; do
		site "$d" web "$plain alias $WWW/$d;"
	done
	site notfound web "return 404;"
	site redirect web "return 301 https://mta-sts.enforce.sts.test/.well-known/mta-sts.txt;"
	site html web "types { } default_type text/html; alias $WWW/html;"
	site charset web "types { } default_type text/plain; charset utf-8; charset_types text/plain; alias $WWW/charset;"
	site expired expired "$plain alias $WWW/expired;"
	site wrongname wrongname "$plain alias $WWW/wrongname;"
} >"$T_DIR/nginx.http.conf"
mkdir -p "$T_DIR/web" && mv "$T_DIR/nginx.http.conf" "$T_DIR/web/http.conf"
t_nginx_start web "$WEB:443"

# The zone: every case's _mta-sts and _smtp._tls records, MX and the policy
# host's address.
{
	echo "ns IN A $NS"
	echo "mx1 IN A $MX1"
	echo "mx2 IN A $MX2"
	for d in $GOOD expired wrongname; do
		echo "mta-sts.$d IN A $WEB"
		case $d in
		enforce|notcovered|wild|lfonly|repmode) echo "$d IN MX 10 mx1.sts.test." ;;
		testing) echo "$d IN MX 10 mx1.sts.test."; echo "$d IN MX 20 mx2.sts.test." ;;
		*) echo "$d IN MX 0 ." ;;
		esac
		case $d in
		longid) echo "_mta-sts.$d IN TXT \"v=STSv1; id=123456789012345678901234567890123\"" ;;
		split) echo "_mta-sts.$d IN TXT \"v=STSv1; \" \"id=split1\"" ;;
		unrelated) echo "_mta-sts.$d IN TXT \"v=STSv1; id=u1\""
			echo "_mta-sts.$d IN TXT \"v=spf1 -all\"" ;;
		*) echo "_mta-sts.$d IN TXT \"v=STSv1; id=${d}20261203\"" ;;
		esac
	done
	echo "two IN MX 0 ."
	echo "_mta-sts.two IN TXT \"v=STSv1; id=a1\""
	echo "_mta-sts.two IN TXT \"v=STSv1; id=b2\""
	echo "norecord IN MX 0 ."
	echo "_smtp._tls.enforce IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@enforce.sts.test,https://reports.example.net/tlsrpt\""
	echo "_smtp._tls.rpthttp IN TXT \"v=TLSRPTv1; rua=http://reports.example.net/tlsrpt\""
} | t_zone dns sts.test
t_nsd_start dns "$NS" sts.test

t_log "starting 2 Postfix MX hosts"
t_postfix_start pf_mx1 "$MX1" mx1.sts.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/mx1.chain.pem" "smtpd_tls_key_file = $CA/mx1.key"
t_postfix_start pf_mx2 "$MX2" mx2.sts.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/mx2.chain.pem" "smtpd_tls_key_file = $CA/mx2.key"

{
	cat <<INI
[exporter]
timeout = 5s
resolver = $NS
ca_file = $CA/ca.crt
audit = off
log_level = debug
INI
	for d in $GOOD expired wrongname two norecord; do
		printf '[domain %s.sts.test]\nrecords = off\n' "$d"
	done
	printf '[domain off.sts.test]\nrecords = off\nmta_sts = off\ntls_rpt = off\n'
} >"$T_DIR/exporter.ini"
"$T_BIN" --config "$T_DIR/exporter.ini" --once >"$OUT" 2>"$T_DIR/stderr" ||
	t_fail "--once failed: $(tail -n 5 "$T_DIR/stderr")"

m() { t_assert_metric "$OUT" "$1" "$2"; }
no() { t_assert_absent "$OUT" "$1"; }
D='domain="'
# a valid enforce policy, its MX covered and compliant; TLS-RPT valid
m "mailsec_mta_sts_record_present{${D}enforce.sts.test\"}" 1
m "mailsec_mta_sts_record_valid{${D}enforce.sts.test\"}" 1
m "mailsec_mta_sts_id_info{${D}enforce.sts.test\",id=\"enforce20261203\"}" 1
m "mailsec_mta_sts_policy_fetch_success{${D}enforce.sts.test\"}" 1
m "mailsec_mta_sts_policy_valid{${D}enforce.sts.test\"}" 1
m "mailsec_mta_sts_mode_info{${D}enforce.sts.test\",mode=\"enforce\"}" 1
m "mailsec_mta_sts_max_age_seconds{${D}enforce.sts.test\"}" 604800
m "mailsec_mta_sts_mx_patterns{${D}enforce.sts.test\"}" 1
m "mailsec_mta_sts_mx_covered{${D}enforce.sts.test\",host=\"mx1.sts.test\"}" 1
m "mailsec_mta_sts_mx_compliant{${D}enforce.sts.test\",host=\"mx1.sts.test\"}" 1
m "mailsec_mta_sts_cert_not_after_timestamp_seconds{${D}enforce.sts.test\"}" "$(t_cert_epoch "$CA/web.crt" enddate)"
no "mailsec_mta_sts_error_info{${D}enforce.sts.test\","
m "mailsec_tls_rpt_record_present{${D}enforce.sts.test\"}" 1
m "mailsec_tls_rpt_valid{${D}enforce.sts.test\"}" 1
m "mailsec_tls_rpt_rua_destinations{${D}enforce.sts.test\"}" 2
no "mailsec_tls_rpt_error_info{${D}enforce.sts.test\","
m "mailsec_dns_lookup_success{${D}enforce.sts.test\",record=\"mta_sts\"}" 1
# testing with a wildcard that must match both MX hosts; mx2's certificate
# does not verify for its name
m "mailsec_mta_sts_mode_info{${D}testing.sts.test\",mode=\"testing\"}" 1
m "mailsec_mta_sts_mx_covered{${D}testing.sts.test\",host=\"mx1.sts.test\"}" 1
m "mailsec_mta_sts_mx_covered{${D}testing.sts.test\",host=\"mx2.sts.test\"}" 1
m "mailsec_mta_sts_mx_compliant{${D}testing.sts.test\",host=\"mx1.sts.test\"}" 1
m "mailsec_mta_sts_mx_compliant{${D}testing.sts.test\",host=\"mx2.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}testing.sts.test\",reason=\"mx_not_compliant\"}" 1
# none without mx: valid
m "mailsec_mta_sts_policy_valid{${D}none.sts.test\"}" 1
m "mailsec_mta_sts_mode_info{${D}none.sts.test\",mode=\"none\"}" 1
m "mailsec_mta_sts_mx_patterns{${D}none.sts.test\"}" 0
# an MX not covered; wildcards that must not match
m "mailsec_mta_sts_mx_covered{${D}notcovered.sts.test\",host=\"mx1.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}notcovered.sts.test\",reason=\"mx_not_covered\"}" 1
m "mailsec_mta_sts_mx_compliant{${D}notcovered.sts.test\",host=\"mx1.sts.test\"}" 0
m "mailsec_mta_sts_mx_covered{${D}wild.sts.test\",host=\"mx1.sts.test\"}" 0
m "mailsec_mta_sts_mx_patterns{${D}wild.sts.test\"}" 2
# records: two, an unrelated TXT beside, an id of 33, a split TXT, none
m "mailsec_mta_sts_record_present{${D}two.sts.test\"}" 1
m "mailsec_mta_sts_record_valid{${D}two.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}two.sts.test\",reason=\"multiple_records\"}" 1
no "mailsec_mta_sts_policy_fetch_success{${D}two.sts.test\"}"
m "mailsec_mta_sts_record_valid{${D}unrelated.sts.test\"}" 1
m "mailsec_mta_sts_record_valid{${D}longid.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}longid.sts.test\",reason=\"bad_id\"}" 1
m "mailsec_mta_sts_record_valid{${D}split.sts.test\"}" 1
m "mailsec_mta_sts_id_info{${D}split.sts.test\",id=\"split1\"}" 1
m "mailsec_mta_sts_record_present{${D}norecord.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}norecord.sts.test\",reason=\"no_record\"}" 1
m "mailsec_tls_rpt_record_present{${D}norecord.sts.test\"}" 0
m "mailsec_tls_rpt_error_info{${D}norecord.sts.test\",reason=\"no_record\"}" 1
# the fetch: 404, 301, text/html, a charset parameter, LF only, 70 KiB
m "mailsec_mta_sts_policy_fetch_success{${D}notfound.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}notfound.sts.test\",reason=\"fetch_status\"}" 1
m "mailsec_mta_sts_policy_fetch_success{${D}redirect.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}redirect.sts.test\",reason=\"fetch_redirect\"}" 1
m "mailsec_mta_sts_policy_fetch_success{${D}html.sts.test\"}" 1
m "mailsec_mta_sts_policy_valid{${D}html.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}html.sts.test\",reason=\"content_type\"}" 1
m "mailsec_mta_sts_policy_valid{${D}charset.sts.test\"}" 1
m "mailsec_mta_sts_policy_valid{${D}lfonly.sts.test\"}" 1
m "mailsec_mta_sts_max_age_seconds{${D}lfonly.sts.test\"}" 3600
m "mailsec_mta_sts_policy_valid{${D}big.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}big.sts.test\",reason=\"too_large\"}" 1
# the policy host's certificate: expired, and for another name
m "mailsec_mta_sts_policy_fetch_success{${D}expired.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}expired.sts.test\",reason=\"fetch_cert\"}" 1
m "mailsec_mta_sts_cert_not_after_timestamp_seconds{${D}expired.sts.test\"}" "$(t_cert_epoch "$CA/expired.crt" enddate)"
m "mailsec_mta_sts_policy_fetch_success{${D}wrongname.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}wrongname.sts.test\",reason=\"fetch_cert\"}" 1
# max_age at 0 and at the limit, one over; a repeated mode keeps the first
m "mailsec_mta_sts_max_age_seconds{${D}age0.sts.test\"}" 0
m "mailsec_mta_sts_max_age_seconds{${D}agemax.sts.test\"}" 31557600
m "mailsec_mta_sts_policy_valid{${D}ageover.sts.test\"}" 0
m "mailsec_mta_sts_error_info{${D}ageover.sts.test\",reason=\"bad_max_age\"}" 1
m "mailsec_mta_sts_mode_info{${D}repmode.sts.test\",mode=\"testing\"}" 1
# TLS-RPT with an http: URI
m "mailsec_tls_rpt_record_present{${D}rpthttp.sts.test\"}" 1
m "mailsec_tls_rpt_valid{${D}rpthttp.sts.test\"}" 0
m "mailsec_tls_rpt_error_info{${D}rpthttp.sts.test\",reason=\"bad_rua\"}" 1
# mta_sts = off, tls_rpt = off: nothing asked
no "mailsec_mta_sts_record_present{${D}off.sts.test\"}"
no "mailsec_tls_rpt_record_present{${D}off.sts.test\"}"

# The policy host saw each fetch once, with SNI (one server block answered
# each name) and never a redirect followed.
n=$(grep -c 'mta-sts.txt' "$T_DIR/web/access.log")
want=$(echo $GOOD | wc -w)
[ "$n" -eq "$want" ] || t_fail "nginx saw $n policy fetches, expected $want (the expired and wrongly named hosts fail before HTTP)"

promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"

# The verdict a person reads: `check` (the same policy as the status page
# and the JSON API).
CHK="$T_BIN check --resolver $NS --ca-file $CA/ca.crt"
NO_COLOR=1 $CHK enforce.sts.test notcovered.sts.test html.sts.test norecord.sts.test \
	>"$T_DIR/check.txt" 2>&1
line() {	# PATTERN: a line of the report matches it
	grep -Eq "$1" "$T_DIR/check.txt" || t_fail "check: no line /$1/ in: $(cat "$T_DIR/check.txt")"
	echo "ok: check: $1"
}
line '^  MTA-STS +pass +enforce, max_age 604800 s, 1 mx pattern$'
line '^  MTA-STS +fail +enforce: mx1.sts.test matches no mx pattern$'
line 'fix: +add "mx: mx1.sts.test" to the policy'
line '^  MTA-STS +n/a +not published$'
line '^  MTA-STS +fail +policy content_type: Content-Type is "text/html", not text/plain$'
$CHK --json testing.sts.test >"$T_DIR/check_testing.json" 2>/dev/null
python3 - "$T_DIR/check_testing.json" <<'PY' || t_fail "check --json: the MTA-STS verdict and facts"
import json, sys
doc = json.load(open(sys.argv[1]))
t = doc["targets"][0] if "targets" in doc else doc
v = t["checks"]["mta_sts"]
assert v["verdict"] == "warn", v
assert v["finding"] == "mta_sts_mx_cert", v
assert "mx2.sts.test" in v["text"], v
m = t["mta_sts"]
assert m["mode"] == "testing" and m["mx"] == ["*.sts.test"], m
assert m["tls_rpt"]["present"] is False and m["tls_rpt"]["reason"] == "no_record", m
PY
echo "ok: check --json: mta_sts verdict warn (mta_sts_mx_cert), mode testing, no TLS-RPT"

# /probe: whoever may ask must not make the exporter fetch from loopback.
# The policy host of none.sts.test is 127.0.61.44: refused unless a CIDR of
# probe_allow holds it (doc/probe.md); nothing reaches nginx then.
LISTEN=127.0.61.1:19961
probe_daemon() {	# PROBE_ALLOW
	cat >"$T_DIR/probe.ini" <<INI
[exporter]
listen = $LISTEN
timeout = 5s
resolver = $NS
ca_file = $CA/ca.crt
probe_allow = $1
[module domain]
kind = domain
records = off
INI
	"$T_BIN" --config "$T_DIR/probe.ini" >"$T_DIR/probe.log" 2>&1 &
	PD=$!
	t_pid "$PD"
	t_wait_port 127.0.61.1 19961 10 || t_fail "the /probe daemon did not listen"
}
before=$(grep -c 'mta-sts.txt' "$T_DIR/web/access.log")
probe_daemon "*.sts.test"
curl -s "http://$LISTEN/probe?target=none.sts.test&module=domain" >"$T_DIR/probe1.prom"
# libcurl is loaded by the first fetch (collectors/curl_lib.h): none yet
! grep -q 'libcurl' "/proc/$PD/maps" ||
	t_fail "libcurl is mapped before any fetch"
t_stop_pid "$PD"
m_p() { t_assert_metric "$T_DIR/probe1.prom" "$1" "$2"; }
m_p "mailsec_mta_sts_error_info{${D}none.sts.test\",reason=\"not_allowed\"}" 1
m_p "mailsec_mta_sts_policy_fetch_success{${D}none.sts.test\"}" 0
[ "$(grep -c 'mta-sts.txt' "$T_DIR/web/access.log")" -eq "$before" ] ||
	t_fail "a refused /probe fetch reached the policy host"
probe_daemon "*.sts.test, 127.0.61.44/32"
curl -s "http://$LISTEN/probe?target=none.sts.test&module=domain" >"$T_DIR/probe2.prom"
grep -q 'libcurl\.so\.4' "/proc/$PD/maps" ||
	t_fail "libcurl is not mapped after a fetch"
t_stop_pid "$PD"
t_assert_metric "$T_DIR/probe2.prom" "mailsec_mta_sts_policy_valid{${D}none.sts.test\"}" 1
echo "all cases passed"
