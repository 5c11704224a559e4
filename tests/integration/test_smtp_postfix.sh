#!/bin/sh
# End-to-end test of the SMTP probe against real Postfix instances, one per
# case on its own loopback address, with certificates from a private test CA:
#   (a) 127.0.10.1  valid cert (CN/IP SAN 127.0.10.1, DNS mail1.test), STARTTLS
#   (b) 127.0.10.2  STARTTLS not offered (smtpd_tls_security_level = none)
#   (c) 127.0.10.3  expired certificate
#   (d) 127.0.10.4  certificate for other.test only (EC P-256 key)
#   (e) 127.0.10.1  smtps on 465 and submission on 587 of instance (a)
#   (f) 127.0.10.9  nothing listening
#   (g) promtool check metrics on the whole output
# The server side of every case is checked with openssl s_client / a plain
# EHLO first, then `mailsec_exporter --config FILE --once` runs all of them.
# (An endpoint given by name, [endpoint mail1.test:25], comes with the NSD
# test: it needs `resolver =`.)
. "$(dirname "$0")/../lib/common.sh"
t_setup smtp_postfix

A1=127.0.10.1 A2=127.0.10.2 A3=127.0.10.3 A4=127.0.10.4 A9=127.0.10.9
CA=$T_DIR/ca
OUT=$T_DIR/metrics.prom

# labels ADDR PORT PROTOCOL: the endpoint labels, in the exported order.
labels() { echo "domain=\"\",host=\"$1\",address=\"$1\",port=\"$2\",protocol=\"$3\""; }

# --- servers -------------------------------------------------------------
t_log "certificates"
t_ca "$CA"
t_cert "$CA" good "$A1" "IP:$A1,DNS:mail1.test" 1 365
t_cert "$CA" expired "$A3" "IP:$A3,DNS:mail3.test" 90 -2
t_cert "$CA" wrongname other.test "DNS:other.test" 1 365 ec256

if _l=$(t_listening "$A9" 25); then
	t_fail "case (f) needs nothing listening on $A9:25, but: $_l"
fi
for a in $A1 $A2 $A3 $A4; do t_addr "$a"; done
t_log "starting 4 Postfix instances"
t_postfix_start pf_valid "$A1" mail1.test +submission +smtps \
	"smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/good.chain.pem" "smtpd_tls_key_file = $CA/good.key"
t_postfix_start pf_notls "$A2" mail2.test "smtpd_tls_security_level = none"
t_postfix_start pf_expired "$A3" mail3.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/expired.chain.pem" "smtpd_tls_key_file = $CA/expired.key"
t_postfix_start pf_wrongname "$A4" mail4.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/wrongname.chain.pem" "smtpd_tls_key_file = $CA/wrongname.key"

# --- server side, checked with openssl s_client -------------------------------
t_log "checking the server side with openssl s_client"
S=$T_DIR/sclient
mkdir -p "$S"

# check_served FILE CERT WHAT: the s_client session in FILE was TLS 1.3 and
# the server presented CERT then the CA; the chain is split into FILE.cert.N.pem
# (names listed in FILE.certs).
check_served() {
	grep -q 'Protocol *: TLSv1.3' "$1" ||
		t_fail "$3: s_client did not negotiate TLSv1.3 (see $1)"
	t_split_pem "$1" "$1.cert" >"$1.certs"
	_leaf=$(sed -n 1p "$1.certs")
	[ -n "$_leaf" ] || t_fail "$3: no certificate in s_client output $1"
	[ "$(t_cert_fp "$_leaf")" = "$(t_cert_fp "$2")" ] ||
		t_fail "$3: the server presented $(openssl x509 -in "$_leaf" -noout -subject), not $2"
	[ "$(wc -l <"$1.certs")" -eq 2 ] ||
		t_fail "$3: expected a chain of 2 certificates (leaf, CA), got $(wc -l <"$1.certs")"
}

# (a) STARTTLS offered, valid cert, verifies for the IP and for mail1.test.
t_smtp_ehlo "$A1" 25 >"$S/a.ehlo"
grep -q '^220 mail1.test ESMTP test' "$S/a.ehlo" || t_fail "(a) banner: $(head -n1 "$S/a.ehlo")"
grep -q '^250[- ]STARTTLS' "$S/a.ehlo" || t_fail "(a) $A1:25 does not offer STARTTLS: $(cat "$S/a.ehlo")"
t_sclient "$S/a" "$A1" 25 smtp mail1.test -CAfile "$CA/ca.crt" -verify_ip "$A1" ||
	t_fail "(a) s_client -starttls smtp $A1:25 failed: $(tail -n 5 "$S/a")"
check_served "$S/a" "$CA/good.crt" "(a)"
grep -q 'Verify return code: 0 (ok)' "$S/a" ||
	t_fail "(a) chain/IP verification failed: $(grep 'Verify return code' "$S/a")"
t_sclient "$S/a2" "$A1" 25 smtp mail1.test -CAfile "$CA/ca.crt" -verify_hostname mail1.test
grep -q 'Verify return code: 0 (ok)' "$S/a2" ||
	t_fail "(a) verification for mail1.test failed: $(grep 'Verify return code' "$S/a2")"
A_CIPHER=$(sed -n 's/^ *Cipher *: *//p' "$S/a" | head -n1)

# (b) no STARTTLS in the EHLO reply.
t_smtp_ehlo "$A2" 25 >"$S/b.ehlo"
grep -q '^220 mail2.test ESMTP test' "$S/b.ehlo" || t_fail "(b) banner: $(head -n1 "$S/b.ehlo")"
grep -q '^250 ' "$S/b.ehlo" || t_fail "(b) no EHLO reply: $(cat "$S/b.ehlo")"
if grep -q 'STARTTLS' "$S/b.ehlo"; then t_fail "(b) $A2:25 offers STARTTLS: $(cat "$S/b.ehlo")"; fi

# (c) the expired certificate is served and fails verification as expired.
t_sclient "$S/c" "$A3" 25 smtp mail3.test -CAfile "$CA/ca.crt" -verify_ip "$A3"
check_served "$S/c" "$CA/expired.crt" "(c)"
grep -q 'Verify return code: 10 (certificate has expired)' "$S/c" ||
	t_fail "(c) expected 'certificate has expired': $(grep 'Verify return code' "$S/c")"

# (d) chain verifies, but not for the address.
t_sclient "$S/d" "$A4" 25 smtp mail4.test -CAfile "$CA/ca.crt"
check_served "$S/d" "$CA/wrongname.crt" "(d)"
grep -q 'Verify return code: 0 (ok)' "$S/d" ||
	t_fail "(d) chain verification failed: $(grep 'Verify return code' "$S/d")"
t_sclient "$S/d2" "$A4" 25 smtp mail4.test -CAfile "$CA/ca.crt" -verify_ip "$A4"
grep -q 'Verify return code: 64 (IP address mismatch)' "$S/d2" ||
	t_fail "(d) expected an IP address mismatch: $(grep 'Verify return code' "$S/d2")"

# (e) implicit TLS on 465 (SMTP greeting inside TLS), STARTTLS on 587.
t_sclient "$S/e465" "$A1" 465 tls mail1.test -CAfile "$CA/ca.crt" -verify_ip "$A1" ||
	t_fail "(e) s_client $A1:465 failed: $(tail -n 5 "$S/e465")"
check_served "$S/e465" "$CA/good.crt" "(e) smtps"
grep -q '^220 mail1.test ESMTP test' "$S/e465" || t_fail "(e) no SMTP greeting inside TLS on $A1:465"
t_sclient "$S/e587" "$A1" 587 smtp mail1.test -CAfile "$CA/ca.crt" -verify_ip "$A1" ||
	t_fail "(e) s_client -starttls smtp $A1:587 failed: $(tail -n 5 "$S/e587")"
check_served "$S/e587" "$CA/good.crt" "(e) submission"

# (f) connection refused.
if t_port_open "$A9" 25; then t_fail "(f) $A9:25 accepts connections"; fi
t_log "server side OK: (a) valid (b) no STARTTLS (c) expired (d) wrong name (e) 465/587 (f) refused"

# --- the exporter --------------------------------------------------------------
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built (make): the server side of every case is OK, the exporter part did not run"

CFG=$T_DIR/exporter.ini
cat >"$CFG" <<EOF
[exporter]
listen = 127.0.0.1:19924
timeout = 5s
ca_file = $CA/ca.crt
log_level = debug

[endpoint $A1:25]
protocol = smtp

[endpoint $A1:465]
protocol = smtps

[endpoint $A1:587]
protocol = submission

[endpoint $A2:25]
protocol = smtp

[endpoint $A3:25]
protocol = smtp

[endpoint $A4:25]
protocol = smtp

[endpoint $A9:25]
protocol = smtp
EOF

t_log "running $T_BIN --config $CFG --once"
timeout 60 "$T_BIN" --config "$CFG" --once >"$OUT" 2>"$T_DIR/once.log" </dev/null
rc=$?
if [ "$rc" -ne 0 ]; then
	tail -n 30 "$T_DIR/once.log" >&2
	t_fail "--once exited with status $rc (stderr above, full: $T_DIR/once.log)"
fi
[ -s "$OUT" ] || t_fail "--once printed nothing on stdout"
n=$(grep -c '^mailsec_probe_success{' "$OUT")
[ "$n" -eq 7 ] || { grep '^mailsec_probe_success' "$OUT" >&2; t_fail "expected 7 mailsec_probe_success samples (one per endpoint), got $n"; }

# (a)
L=$(labels "$A1" 25 smtp)
t_assert_metric "$OUT" "mailsec_probe_success{$L}" 1
t_assert_metric "$OUT" "mailsec_starttls_offered{$L}" 1
t_assert_metric "$OUT" "mailsec_tls_version_info{$L,version=\"TLSv1.3\"}" 1
t_assert_metric "$OUT" "mailsec_tls_cipher_info{$L,cipher=\"$A_CIPHER\"}" 1
t_assert_metric "$OUT" "mailsec_cert_not_after_timestamp_seconds{$L}" "$(t_cert_epoch "$CA/good.crt" enddate)"
t_assert_metric "$OUT" "mailsec_cert_not_before_timestamp_seconds{$L}" "$(t_cert_epoch "$CA/good.crt" startdate)"
earliest=
for c in $(cat "$S/a.certs"); do
	e=$(t_cert_epoch "$c" enddate)
	if [ -z "$earliest" ] || [ "$e" -lt "$earliest" ]; then earliest=$e; fi
done
t_assert_metric "$OUT" "mailsec_cert_chain_earliest_not_after_timestamp_seconds{$L}" "$earliest"
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1
t_assert_metric "$OUT" "mailsec_cert_hostname_match{$L}" 1
t_assert_absent "$OUT" "mailsec_cert_verify_error_info{$L,"
t_assert_metric "$OUT" "mailsec_cert_info{$L,subject=\"CN=$A1\",issuer=\"CN=mailsec test CA\",serial=\"$(t_cert_serial "$CA/good.crt")\",fingerprint_sha256=\"$(t_cert_fp "$CA/good.crt")\"}" 1
t_assert_absent "$OUT" "mailsec_probe_error_info{$L,"
d=$(t_metric_value "$OUT" "mailsec_probe_endpoint_duration_seconds{$L}") ||
	t_fail "no mailsec_probe_endpoint_duration_seconds{$L}"
awk -v d="$d" 'BEGIN { exit !(d >= 0 && d < 5) }' || t_fail "probe duration (a) = $d, want 0 <= d < 5"
echo "ok: (a) total duration $d s"

# (b)
L=$(labels "$A2" 25 smtp)
t_assert_metric "$OUT" "mailsec_probe_success{$L}" 0
t_assert_metric "$OUT" "mailsec_starttls_offered{$L}" 0
t_assert_metric "$OUT" "mailsec_probe_error_info{$L,step=\"ehlo\",reason=\"starttls_missing\",cause=\"none\"}" 1
t_assert_absent "$OUT" "mailsec_tls_version_info{$L,"
t_assert_absent "$OUT" "mailsec_cert_not_after_timestamp_seconds{$L}"

# (c)
L=$(labels "$A3" 25 smtp)
t_assert_metric "$OUT" "mailsec_probe_success{$L}" 1
t_assert_metric "$OUT" "mailsec_starttls_offered{$L}" 1
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 0
t_assert_metric "$OUT" "mailsec_cert_verify_error_info{$L,error=\"certificate has expired\"}" 1
t_assert_metric "$OUT" "mailsec_cert_not_after_timestamp_seconds{$L}" "$(t_cert_epoch "$CA/expired.crt" enddate)"
t_assert_metric "$OUT" "mailsec_cert_not_before_timestamp_seconds{$L}" "$(t_cert_epoch "$CA/expired.crt" startdate)"
t_assert_metric "$OUT" "mailsec_cert_chain_earliest_not_after_timestamp_seconds{$L}" "$(t_cert_epoch "$CA/expired.crt" enddate)"
t_assert_metric "$OUT" "mailsec_cert_hostname_match{$L}" 1

# (d) the chain is fine (verified 1), only the name is wrong.
L=$(labels "$A4" 25 smtp)
t_assert_metric "$OUT" "mailsec_probe_success{$L}" 1
t_assert_metric "$OUT" "mailsec_cert_hostname_match{$L}" 0
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1
t_assert_metric "$OUT" "mailsec_cert_info{$L,subject=\"CN=other.test\",issuer=\"CN=mailsec test CA\",serial=\"$(t_cert_serial "$CA/wrongname.crt")\",fingerprint_sha256=\"$(t_cert_fp "$CA/wrongname.crt")\"}" 1

# (e)
L=$(labels "$A1" 465 smtps)
t_assert_metric "$OUT" "mailsec_probe_success{$L}" 1
t_assert_metric "$OUT" "mailsec_tls_version_info{$L,version=\"TLSv1.3\"}" 1
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1
L=$(labels "$A1" 587 submission)
t_assert_metric "$OUT" "mailsec_probe_success{$L}" 1
t_assert_metric "$OUT" "mailsec_starttls_offered{$L}" 1
t_assert_metric "$OUT" "mailsec_tls_version_info{$L,version=\"TLSv1.3\"}" 1
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1

# (f)
L=$(labels "$A9" 25 smtp)
t_assert_metric "$OUT" "mailsec_probe_success{$L}" 0
t_assert_metric "$OUT" "mailsec_probe_error_info{$L,step=\"connect\",reason=\"conn\",cause=\"refused\"}" 1
t_assert_absent "$OUT" "mailsec_tls_version_info{$L,"

# (g)
if ! p=$(promtool check metrics <"$OUT" 2>&1) || [ -n "$p" ]; then
	printf '%s\n' "$p" >&2
	t_fail "promtool check metrics is not clean (above) on $OUT"
fi
echo "ok: promtool check metrics clean"
echo "all cases passed"
