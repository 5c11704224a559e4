#!/bin/sh
# End-to-end test of the ratings (collectors/rating.c, doc/ratings.md) and
# of the audit's suite-class and group handshakes, against real servers:
#
#   (a) 127.0.10.80:25  Postfix with the seed's TLS settings
#                       (shared/reference/seed-configs/postfix-main.cf.tls:
#                       TLS 1.0-1.2, "medium" ciphers minus aNULL/DES/3DES/
#                       MD5/RC4, a 4096-bit DH file, client cipher order),
#                       an RSA-2048 leaf
#   (b) 127.0.10.81:25  strict Postfix: TLS 1.3 only, the two good TLS 1.3
#                       suites and X25519/P-256/P-384 (an OpenSSL config
#                       file through tls_config_file), an ECDSA P-256 leaf
#   (c) 127.0.10.82:993 Dovecot limited to ffdhe2048 (TLS 1.3 only)
#   (d) 127.0.10.83:993 Dovecot limited to P-256 (TLS 1.3 only)
#
# The expected classes are those of the tables (NCSC-NL 2025 as internet.nl
# encodes them), each written beside the fact it rests on.
#
# Facts this relies on (Debian 12: OpenSSL 3.0, Postfix 3.7, Dovecot 2.3):
# - Postfix's medium list includes static RSA and CBC-SHA1 suites
#   (insufficient), ECDHE-RSA-AES128-SHA256 (phase out) and ECDHE AES-GCM
#   (sufficient); it follows the client's order (tls_preempt_cipherlist =
#   no), so a hello with the phase-out suites first gets one of them.
# - /usr/share/dovecot/dh.pem is RFC 3526's 4096-bit MODP group, not an
#   RFC 7919 one: a custom group for the guideline (insufficient).
# - Postfix 3.7 has tls_config_file/tls_config_name: an OpenSSL
#   system_default section there restricts the TLS 1.3 suites and groups.
# - The client (OpenSSL 3.0 without zlib) cannot offer TLS compression, so
#   compression is rated only where it cannot exist (TLS 1.3 only).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/dovecot.sh"

t_setup tls_rating
trap t_cleanup EXIT

PW=127.0.10.80 PS=127.0.10.81 DF=127.0.10.82 DP=127.0.10.83
CA=$T_DIR/ca
OUT=$T_DIR/metrics.prom

t_log "certificates"
t_ca "$CA"
t_cert "$CA" seed "$PW" "IP:$PW" 1 365
t_cert "$CA" strict "$PS" "IP:$PS" 1 365 ec256
t_cert "$CA" dffdhe "$DF" "IP:$DF" 1 365 ec256
t_cert "$CA" dp256 "$DP" "IP:$DP" 1 365 ec256

for a in $PW $PS; do
	if _l=$(t_listening "$a" 25); then t_fail "something already listens on $a:25: $_l"; fi
	t_addr "$a"
done

cat >"$T_DIR/strict-openssl.cnf" <<EOF
# OpenSSL settings of the strict Postfix (tls_config_name = mailsec).
mailsec = mailsec_conf
[mailsec_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = strict_sect
[strict_sect]
MinProtocol = TLSv1.3
Ciphersuites = TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
Groups = X25519:P-256:P-384
EOF

t_log "starting 2 Postfix and 2 Dovecot instances"
T_POSTFIX="$T_DIR/pf_seed/etc $T_POSTFIX"
t_postfix_start pf_seed "$PW" seed.test \
	"smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/seed.crt" "smtpd_tls_key_file = $CA/seed.key" \
	"tls_medium_cipherlist = !aNULL:ALL:!EXPORT:!LOW:!DES:!3DES:!MD5:!RC4:@STRENGTH" \
	"smtpd_tls_ciphers = medium" "smtpd_tls_mandatory_ciphers = medium" \
	"smtpd_tls_dh1024_param_file = /usr/share/dovecot/dh.pem" \
	"smtpd_tls_exclude_ciphers = aNULL, DES, 3DES, MD5, DES+MD5, RC4" \
	"smtpd_tls_protocols = !SSLv2, !SSLv3, TLSv1, TLSv1.1, TLSv1.2" \
	>"$T_DIR/start.pf_seed.log" 2>&1 ||
	{ cat "$T_DIR/start.pf_seed.log" >&2; t_fail "the seed Postfix did not start"; }
T_POSTFIX="$T_DIR/pf_strict/etc $T_POSTFIX"
t_postfix_start pf_strict "$PS" strict.test \
	"smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/strict.crt" "smtpd_tls_key_file = $CA/strict.key" \
	"tls_config_file = $T_DIR/strict-openssl.cnf" "tls_config_name = mailsec" \
	"tls_eecdh_auto_curves = X25519 prime256v1 secp384r1" \
	"smtpd_tls_protocols = >=TLSv1.3" "smtpd_tls_mandatory_protocols = >=TLSv1.3" \
	>"$T_DIR/start.pf_strict.log" 2>&1 ||
	{ cat "$T_DIR/start.pf_strict.log" >&2; t_fail "the strict Postfix did not start"; }
t_dovecot_start dv_ffdhe "$DF" "$CA/dffdhe.crt" "$CA/dffdhe.key" \
	"ssl_min_protocol = TLSv1.3" "ssl_curve_list = ffdhe2048"
t_dovecot_start dv_p256 "$DP" "$CA/dp256.crt" "$CA/dp256.key" \
	"ssl_min_protocol = TLSv1.3" "ssl_curve_list = P-256"

# --- server side: what the expectations rest on --------------------------------
t_log "checking the servers with openssl s_client"
# sc ADDR PORT MODE ARGS...: 0 if a handshake with these settings completes.
sc() {
	_a=$1 _p=$2 _m=$3
	shift 3
	case $_m in smtp) set -- -starttls smtp "$@" ;; esac
	timeout 10 openssl s_client -connect "$_a:$_p" "$@" </dev/null 2>&1 |
		grep -q '^New, .*Cipher is [^(]'
}
sc "$PW" 25 smtp -tls1 -cipher 'ALL:@SECLEVEL=0' || t_fail "seed Postfix refuses TLS 1.0"
sc "$PW" 25 smtp -tls1_3 && t_fail "seed Postfix accepts TLS 1.3"
sc "$PW" 25 smtp -tls1_2 -cipher 'AES128-SHA:@SECLEVEL=0' || t_fail "seed Postfix refuses static RSA"
sc "$PW" 25 smtp -tls1_2 -cipher 'ECDHE-RSA-AES128-SHA256' || t_fail "seed Postfix refuses a phase-out suite"
sc "$PS" 25 smtp -tls1_2 && t_fail "strict Postfix accepts TLS 1.2"
sc "$PS" 25 smtp -ciphersuites TLS_AES_128_GCM_SHA256 &&
	t_fail "strict Postfix accepts TLS_AES_128_GCM_SHA256 (tls_config_file not applied)"
sc "$PS" 25 smtp -groups ffdhe2048 && t_fail "strict Postfix accepts ffdhe2048"
sc "$PS" 25 smtp -groups X25519 || t_fail "strict Postfix refuses X25519"
sc "$DF" 993 tls -groups X25519 && t_fail "ffdhe2048 Dovecot accepts X25519"
sc "$DF" 993 tls -groups ffdhe2048 || t_fail "ffdhe2048 Dovecot refuses ffdhe2048"
sc "$DP" 993 tls -groups P-256 || t_fail "P-256 Dovecot refuses P-256"
sc "$DP" 993 tls -groups X25519 && t_fail "P-256 Dovecot accepts X25519"
openssl pkeyparam -in /usr/share/dovecot/dh.pem -noout -text | grep -q 'GROUP: modp_4096' ||
	t_fail "/usr/share/dovecot/dh.pem is not the RFC 3526 4096-bit group this test expects"

# --- the exporter ---------------------------------------------------------------
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built"
CFG=$T_DIR/exporter.ini
cat >"$CFG" <<EOF
[exporter]
listen = 127.0.0.1:19927
timeout = 5s
ca_file = $CA/ca.crt
audit = on

[endpoint $PW:25]
protocol = smtp

[endpoint $PS:25]
protocol = smtp

[endpoint $DF:993]

[endpoint $DP:993]
EOF
t_log "running $T_BIN --config $CFG --once"
t1=$(date +%s)
timeout 60 "$T_BIN" --config "$CFG" --once >"$OUT" 2>"$T_DIR/once.log" </dev/null ||
	{ tail -n 30 "$T_DIR/once.log" >&2; t_fail "--once failed"; }
t_log "--once took $(( $(date +%s) - t1 )) s"

labels() { echo "domain=\"\",host=\"$1\",address=\"$1\",port=\"$2\",protocol=\"$3\""; }
# rating ADDR PORT PROTO CHECK VALUE
rating() { t_assert_metric "$OUT" "mailsec_tls_rating{$(labels "$1" "$2" "$3"),check=\"$4\"}" "$5"; }
group() { t_assert_metric "$OUT" "mailsec_tls_group_accepted{$(labels "$1" "$2" "$3"),group=\"$4\"}" "$5"; }
class() { t_assert_metric "$OUT" "mailsec_tls_cipher_class_accepted{$(labels "$1" "$2" "$3"),class=\"$4\"}" "$5"; }

t_log "(a) the seed's Postfix"
L="$PW 25 smtp"
rating $L version 0		# TLS 1.0 and 1.1 accepted: insufficient
rating $L cipher 0		# static RSA, CBC-SHA1: insufficient
class $L insufficient 1
class $L phase_out 1		# ECDHE-RSA-AES128-SHA256, DHE-RSA-AES256-GCM-SHA384
class $L sufficient 1		# ECDHE-RSA-AES256-GCM-SHA384
class $L good 0			# no TLS 1.3
rating $L kex 0			# DHE with a 4096-bit MODP group (no RFC 7919 group)
group $L x25519 1
group $L secp256r1 1
group $L secp224r1 0		# not in Postfix's tls_eecdh_auto_curves
t_assert_absent "$OUT" "mailsec_tls_group_accepted{$(labels $L),group=\"ffdhe2048\"}"
rating $L cert_key 1		# RSA-2048: phase out
rating $L cert_signature 3	# sha256WithRSAEncryption
rating $L cipher_order 0	# client order: a phase-out suite chosen first
rating $L renegotiation 3
rating $L extended_master_secret 3
rating $L ocsp_stapling 3	# no OCSP responder in the certificate
t_assert_absent "$OUT" "mailsec_tls_rating{$(labels $L),check=\"compression\"}"
t_assert_metric "$OUT" "mailsec_tls_rating_worst{$(labels $L)}" 0

t_log "(b) the strict Postfix"
L="$PS 25 smtp"
for c in version cipher kex cert_key cert_signature cipher_order renegotiation \
    compression extended_master_secret ocsp_stapling; do
	rating $L $c 3
done
t_assert_metric "$OUT" "mailsec_tls_rating_worst{$(labels $L)}" 3
class $L good 1
class $L sufficient 0
class $L insufficient 0
group $L x25519 1
group $L secp256r1 1
group $L secp384r1 1
group $L x448 0
group $L ffdhe2048 0
# The STARTTLS injection test, 4 versions, the 4 weak classes this OpenSSL
# can offer, DHE (no order
# test without TLS 1.2); then TLS 1.3 sufficient and insufficient suites
# (good is proven by the probe's TLS_AES_256_GCM_SHA384), the groups but
# x25519 (proven) and the TLS 1.2-only ones: 4 ECDHE, ffdhe2048, and one
# handshake offering ffdhe3072-8192 together (refused: 0 for each).
t_assert_metric "$OUT" "mailsec_tls_audit_handshakes{$(labels $L)}" $((1 + 4 + 4 + 1 + 2 + 4 + 2))
group $L ffdhe8192 0

t_log "(c) Dovecot with ffdhe2048 only"
L="$DF 993 imaps"
rating $L version 3
rating $L kex 0			# ffdhe2048: insufficient
group $L ffdhe2048 1
# ffdhe2048 (insufficient) settles kex: the costly phase-out FFDHE groups
# are not tried, and have no sample
t_assert_absent "$OUT" "mailsec_tls_group_accepted{$(labels $L),group=\"ffdhe3072\"}"
group $L x25519 0
group $L secp256r1 0
rating $L cipher 2		# TLS_AES_128_GCM_SHA256 too: sufficient
class $L sufficient 1
class $L good 1
t_assert_metric "$OUT" "mailsec_tls_rating_worst{$(labels $L)}" 0

t_log "(d) Dovecot with P-256 only"
L="$DP 993 imaps"
rating $L kex 3
group $L secp256r1 1
group $L x25519 0
group $L ffdhe2048 0
group $L ffdhe4096 0
t_assert_metric "$OUT" "mailsec_tls_rating_worst{$(labels $L)}" 2

if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$OUT" >"$T_DIR/promtool.log" 2>&1 ||
		{ cat "$T_DIR/promtool.log" >&2; t_fail "promtool check metrics"; }
fi
t_log "PASS"
