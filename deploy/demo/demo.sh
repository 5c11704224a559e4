#!/bin/sh
# `make demo`: the exporter on real mail servers, on loopback, for as long as
# this script runs.  It starts
#
#   127.0.53.10  mx.good.example    Postfix, strict: TLS 1.2+, strong ciphers
#                                   only, server order (25 and 587)
#   127.0.53.11  mx.weak.example    Postfix with the seed's TLS settings
#                                   (deploy/demo/postfix-seed-tls.cf): TLS
#                                   1.0-1.2, "medium" ciphers, static RSA
#   127.0.53.12  mx.broken.example  Postfix whose certificate expired 3 days ago
#   127.0.53.20  mail.good.example  Dovecot: IMAP 143 (STARTTLS), 993 (TLS),
#                                   POP3 110 (STLS), 995 (TLS)
#   127.0.53.53  NSD, authoritative for good.example, weak.example and
#                broken.example (RFC 2606 names: nothing real is ever asked)
#                with their MX, SPF, DKIM (keys made here with openssl) and
#                DMARC records, good and broken:
#                  good.example    SPF "mx -all", DKIM RSA 2048 + Ed25519,
#                                  DMARC p=reject
#                  weak.example    SPF "mx ?all", DKIM RSA 1024 + a revoked
#                                  key, DMARC p=none
#                  broken.example  SPF permerror (include of a name that does
#                                  not exist), DKIM RSA 512, no DMARC
#   127.0.0.1:9925  the exporter, resolver = the NSD above, ca_file = the
#                demo's CA; its status page, /metrics and the JSON API.
#
# Ctrl-C (SIGINT) or SIGTERM stops every process it started, by pid, and
# removes the loopback addresses it added (tests/lib/common.sh: t_cleanup).
# Its files (certificates, keys, zones, configs, logs) are in tests/out/demo/.
# It reuses the test suite's helpers (tests/lib/*.sh): the same Postfix,
# Dovecot and NSD the integration tests run.  tests/integration/test_demo.sh
# runs it.  Needs root (addresses on lo, Postfix) and the packages that
# `sh .ci/deps.sh demo` installs.
DEMO_SRC=$(cd "$(dirname "$0")" && pwd)
. "$DEMO_SRC/../../tests/lib/common.sh"
. "$DEMO_SRC/../../tests/lib/nsd.sh"
. "$DEMO_SRC/../../tests/lib/dovecot.sh"

LISTEN_A=127.0.0.1 LISTEN_P=9925
NS=127.0.53.53
MX_GOOD=127.0.53.10 MX_WEAK=127.0.53.11 MX_BROKEN=127.0.53.12
MAIL_GOOD=127.0.53.20
DEMO_DIR="$T_ROOT/tests/out/demo"

demo_fail() {
	echo "demo: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || demo_fail "needs root (it adds addresses to lo and starts Postfix): run it as root"
for c in postfix dovecot nsd openssl ip ss curl; do
	command -v "$c" >/dev/null 2>&1 ||
		demo_fail "'$c' is missing: run \`sh .ci/deps.sh demo\` as root (or \`make demo\`)"
done
[ -x "$T_BIN" ] || demo_fail "$T_BIN is not built: run \`make\` (or \`make demo\`)"

# --- another demo running, or what an earlier one killed by SIGKILL left ---------
# demo.pid: "pid starttime" of the running demo script.
if [ -s "$DEMO_DIR/demo.pid" ]; then
	read -r _op _ost <"$DEMO_DIR/demo.pid"
	if [ -n "$_op" ] && [ "$(t_starttime "$_op" 2>/dev/null)" = "$_ost" ] && t_running "$_op"; then
		demo_fail "another demo is running (pid $_op): stop it first (Ctrl-C there, or kill -TERM $_op)"
	fi
fi
# (t_setup stops its Postfix instances; Dovecot, NSD and the exporter are
# stopped here, each only if its pid file names a running process whose
# command line names this demo's files; the addresses it had added are in
# addrs.)
demo_leftover() {	# PIDFILE STRING
	[ -s "$1" ] || return 0
	_p=$(tr -dc 0-9 <"$1")
	[ -n "$_p" ] && t_running "$_p" || return 0
	tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null | grep -qF -- "$2" || return 0
	echo "demo: stopping pid $_p, left by an earlier run ($2)" >&2
	t_stop_pid "$_p" 5
}
demo_leftover "$DEMO_DIR/dovecot/run/master.pid" "$DEMO_DIR/dovecot/dovecot.conf"
demo_leftover "$DEMO_DIR/dns/nsd.pid" "$DEMO_DIR/dns/nsd.conf"
demo_leftover "$DEMO_DIR/exporter.pid" "$DEMO_DIR/exporter.ini"
if [ -s "$DEMO_DIR/addrs" ]; then
	for a in $(cat "$DEMO_DIR/addrs"); do
		case $a in 127.0.53.*/32) ip addr del "$a" dev lo 2>/dev/null ;; esac
	done
fi

t_setup demo	# tests/out/demo, and t_cleanup on EXIT, INT and TERM
echo "$$ $(t_starttime $$)" >"$DEMO_DIR/demo.pid"
t_log "demo: files in $T_DIR"

# --- every port it needs must be free --------------------------------------------
# busy ADDR PORT [udp]: prints the listener that would take ADDR:PORT (bound
# to ADDR or to a wildcard address), with its process.
busy() {
	_o=-Hltnp
	[ "${3:-}" = udp ] && _o=-Hlunp
	ss $_o 2>/dev/null | awk -v a="$1" -v p="$2" '
		{ n = split($4, x, ":"); port = x[n]; host = substr($4, 1, length($4) - length(port) - 1) }
		port == p && (host == a || host == "0.0.0.0" || host == "*" || host == "[::]") { print; f = 1 }
		END { exit !f }'
}
taken=
check_free() {	# ADDR PORT [udp]
	if _l=$(busy "$@"); then
		taken="$taken
  $1:$2/${3:-tcp}: $_l"
	fi
}
check_free $LISTEN_A $LISTEN_P
check_free $NS 53
check_free $NS 53 udp
for a in $MX_GOOD $MX_WEAK $MX_BROKEN; do check_free "$a" 25; done
check_free $MX_GOOD 587
for p in 143 993 110 995; do check_free $MAIL_GOOD "$p"; done
[ -z "$taken" ] || demo_fail "these ports are taken (stop what listens there, e.g. a \`make run\`, and try again):$taken"

# --- running steps side by side --------------------------------------------------
# bg NAME FUNCTION ARGS...: runs FUNCTION in a background subshell (output in
# $T_DIR/NAME.log); bg_wait waits for all of them and fails naming those that
# failed, with their output.  A subshell's own registrations (t_pid) are
# lost: what it starts is registered by the caller, from its pid file.
BG=
bg() {
	_bn=$1
	shift
	( trap - EXIT INT TERM; "$@" ) >"$T_DIR/$_bn.log" 2>&1 </dev/null &
	BG="$BG $_bn:$!"
}
bg_wait() {
	_failed=
	for _e in $BG; do
		wait "${_e#*:}" || _failed="$_failed ${_e%%:*}"
	done
	BG=
	register_masters
	for _bn in $_failed; do
		echo "--- $_bn:" >&2
		cat "$T_DIR/$_bn.log" >&2
	done
	[ -z "$_failed" ] || t_fail "could not start:$_failed (output above)"
}

# register_masters: t_pid for the master of each Postfix and of the Dovecot
# that is running (t_cleanup skips a pid registered twice once it is gone).
register_masters() {
	for _f in "$T_DIR"/pf_good/queue/pid/master.pid "$T_DIR"/pf_weak/queue/pid/master.pid \
		"$T_DIR"/pf_broken/queue/pid/master.pid "$T_DIR/dovecot/run/master.pid"; do
		[ -s "$_f" ] || continue
		_p=$(tr -dc 0-9 <"$_f")
		[ -n "$_p" ] && t_running "$_p" && t_pid "$_p"
	done
}
# On any exit, Ctrl-C while servers are still starting included: wait for
# the starts under way, register what they started, then t_cleanup.
demo_cleanup() {
	_rc=$?
	trap - EXIT INT TERM
	for _e in $BG; do wait "${_e#*:}" 2>/dev/null; done
	register_masters
	(exit "$_rc")
	t_cleanup
}
trap demo_cleanup EXIT

# --- certificates and DKIM keys --------------------------------------------------
CA=$T_DIR/ca
K=$T_DIR/dkim
mkdir -p "$K"
# dkim_rsa NAME BITS / dkim_ed25519 NAME: a private key in $K/NAME.pem and
# its DNS public key (p=, base64) in $K/NAME.p: RSA as SubjectPublicKeyInfo,
# Ed25519 as the raw 32 bytes (RFC 8463).
dkim_rsa() {
	openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$K/$1.pem" 2>/dev/null &&
		openssl pkey -in "$K/$1.pem" -pubout -outform DER 2>/dev/null | base64 -w0 >"$K/$1.p" ||
		t_fail "openssl: DKIM key $1 ($2 bits)"
}
dkim_ed25519() {
	openssl genpkey -algorithm ED25519 -out "$K/$1.pem" 2>/dev/null &&
		openssl pkey -in "$K/$1.pem" -pubout -outform DER 2>/dev/null | tail -c 32 |
		base64 -w0 >"$K/$1.p" || t_fail "openssl: DKIM key $1 (Ed25519)"
}
# txt_strings TEXT: a TXT value as zone-file strings of at most 200 bytes.
txt_strings() { printf '%s' "$1" | fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' '; }
t_log "demo: a CA, four server certificates, five DKIM keys"
bg dkim_good2048 dkim_rsa good2048 2048
bg dkim_good_ed dkim_ed25519 good_ed
bg dkim_weak1024 dkim_rsa weak1024 1024
bg dkim_old1024 dkim_rsa old1024 1024	# published revoked (p= empty): its private key stays here
bg dkim_broken512 dkim_rsa broken512 512
# Meanwhile the certificates, one at a time (`openssl ca` keeps a database).
t_ca "$CA"
# good.example's keys are ECDSA P-256: RSA 2048 is "phase out" for the
# NCSC-NL ratings (doc/ratings.md).
t_cert "$CA" good mx.good.example "DNS:mx.good.example" 1 365 ec256
t_cert "$CA" weak mx.weak.example "DNS:mx.weak.example" 1 365
t_cert "$CA" expired mx.broken.example "DNS:mx.broken.example" 90 -3
t_cert "$CA" imap mail.good.example "DNS:mail.good.example" 1 365 ec256
bg_wait

# --- DNS ---------------------------------------------------------------------------
t_zone dns good.example <<EOF
ns			IN A $NS
@			IN MX 10 mx.good.example.
mx			IN A $MX_GOOD
mail			IN A $MAIL_GOOD
@			IN TXT "v=spf1 mx -all"
_dmarc			IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@good.example"
mail._domainkey		IN TXT "v=DKIM1; k=rsa; " $(txt_strings "p=$(cat "$K/good2048.p")")
ed._domainkey		IN TXT "v=DKIM1; k=ed25519; p=$(cat "$K/good_ed.p")"
EOF
t_zone dns weak.example <<EOF
ns			IN A $NS
@			IN MX 10 mx.weak.example.
mx			IN A $MX_WEAK
@			IN TXT "v=spf1 mx ?all"
_dmarc			IN TXT "v=DMARC1; p=none"
mail._domainkey		IN TXT "v=DKIM1; k=rsa; " $(txt_strings "p=$(cat "$K/weak1024.p")")
old._domainkey		IN TXT "v=DKIM1; k=rsa; p="
EOF
t_zone dns broken.example <<EOF
ns			IN A $NS
@			IN MX 10 mx.broken.example.
mx			IN A $MX_BROKEN
@			IN TXT "v=spf1 mx include:_spf.nowhere.broken.example -all"
mail._domainkey		IN TXT "v=DKIM1; k=rsa; p=$(cat "$K/broken512.p")"
EOF

# --- servers -----------------------------------------------------------------------
for a in $MX_GOOD $MX_WEAK $MX_BROKEN; do
	t_addr "$a"
	echo "$a/32" >>"$T_DIR/addrs"	# for the next run, should this one be SIGKILLed
done
# (The Dovecot and NSD addresses are not put on lo: Linux lets a server bind
# any 127/8 address, and Dovecot must not have its own on lo, see
# tests/lib/dovecot.sh.)

t_log "demo: NSD on $NS"
t_nsd_start dns $NS good.example weak.example broken.example

# The three Postfix and the Dovecot start side by side (a Postfix takes a
# few seconds); each is registered for cleanup before it starts (`postfix
# stop` of one that never started is harmless) and its master's pid after.
T_POSTFIX="$T_DIR/pf_good/etc $T_DIR/pf_weak/etc $T_DIR/pf_broken/etc $T_POSTFIX"
t_log "demo: Postfix mx.good.example on $MX_GOOD (strict), mx.weak.example on $MX_WEAK" \
	"(the seed's TLS settings), mx.broken.example on $MX_BROKEN (expired certificate);" \
	"Dovecot mail.good.example on $MAIL_GOOD"
bg pf_good t_postfix_start pf_good $MX_GOOD mx.good.example +submission \
	"smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/good.chain.pem" "smtpd_tls_key_file = $CA/good.key" \
	"smtpd_tls_protocols = >=TLSv1.2" "smtpd_tls_mandatory_protocols = >=TLSv1.2" \
	"smtpd_tls_ciphers = high" "smtpd_tls_mandatory_ciphers = high" \
	"smtpd_tls_exclude_ciphers = aNULL, eNULL, kRSA, kDHE, SHA1, SHA256, SHA384, CAMELLIA, ARIA, PSK, SRP, AESCCM8" \
	"tls_preempt_cipherlist = yes"

# Every setting of deploy/demo/postfix-seed-tls.cf, one main.cf line each.
seed=$(sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' \
	-e "s|@CERT@|$CA/weak.chain.pem|" -e "s|@KEY@|$CA/weak.key|" "$DEMO_SRC/postfix-seed-tls.cf")
_ifs=$IFS IFS='
'
# shellcheck disable=SC2086
set -- $seed
IFS=$_ifs
bg pf_weak t_postfix_start pf_weak $MX_WEAK mx.weak.example "$@"

bg pf_broken t_postfix_start pf_broken $MX_BROKEN mx.broken.example \
	"smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/expired.chain.pem" "smtpd_tls_key_file = $CA/expired.key" \
	"smtpd_tls_protocols = >=TLSv1.2" "smtpd_tls_mandatory_protocols = >=TLSv1.2"

# The seed's Dovecot cipher settings (its 10-ssl.conf; its ssl_protocols and
# ssl_dh_parameters_length are Dovecot 2.2 names that 2.3 refuses: 2.3's
# default ssl_min_protocol is TLSv1.2), without its two DHE suites (NCSC-NL:
# phase out, and Dovecot's DH group is no RFC 7919 one) and with the groups
# limited to X25519, P-256 and P-384 (OpenSSL 3's default list has
# ffdhe2048, insufficient): good.example passes the ratings.
bg dovecot t_dovecot_start dovecot $MAIL_GOOD "$CA/imap.chain.pem" "$CA/imap.key" \
	"ssl_cipher_list = ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:!DSS" \
	"ssl_prefer_server_ciphers = yes" "ssl_curve_list = X25519:P-256:P-384"
bg_wait

# --- the exporter ------------------------------------------------------------------
cat >"$T_DIR/exporter.ini" <<EOF
; Written by deploy/demo/demo.sh: the exporter on the demo's servers.
[exporter]
listen = $LISTEN_A:$LISTEN_P
interval = 1m
timeout = 5s
resolver = $NS
ca_file = $CA/ca.crt
ehlo_name = demo.mailsec-exporter.example
audit_interval = 10m
; The demo zones are unsigned and not delegated from the root: validating
; them from root.key through the demo NSD could only fail.
dnssec = off

[domain good.example]
smtp_ports = 25, 587
imap_hosts = mail.good.example
pop3_hosts = mail.good.example
dkim_selectors = mail, ed

[domain weak.example]
dkim_selectors = mail, old

[domain broken.example]
dkim_selectors = mail
EOF
"$T_BIN" --config "$T_DIR/exporter.ini" --check-config >"$T_DIR/check-config.log" 2>&1 ||
	{ cat "$T_DIR/check-config.log" >&2; t_fail "the demo's exporter.ini is refused (above)"; }
t_log "demo: the exporter on $LISTEN_A:$LISTEN_P"
"$T_BIN" --config "$T_DIR/exporter.ini" </dev/null >"$T_DIR/exporter.log" 2>&1 &
EXP=$!
t_pid "$EXP"
echo "$EXP" >"$T_DIR/exporter.pid"

URL=http://$LISTEN_A:$LISTEN_P
# Ready when every target has been checked once (the TLS audit may come a
# little later).
n=120
until curl -s --max-time 2 "$URL/api/v1/status" 2>/dev/null | grep -q '"ready":true'; do
	t_running "$EXP" || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter exited (log above)"; }
	n=$((n - 1))
	[ "$n" -gt 0 ] || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "no results after 60 s (log above)"; }
	sleep 0.5
done

BIN_SHOWN=./mailsec_exporter
[ "$T_BIN" = "$T_ROOT/mailsec_exporter" ] || BIN_SHOWN=$T_BIN
cat <<EOF

mailsec_exporter demo: real mail servers on loopback, until Ctrl-C
  good.example    MX mx.good.example ($MX_GOOD, 25 and 587): Postfix, TLS 1.2+ only, strong ciphers
                  IMAP and POP3 mail.good.example ($MAIL_GOOD): Dovecot, STARTTLS and implicit TLS
                  SPF "mx -all", DKIM RSA 2048 (mail) and Ed25519 (ed), DMARC p=reject
  weak.example    MX mx.weak.example ($MX_WEAK): Postfix with the seed's TLS settings (TLS 1.0 to 1.2)
                  SPF "mx ?all", DKIM RSA 1024 (mail) and a revoked key (old), DMARC p=none
  broken.example  MX mx.broken.example ($MX_BROKEN): Postfix with a certificate that expired 3 days ago
                  SPF permerror (an include that does not exist), DKIM RSA 512 (mail), no DMARC
  DNS             NSD on $NS, authoritative for the three zones

Status page:  $URL/

Try:
  curl -s $URL/metrics | grep -E '^mailsec_(cert_verify_error|tls_version_accepted|spf_error|dkim_error|dmarc_error)'
  curl -s $URL/api/v1/status
  $BIN_SHOWN check --resolver $NS --ca-file $CA/ca.crt good.example broken.example

Files (certificates, DKIM keys, zones, configs, logs): $T_DIR
Press Ctrl-C to stop everything the demo started.
EOF

# Until Ctrl-C / SIGTERM (the traps of t_setup exit; t_cleanup runs on EXIT),
# or until the exporter exits by itself.
wait "$EXP"
rc=$?
tail -n 20 "$T_DIR/exporter.log" >&2
demo_fail "the exporter exited by itself (status $rc; log above, in $T_DIR/exporter.log)"
