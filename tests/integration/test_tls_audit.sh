#!/bin/sh
# End-to-end test of the TLS audit (collectors/audit.c) and of the
# certificate and key-exchange facts (collectors/tls.c), against real
# Postfix and Dovecot servers with certificates from a private test CA:
#
#   (a) 127.0.10.60:25   weak Postfix as many run: TLS 1.0-1.2 (no 1.3),
#                        "medium" ciphers minus aNULL/DES/3DES/MD5/RC4 (so
#                        static RSA stays), client cipher order, AUTH before
#                        STARTTLS through a Dovecot SASL service
#   (b) 127.0.10.61:25   strict Postfix: TLS >= 1.2, "high" ciphers without
#                        kRSA/kDHE/SHA-1 suites, server cipher order, no AUTH
#   (c) 127.0.10.62-68:25 one Postfix per certificate case: expired,
#                        expiring in 3 days, wrong name, self-signed, RSA 1024,
#                        ECDSA P-256, SHA-1 signature
#   (d) 127.0.10.70      strict Dovecot (ssl_min_protocol = TLSv1.2) and
#       127.0.10.71      lax Dovecot (TLSv1, ALL:@SECLEVEL=0, plain-text
#                        login allowed), each on imap 143, imaps 993, pop3
#                        110, pop3s 995
#   (e) 127.0.10.72:25 / 127.0.10.73:993  one certificate served by Postfix
#                        and by Dovecot: the same facts on both rows; that
#                        Dovecot allows only the ffdhe2048 group, so its TLS
#                        1.3 key exchange is finite-field (kex_info ffdhe2048)
#   (f) 127.0.10.60:587  audit = off for that endpoint only
#   (g) promtool check metrics on the whole output
#
# Every server is checked first from the outside (openssl s_client with
# -starttls smtp/imap/pop3, a plain EHLO / CAPABILITY / CAPA), and what the
# exporter must report is taken from those checks and from the certificate
# files, not written down by hand.  Then one `mailsec_exporter --once` run
# probes and audits all 20 endpoints.
#
# Facts this relies on (Debian 12: OpenSSL 3.0, Postfix 3.7, Dovecot 2.3.19):
# - Postfix's TLS server sets OpenSSL's security level 0 itself: TLS 1.0/1.1
#   and a 1024-bit RSA key work with no openssl.cnf change.  The protocol
#   list "!SSLv2, !SSLv3, TLSv1, TLSv1.1, TLSv1.2" names versions, so every
#   other one, TLS 1.3 included, is off.  Postfix's "medium" and "high"
#   lists include static-RSA (kRSA) suites unless excluded; its built-in DH
#   group for DHE is 2048 bits; tls_preempt_cipherlist defaults to no.
# - Postfix offers AUTH only with a SASL backend: here a Dovecot auth-only
#   instance (protocols = none) whose unix_listener socket Postfix reaches by
#   absolute path (smtpd runs unchrooted as user postfix: mode 0666).
# - Dovecot 2.3 offers TLS 1.0 and 1.1 with just ssl_min_protocol = TLSv1
#   and ssl_cipher_list = ALL:@SECLEVEL=0 (the @SECLEVEL=0 in the cipher
#   string lowers its security level from Debian's built-in default of 2,
#   where OpenSSL 3.0 cannot do TLS 1.0/1.1; Debian 12's openssl.cnf sets
#   no MinProtocol/CipherString, so no OPENSSL_CONF is needed).
#   "ALL" includes the anonymous suites (ADH, AECDH): the lax Dovecot
#   accepts them, with its 4096-bit DH group from /usr/share/dovecot/dh.pem.
#   A refused version is an EOF from Dovecot (no alert): still a TLS
#   failure for the exporter.
# - Dovecot must NOT have its address on lo (tests/lib/dovecot.sh): the
#   client then connects from 127.0.0.1, which Dovecot does not count as a
#   secure connection, so the strict one shows LOGINDISABLED (IMAP) and no
#   USER and an empty "SASL" (POP3) before STARTTLS/STLS.
# - This OpenSSL has no EXPORT, DES, 3DES or RC4 suites at all (not even at
#   @SECLEVEL=0), so a client built on it cannot offer them: the exporter
#   exports no mailsec_tls_weak_cipher_accepted sample for those classes
#   rather than a false "refused".  NULL-MD5 is still there, so "md5" is
#   tested.  The testable classes are computed below with `openssl ciphers`.
# - Dovecot's ssl_curve_list takes OpenSSL group names, ffdhe2048 included:
#   with only that group, TLS 1.3 runs a finite-field key exchange (the
#   client's key share for x25519 is answered by a HelloRetryRequest).
# - s_client's "New, TLSv1.0, Cipher is X" names the cipher's version, not
#   the protocol: the protocol is read from "Protocol  :" of the SSL-Session
#   block, which is printed even after a failed handshake (with "Cipher is
#   (NONE)") -- but with TLS 1.3 only once a session ticket has come, which
#   may be after s_client has quit on the end of its input (see proto()).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/dovecot.sh"

T0=$(date +%s)

# A run that was SIGKILLed may have left its Dovecot instances running
# (t_setup only takes care of Postfix): stop those whose master runs one of
# our config files, then t_setup removes the old work dir.
for _pf in "$T_ROOT/tests/out/tls_audit"/*/run/master.pid; do
	[ -s "$_pf" ] || continue
	_p=$(tr -dc 0-9 <"$_pf")
	_conf=${_pf%/run/master.pid}/dovecot.conf
	[ -n "$_p" ] && t_running "$_p" || continue
	tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null | grep -qF -- "-c $_conf" || continue
	echo "stopping a Dovecot left by an earlier run: $_conf (pid $_p)" >&2
	kill -TERM "$_p" 2>/dev/null
	t_wait_exit "$_p" 5 || kill -KILL "$_p" 2>/dev/null
done

t_setup tls_audit
# t_cleanup stops what was started one at a time, about a second per Postfix
# or Dovecot: stop them all at once first (registered pids only, checked by
# start time as t_cleanup does), then let t_cleanup do the rest, if any.
stop_all() {
	_st=$?
	for _cf in $T_POSTFIX; do timeout 15 postfix -c "$_cf" stop >/dev/null 2>&1 & done
	wait
	_keep=
	for _cf in $T_POSTFIX; do
		_mp=$(tr -dc 0-9 <"${_cf%/etc}/queue/pid/master.pid" 2>/dev/null)
		if [ -n "$_mp" ] && t_running "$_mp"; then _keep="$_keep $_cf"; fi
	done
	T_POSTFIX=$_keep
	for _e in $T_PIDS; do
		[ "$(t_starttime "${_e%%:*}" 2>/dev/null)" = "${_e#*:}" ] &&
			kill -TERM "${_e%%:*}" 2>/dev/null
	done
	_n=50
	while [ "$_n" -gt 0 ]; do
		_alive=
		for _e in $T_PIDS; do
			[ "$(t_starttime "${_e%%:*}" 2>/dev/null)" = "${_e#*:}" ] &&
				t_running "${_e%%:*}" && _alive=1
		done
		[ -n "$_alive" ] || break
		sleep 0.1; _n=$((_n - 1))
	done
	(exit "$_st")
	t_cleanup
}
trap stop_all EXIT

AW=127.0.10.60 AS=127.0.10.61 AX=127.0.10.62 AE=127.0.10.63 AN=127.0.10.64
AZ=127.0.10.65 AR=127.0.10.66 AC=127.0.10.67 AH=127.0.10.68
DS=127.0.10.70 DL=127.0.10.71 A72=127.0.10.72 D73=127.0.10.73
CA=$T_DIR/ca
S=$T_DIR/sclient
OUT=$T_DIR/metrics.prom
mkdir -p "$S"

# labels ADDR PORT PROTOCOL: the endpoint labels, in the exported order.
labels() { echo "domain=\"\",host=\"$1\",address=\"$1\",port=\"$2\",protocol=\"$3\""; }

# --- certificates --------------------------------------------------------------
t_log "certificates"
t_ca "$CA"
t_cert "$CA" weak "$AW" "IP:$AW,DNS:weak.test" 1 365
t_cert "$CA" strict "$AS" "IP:$AS,DNS:strict.test" 1 365
t_cert "$CA" expired "$AX" "IP:$AX" 90 -2
t_cert "$CA" expiring "$AE" "IP:$AE" 1 3
t_cert "$CA" wrongname other.test "DNS:other.test" 1 365
t_cert "$CA" rsa1024 "$AR" "IP:$AR" 1 365 rsa1024
t_cert "$CA" ec256 "$AC" "IP:$AC" 1 365 ec256
t_cert "$CA" dstrict "$DS" "IP:$DS" 1 365
t_cert "$CA" dlax "$DL" "IP:$DL" 1 365
t_cert "$CA" shared "$A72" "IP:$A72,IP:$D73" 1 365
# Self-signed, as `openssl req -x509` makes it (v3_ca of the system
# openssl.cnf: CA:TRUE, subject and authority key ids equal).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CA/selfsigned.key" \
	-out "$CA/selfsigned.crt" -subj "/CN=$AZ" -addext "subjectAltName=IP:$AZ" \
	-days 30 >"$CA/selfsigned.log" 2>&1 ||
	{ cat "$CA/selfsigned.log" >&2; t_fail "openssl req -x509 failed"; }
# The leaf signed by the CA with SHA-1 (t_cert always uses the CA's sha256).
{
	echo "[ leaf ]"
	echo "basicConstraints = critical, CA:FALSE"
	echo "keyUsage = critical, digitalSignature, keyEncipherment"
	echo "extendedKeyUsage = serverAuth"
	echo "subjectKeyIdentifier = hash"
	echo "authorityKeyIdentifier = keyid"
	echo "subjectAltName = IP:$AH"
} >"$CA/sha1.ext"
if ! { t_genkey "$CA/sha1.key" rsa2048 &&
       openssl req -new -key "$CA/sha1.key" -subj "/CN=$AH" -out "$CA/sha1.csr" &&
       openssl ca -batch -notext -config "$CA/ca.cnf" -md sha1 -rand_serial -preserveDN \
           -extfile "$CA/sha1.ext" -extensions leaf \
           -startdate "$(t_gentime -1)" -enddate "$(t_gentime 365)" \
           -in "$CA/sha1.csr" -out "$CA/sha1.crt"; } >"$CA/sha1.log" 2>&1; then
	cat "$CA/sha1.log" >&2
	t_fail "the SHA-1 signed certificate could not be made"
fi
cat "$CA/sha1.crt" "$CA/ca.crt" >"$CA/sha1.chain.pem"

# cert_text FILE FIELD: facts of a certificate as `openssl x509 -text` prints
# them.  FIELD: bits, keytype, sigalg.  keytype is the key type as the
# exporter names it (EVP_PKEY_get0_type_name: "RSA", "EC", ...), from the
# public key algorithm printed (the OID's name: rsaEncryption, ...).
cert_text() {
	case $2 in
	bits) openssl x509 -in "$1" -noout -text | sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' | head -n1 ;;
	keytype)
		_alg=$(openssl x509 -in "$1" -noout -text | sed -n 's/^ *Public Key Algorithm: *//p' | head -n1)
		case $_alg in
		rsaEncryption) echo RSA ;;
		rsassaPss) echo RSA-PSS ;;
		id-ecPublicKey) echo EC ;;
		dsaEncryption) echo DSA ;;
		*) echo "$_alg" ;;	# ED25519, ED448
		esac ;;
	sigalg) openssl x509 -in "$1" -noout -text | sed -n 's/^ *Signature Algorithm: *//p' | head -n1 ;;
	esac
}

# --- servers -------------------------------------------------------------------
# The SASL service for the weak Postfix: a Dovecot with no protocol, only
# its auth service with a socket Postfix can reach.
SASL=$T_DIR/sasl
SASL_SOCK=$SASL/run/auth-postfix
mkdir -p "$SASL/run" "$SASL/state" || t_fail "cannot create $SASL"
chmod 755 "$SASL" "$SASL/run"
cat >"$SASL/dovecot.conf" <<EOF
# SASL (auth only) service for the weak Postfix of test_tls_audit.sh.
base_dir = $SASL/run
state_dir = $SASL/state
instance_name = mailsec-tls-audit-sasl
log_path = $SASL/dovecot.log
protocols = none
ssl = no
auth_mechanisms = plain login
disable_plaintext_auth = no
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup
}
service auth {
  unix_listener $SASL_SOCK {
    mode = 0666
  }
}
EOF
t_log "starting the SASL Dovecot"
dovecot -c "$SASL/dovecot.conf" </dev/null >"$SASL/start.log" 2>&1 ||
	{ cat "$SASL/start.log" "$SASL/dovecot.log" 2>/dev/null >&2; t_fail "the SASL Dovecot did not start"; }
n=50
while { [ ! -s "$SASL/run/master.pid" ] || [ ! -S "$SASL_SOCK" ]; } && [ "$n" -gt 0 ]; do
	sleep 0.1; n=$((n - 1))
done
p=$(tr -dc 0-9 <"$SASL/run/master.pid" 2>/dev/null)
[ -n "$p" ] || t_fail "the SASL Dovecot wrote no master pid"
t_pid "$p"
[ -S "$SASL_SOCK" ] || t_fail "no SASL socket $SASL_SOCK after 5 s: $(tail -n 5 "$SASL/dovecot.log")"

for a in $AW $AS $AX $AE $AN $AZ $AR $AC $AH $A72; do
	if _l=$(t_listening "$a" 25); then t_fail "something already listens on $a:25: $_l"; fi
	t_addr "$a"
done
for a in $DS $DL $D73; do
	for p in 143 993 110 995; do
		if _l=$(t_listening "$a" "$p"); then t_fail "something already listens on $a:$p: $_l"; fi
	done
done

# The servers start in parallel, each in a background subshell (whose
# variables are lost): what they started is registered for cleanup here,
# from their pid files, whether they succeeded or not.
BG=
# bg KIND NAME FUNCTION ARGS...: KIND postfix or dovecot; NAME its dir in $T_DIR.
bg() {
	_k=$1 _n=$2
	shift 2
	# Registered before it starts: `postfix stop` of an instance that never
	# started is harmless.
	[ "$_k" = postfix ] && T_POSTFIX="$T_DIR/$_n/etc $T_POSTFIX"
	# (No cleanup trap in there: the subshell must not stop anything.)
	( trap - EXIT INT TERM; "$@" ) >"$T_DIR/start.$_n.log" 2>&1 </dev/null &
	BG="$BG $_k:$_n:$!"
}
bg_wait() {
	_failed=
	for _e in $BG; do
		_k=${_e%%:*} _r=${_e#*:}
		_n=${_r%%:*} _p=${_r#*:}
		wait "$_p" || _failed="$_failed $_n"
		case $_k in
		postfix) _pf=$T_DIR/$_n/queue/pid/master.pid ;;
		dovecot) _pf=$T_DIR/$_n/run/master.pid ;;
		esac
		_mp=$(tr -dc 0-9 <"$_pf" 2>/dev/null)
		[ -n "$_mp" ] && t_running "$_mp" && t_pid "$_mp"
	done
	BG=
	for _n in $_failed; do
		echo "--- start of $_n:" >&2
		cat "$T_DIR/start.$_n.log" >&2
	done
	[ -z "$_failed" ] || t_fail "could not start:$_failed (logs above)"
}

tls_may="smtpd_tls_security_level = may"
# pf NAME ADDR CERTNAME [main.cf lines...]: a Postfix serving CA/CERTNAME.
pf() {
	_pn=$1 _pa=$2 _pc=$3
	shift 3
	if [ -f "$CA/$_pc.chain.pem" ]; then _chain=$CA/$_pc.chain.pem; else _chain=$CA/$_pc.crt; fi
	bg postfix "$_pn" t_postfix_start "$_pn" "$_pa" "${_pn#pf_}.test" "$@" "$tls_may" \
		"smtpd_tls_cert_file = $_chain" "smtpd_tls_key_file = $CA/$_pc.key"
}

t_log "starting 10 Postfix and 3 Dovecot instances in parallel"
pf pf_weak "$AW" weak +submission \
	"smtpd_tls_ciphers = medium" \
	"smtpd_tls_exclude_ciphers = aNULL, DES, 3DES, MD5, DES+MD5, RC4" \
	"smtpd_tls_protocols = !SSLv2, !SSLv3, TLSv1, TLSv1.1, TLSv1.2" \
	"smtpd_sasl_auth_enable = yes" "smtpd_sasl_type = dovecot" \
	"smtpd_sasl_path = $SASL_SOCK" "smtpd_tls_auth_only = no"
pf pf_strict "$AS" strict \
	"smtpd_tls_protocols = >=TLSv1.2" "smtpd_tls_mandatory_protocols = >=TLSv1.2" \
	"smtpd_tls_ciphers = high" "smtpd_tls_mandatory_ciphers = high" \
	"smtpd_tls_exclude_ciphers = aNULL, eNULL, kRSA, kDHE, SHA1, CAMELLIA, ARIA, PSK, SRP" \
	"tls_preempt_cipherlist = yes"
pf pf_expired "$AX" expired
pf pf_expiring "$AE" expiring
pf pf_wrongname "$AN" wrongname
pf pf_selfsigned "$AZ" selfsigned
pf pf_rsa1024 "$AR" rsa1024
pf pf_ec256 "$AC" ec256
pf pf_sha1 "$AH" sha1
pf pf_shared "$A72" shared
bg dovecot dv_strict t_dovecot_start dv_strict "$DS" "$CA/dstrict.chain.pem" "$CA/dstrict.key" \
	"ssl_min_protocol = TLSv1.2"
bg dovecot dv_lax t_dovecot_start dv_lax "$DL" "$CA/dlax.chain.pem" "$CA/dlax.key" \
	"ssl_min_protocol = TLSv1" "ssl_cipher_list = ALL:@SECLEVEL=0" \
	"disable_plaintext_auth = no"
bg dovecot dv_shared t_dovecot_start dv_shared "$D73" "$CA/shared.chain.pem" "$CA/shared.key" \
	"ssl_curve_list = ffdhe2048"
bg_wait
t_log "servers up ($(( $(date +%s) - T0 )) s since start)"

# --- server side ---------------------------------------------------------------
t_log "checking the server side with openssl s_client, EHLO, CAPABILITY, CAPA"

# sc NAME ADDR PORT MODE [s_client args...]: one s_client session in the
# background (MODE smtp, imap, pop3: STARTTLS; tls: implicit TLS), output in
# $S/NAME.  Verified against our CA; -status asks for a stapled OCSP response.
sc() {
	_sn=$1 _sa=$2 _sp=$3 _sm=$4
	shift 4
	case $_sm in smtp|imap|pop3) set -- -starttls "$_sm" "$@" ;; esac
	timeout 15 openssl s_client -connect "$_sa:$_sp" -CAfile "$CA/ca.crt" -status \
		-showcerts "$@" </dev/null >"$S/$_sn" 2>&1 &
}
# ok NAME: 1 if the session in $S/NAME completed its handshake, else 0.
ok() {
	_c=$(sed -n 's/^New, [^,]*, Cipher is //p' "$S/$1" | head -n1)
	[ -n "$_c" ] || grep -q 'CONNECTED\|errno=\|connect:' "$S/$1" ||
		t_fail "s_client session $1 did not run: $(tail -n 3 "$S/$1")"
	if [ -n "$_c" ] && [ "$_c" != "(NONE)" ]; then echo 1; else echo 0; fi
}
# proto NAME: the protocol negotiated.  A TLS 1.3 suite says it; for older
# ones, "Protocol  :" of the SSL-Session block, which s_client prints with
# the handshake up to TLS 1.2, but with TLS 1.3 only when a session ticket
# comes (it may not before s_client quits on the end of its stdin).
proto() {
	case $(sed -n 's/^New, \([^,]*\), Cipher is .*/\1/p' "$S/$1" | head -n1) in
	TLSv1.3) echo TLSv1.3 ;;
	*) sed -n 's/^ *Protocol *: *//p' "$S/$1" | head -n1 ;;
	esac
}
cipher() { sed -n 's/^New, [^,]*, Cipher is //p' "$S/$1" | head -n1; }
# tempkey NAME group|bits: from "Server Temp Key: X25519, 253 bits".
tempkey() {
	case $2 in
	group) sed -n 's/^Server Temp Key: \([^,]*\),.*/\1/p' "$S/$1" | head -n1 ;;
	bits) sed -n 's/^Server Temp Key: .*, \([0-9]*\) bits.*/\1/p' "$S/$1" | head -n1 ;;
	esac
}
# tlsgroup NAME: the key exchange group of the session as the exporter names
# it: the TLS (IANA) group name, as SSL_group_to_name() gives it
# ("x25519", "secp256r1", "ffdhe2048"), or "DH" for a TLS 1.2 DHE group,
# which has no name.  s_client prints the key's OpenSSL name ("X25519",
# "ECDH, prime256v1", "DH, 2048 bits"); in TLS 1.3 a finite-field group is
# always a named one (RFC 8446 4.2.7): ffdhe + its size.
tlsgroup() {
	_g=$(sed -n 's/^Server Temp Key: //p' "$S/$1" | head -n1)
	case $_g in
	"ECDH, prime256v1,"*) echo secp256r1 ;;
	"ECDH, "*) echo "$_g" | sed 's/^ECDH, \([^,]*\),.*/\1/' ;;
	DH,*)	if [ "$(proto "$1")" = TLSv1.3 ]; then echo "ffdhe$(tempkey "$1" bits)"
		else echo DH; fi ;;
	*) echo "${_g%%,*}" | tr 'A-Z' 'a-z' ;;
	esac
}
# want NAME VALUE WHAT: the s_client session NAME must have ended as VALUE
# (1 accepted, 0 refused): what the test was built for.
want() {
	[ "$(ok "$1")" = "$2" ] ||
		t_fail "server side: $3: expected $( [ "$2" = 1 ] && echo accepted || echo refused), got the opposite (see $S/$1)"
}

VERSIONS="tls1:TLSv1 tls1_1:TLSv1.1 tls1_2:TLSv1.2 tls1_3:TLSv1.3"
# The weak classes exactly as collectors/audit.c offers them.
CLASSES="null:eNULL:@SECLEVEL=0 anon:aNULL:!eNULL:@SECLEVEL=0 export:EXPORT:@SECLEVEL=0
des:DES:!3DES:@SECLEVEL=0 3des:3DES:@SECLEVEL=0 rc4:RC4:@SECLEVEL=0 md5:MD5:@SECLEVEL=0
static_rsa:kRSA:@SECLEVEL=0"
TESTABLE= UNTESTABLE=
for e in $CLASSES; do
	if openssl ciphers "${e#*:}" >/dev/null 2>&1; then TESTABLE="$TESTABLE ${e%%:*}"
	else UNTESTABLE="$UNTESTABLE ${e%%:*}"; fi
done
NTESTABLE=$(echo $TESTABLE | wc -w)
t_log "weak classes this OpenSSL can offer:$TESTABLE; cannot:$UNTESTABLE"
class_ciphers() { for _e in $CLASSES; do [ "${_e%%:*}" = "$1" ] && echo "${_e#*:}"; done; }

# audit_sc TAG ADDR PORT MODE: the audit's handshakes, done by s_client: the
# main one, one per version, one per testable weak class, DHE only, and the
# two-suite order pair (RSA certificates only).
audit_sc() {
	_t=$1 _a=$2 _p=$3 _m=$4
	sc "$_t.main" "$_a" "$_p" "$_m" -cipher 'DEFAULT:@SECLEVEL=0'
	for _v in $VERSIONS; do
		sc "$_t.${_v%%:*}" "$_a" "$_p" "$_m" "-${_v%%:*}" -cipher 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'
	done
	for _c in $TESTABLE; do
		sc "$_t.$_c" "$_a" "$_p" "$_m" -no_tls1_3 -cipher "$(class_ciphers "$_c")"
	done
	sc "$_t.dhe" "$_a" "$_p" "$_m" -no_tls1_3 -cipher 'kDHE:@SECLEVEL=0'
	sc "$_t.ord1" "$_a" "$_p" "$_m" -tls1_2 -cipher 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384'
	sc "$_t.ord2" "$_a" "$_p" "$_m" -tls1_2 -cipher 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256'
}
audit_sc weak "$AW" 25 smtp
sc weak587.main "$AW" 587 smtp -cipher 'DEFAULT:@SECLEVEL=0'
audit_sc strict "$AS" 25 smtp
for d in ds:$DS dl:$DL; do
	audit_sc "${d%%:*}.143" "${d#*:}" 143 imap
	audit_sc "${d%%:*}.993" "${d#*:}" 993 tls
	audit_sc "${d%%:*}.110" "${d#*:}" 110 pop3
	audit_sc "${d%%:*}.995" "${d#*:}" 995 tls
done
sc expired "$AX" 25 smtp -cipher 'DEFAULT:@SECLEVEL=0' -verify_ip "$AX"
sc expiring "$AE" 25 smtp -cipher 'DEFAULT:@SECLEVEL=0' -verify_ip "$AE"
sc wrongname "$AN" 25 smtp -cipher 'DEFAULT:@SECLEVEL=0' -verify_ip "$AN"
sc selfsigned "$AZ" 25 smtp -cipher 'DEFAULT:@SECLEVEL=0' -verify_ip "$AZ"
sc rsa1024 "$AR" 25 smtp -cipher 'DEFAULT:@SECLEVEL=0' -verify_ip "$AR"
sc ec256 "$AC" 25 smtp -cipher 'DEFAULT:@SECLEVEL=0' -verify_ip "$AC"
sc sha1 "$AH" 25 smtp -cipher 'DEFAULT:@SECLEVEL=0' -verify_ip "$AH"
sc sha1_l1 "$AH" 25 smtp -verify_ip "$AH"
sc shared25 "$A72" 25 smtp -cipher 'DEFAULT:@SECLEVEL=0'
sc shared993 "$D73" 993 tls -cipher 'DEFAULT:@SECLEVEL=0'

# Plain-text dialogues, meanwhile.
t_smtp_ehlo "$AW" 25 >"$S/weak.ehlo"
t_smtp_ehlo "$AS" 25 >"$S/strict.ehlo"
# imap_capa ADDR / pop3_capa ADDR: greeting and CAPABILITY / CAPA answer,
# CR stripped, before any TLS.
imap_capa() { t_dialogue "$1" 143 "a1 CAPABILITY" 'a1 *' "a2 LOGOUT"; }
pop3_capa() { t_dialogue "$1" 110 CAPA '.*' QUIT; }
for d in ds:$DS dl:$DL; do
	imap_capa "${d#*:}" >"$S/${d%%:*}.capability"
	pop3_capa "${d#*:}" >"$S/${d%%:*}.capa"
done
wait
t_log "s_client sessions done ($(( $(date +%s) - T0 )) s since start)"

# (a) the weak Postfix, as configured.
grep -q '^250[- ]STARTTLS' "$S/weak.ehlo" || t_fail "(a) no STARTTLS in EHLO: $(cat "$S/weak.ehlo")"
grep -q '^250[- ]AUTH ' "$S/weak.ehlo" ||
	t_fail "(a) no AUTH before STARTTLS (SASL through $SASL_SOCK): $(cat "$S/weak.ehlo")"
want weak.tls1 1 "(a) TLSv1"
want weak.tls1_1 1 "(a) TLSv1.1"
want weak.tls1_2 1 "(a) TLSv1.2"
want weak.tls1_3 0 "(a) TLSv1.3"
[ "$(proto weak.tls1_1)" = TLSv1.1 ] || t_fail "(a) -tls1_1 negotiated $(proto weak.tls1_1)"
for c in $TESTABLE; do
	case $c in static_rsa) want "weak.$c" 1 "(a) $c suites (medium keeps kRSA)" ;;
	*) want "weak.$c" 0 "(a) $c suites (excluded)" ;; esac
done
want weak.dhe 1 "(a) DHE"
[ "$(proto weak.main)" = TLSv1.2 ] || t_fail "(a) default handshake: $(proto weak.main), want TLSv1.2"
grep -q 'Secure Renegotiation IS supported' "$S/weak.tls1_2" ||
	t_fail "(a) no secure renegotiation in TLS 1.2"
[ "$(cipher weak.ord1)" = ECDHE-RSA-AES128-GCM-SHA256 ] &&
	[ "$(cipher weak.ord2)" = ECDHE-RSA-AES256-GCM-SHA384 ] ||
	t_fail "(a) tls_preempt_cipherlist = no, yet the server did not follow the client's order: $(cipher weak.ord1) / $(cipher weak.ord2)"
grep -q 'OCSP response: no response sent' "$S/weak.main" || t_fail "(a) an OCSP response was stapled"

# (b) the strict Postfix.
grep -q '^250[- ]STARTTLS' "$S/strict.ehlo" || t_fail "(b) no STARTTLS in EHLO: $(cat "$S/strict.ehlo")"
if grep -q 'AUTH' "$S/strict.ehlo"; then t_fail "(b) AUTH offered: $(cat "$S/strict.ehlo")"; fi
want strict.tls1 0 "(b) TLSv1"
want strict.tls1_1 0 "(b) TLSv1.1"
want strict.tls1_2 1 "(b) TLSv1.2"
want strict.tls1_3 1 "(b) TLSv1.3"
for c in $TESTABLE; do want "strict.$c" 0 "(b) $c suites"; done
want strict.dhe 0 "(b) DHE (kDHE excluded)"
[ "$(cipher strict.ord1)" = "$(cipher strict.ord2)" ] && [ "$(ok strict.ord1)" = 1 ] ||
	t_fail "(b) tls_preempt_cipherlist = yes, yet the choice followed the client: $(cipher strict.ord1) / $(cipher strict.ord2)"

# (c) certificates: what s_client's verification says.
verr() { sed -n 's/^ *Verify return code: //p' "$S/$1" | head -n1; }
for c in expired expiring wrongname selfsigned rsa1024 ec256 sha1; do want "$c" 1 "(c) $c handshake"; done
[ "$(verr expired)" = "10 (certificate has expired)" ] || t_fail "(c) expired: $(verr expired)"
[ "$(verr expiring)" = "0 (ok)" ] || t_fail "(c) expiring: $(verr expiring)"
[ "$(verr wrongname)" = "64 (IP address mismatch)" ] || t_fail "(c) wrongname: $(verr wrongname)"
[ "$(verr selfsigned)" = "18 (self-signed certificate)" ] || t_fail "(c) selfsigned: $(verr selfsigned)"
[ "$(verr rsa1024)" = "0 (ok)" ] || t_fail "(c) rsa1024: $(verr rsa1024)"
[ "$(verr ec256)" = "0 (ok)" ] || t_fail "(c) ec256: $(verr ec256)"
# At security level 0 (the exporter's) the SHA-1 signature verifies; at
# Debian's default level 2 (built in: -DOPENSSL_TLS_SECURITY_LEVEL=2) it is
# refused: 68 (CA signature digest algorithm too weak).
[ "$(verr sha1)" = "0 (ok)" ] || t_fail "(c) sha1 at level 0: $(verr sha1)"
case $(verr sha1_l1) in 0*) t_fail "(c) sha1 at level 1 verifies: $(verr sha1_l1)" ;; esac
for c in expired expiring wrongname rsa1024 ec256 sha1; do
	t_split_pem "$S/$c" "$S/$c.cert" >"$S/$c.certs"
	[ "$(t_cert_fp "$(sed -n 1p "$S/$c.certs")")" = "$(t_cert_fp "$CA/$c.crt")" ] ||
		t_fail "(c) $c: the server did not present $CA/$c.crt"
done
t_split_pem "$S/selfsigned" "$S/selfsigned.cert" >"$S/selfsigned.certs"
[ "$(wc -l <"$S/selfsigned.certs")" -eq 1 ] || t_fail "(c) selfsigned: expected a chain of 1"

# (d) Dovecot.
for v in $VERSIONS; do
	for p in 143 993 110 995; do
		case ${v%%:*} in tls1_2|tls1_3) want "ds.$p.${v%%:*}" 1 "(d) strict Dovecot :$p ${v#*:}" ;;
		*) want "ds.$p.${v%%:*}" 0 "(d) strict Dovecot :$p ${v#*:}" ;; esac
		want "dl.$p.${v%%:*}" 1 "(d) lax Dovecot :$p ${v#*:}"
	done
done
grep -q '^\* CAPABILITY .*LOGINDISABLED' "$S/ds.capability" ||
	t_fail "(d) strict Dovecot IMAP without LOGINDISABLED (is $DS on lo?): $(cat "$S/ds.capability")"
if grep -q '^USER' "$S/ds.capa" || grep -q '^SASL .' "$S/ds.capa"; then
	t_fail "(d) strict Dovecot POP3 offers USER or SASL mechanisms before STLS: $(cat "$S/ds.capa")"
fi
grep -q '^\* CAPABILITY ' "$S/dl.capability" && ! grep -q 'LOGINDISABLED' "$S/dl.capability" ||
	t_fail "(d) lax Dovecot IMAP: $(cat "$S/dl.capability")"
grep -q '^USER$' "$S/dl.capa" || t_fail "(d) lax Dovecot POP3 without USER: $(cat "$S/dl.capa")"

# (e) the same certificate on both servers.
[ "$(proto shared993)" = TLSv1.3 ] && [ "$(tempkey shared993 group)" = DH ] ||
	t_fail "(e) Dovecot with ssl_curve_list = ffdhe2048: $(proto shared993), $(sed -n 's/^Server Temp Key: //p' "$S/shared993")"
for x in shared25 shared993; do
	want "$x" 1 "(e) $x"
	t_split_pem "$S/$x" "$S/$x.cert" >"$S/$x.certs"
	[ "$(t_cert_fp "$(sed -n 1p "$S/$x.certs")")" = "$(t_cert_fp "$CA/shared.crt")" ] ||
		t_fail "(e) $x: the server did not present $CA/shared.crt"
done
t_log "server side OK ($(( $(date +%s) - T0 )) s since start)"

# --- the exporter ----------------------------------------------------------------
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built (make): the server side is OK, the exporter part did not run"

CFG=$T_DIR/exporter.ini
{
	cat <<EOF
[exporter]
listen = 127.0.0.1:19926
timeout = 5s
ca_file = $CA/ca.crt
log_level = debug
audit = on

[endpoint $AW:587]
protocol = submission
audit = off
EOF
	for a in $AW $AS $AX $AE $AN $AZ $AR $AC $AH $A72; do
		printf '\n[endpoint %s:25]\nprotocol = smtp\n' "$a"
	done
	for a in $DS $DL; do
		printf '\n[endpoint %s:143]\n\n[endpoint %s:993]\n\n[endpoint %s:110]\n\n[endpoint %s:995]\n' \
			"$a" "$a" "$a" "$a"
	done
	printf '\n[endpoint %s:993]\nprotocol = imaps\n' "$D73"
} >"$CFG"

t_log "running $T_BIN --config $CFG --once"
t1=$(date +%s)
timeout 60 "$T_BIN" --config "$CFG" --once >"$OUT" 2>"$T_DIR/once.log" </dev/null
rc=$?
t_log "--once took $(( $(date +%s) - t1 )) s"
if [ "$rc" -ne 0 ]; then
	tail -n 30 "$T_DIR/once.log" >&2
	t_fail "--once exited with status $rc (stderr above, full: $T_DIR/once.log)"
fi
n=$(grep -c '^mailsec_probe_success{' "$OUT")
[ "$n" -eq 20 ] || { grep '^mailsec_probe_success' "$OUT" >&2; t_fail "expected 20 mailsec_probe_success samples, got $n"; }

# check_audit TAG LABELS: the audit facts of an endpoint equal what s_client
# found with the same handshakes (TAG as in audit_sc); untestable classes
# have no sample.  Sets ORDER to the cipher-order value it expects.
check_audit() {
	_t=$1 _l=$2
	t_assert_metric "$OUT" "mailsec_probe_success{$_l}" 1
	for _v in $VERSIONS; do
		t_assert_metric "$OUT" "mailsec_tls_version_accepted{$_l,version=\"${_v#*:}\"}" \
			"$(ok "$_t.${_v%%:*}")"
	done
	for _c in $TESTABLE; do
		t_assert_metric "$OUT" "mailsec_tls_weak_cipher_accepted{$_l,class=\"$_c\"}" "$(ok "$_t.$_c")"
	done
	for _c in $UNTESTABLE; do
		t_assert_absent "$OUT" "mailsec_tls_weak_cipher_accepted{$_l,class=\"$_c\"}"
	done
	if [ "$(ok "$_t.dhe")" = 1 ]; then _dhe=$(tempkey "$_t.dhe" bits); else _dhe=0; fi
	t_assert_metric "$OUT" "mailsec_tls_dhe_size{$_l}" "$_dhe"
	if [ "$(ok "$_t.ord1")" = 1 ] && [ "$(cipher "$_t.ord1")" = "$(cipher "$_t.ord2")" ]; then ORDER=1; else ORDER=0; fi
	t_assert_metric "$OUT" "mailsec_tls_server_cipher_order{$_l}" "$ORDER"
	if grep -q 'Secure Renegotiation IS supported' "$S/$_t.tls1_2"; then _r=1; else _r=0; fi
	t_assert_metric "$OUT" "mailsec_tls_secure_renegotiation{$_l}" "$_r"
	# The main probe: the default handshake.
	t_assert_metric "$OUT" "mailsec_tls_version_info{$_l,version=\"$(proto "$_t.main")\"}" 1
	t_assert_metric "$OUT" "mailsec_tls_cipher_info{$_l,cipher=\"$(cipher "$_t.main")\"}" 1
	t_assert_metric "$OUT" "mailsec_tls_kex_info{$_l,group=\"$(tlsgroup "$_t.main")\"}" 1
	t_assert_metric "$OUT" "mailsec_tls_kex_size{$_l}" "$(tempkey "$_t.main" bits)"
	# 4 versions, the testable classes, DHE, then the order test: nothing
	# without TLS 1.2, 2 handshakes when the two lists got different
	# suites, 3 when the same (the third leaves that suite out).  Before
	# them, on STARTTLS endpoints, the injection test: real Postfix and
	# Dovecot are not vulnerable (test_starttls_injection.sh has the flaw).
	_h=$((4 + NTESTABLE + 1))
	if [ "$(ok "$_t.tls1_2")" = 1 ]; then _h=$((_h + 2 + ORDER)); fi
	case $_l in
	*'protocol="smtp"'|*'protocol="submission"'|*'protocol="imap"'|*'protocol="pop3"')
		_h=$((_h + 1))
		t_assert_metric "$OUT" "mailsec_starttls_injection_vulnerable{$_l}" 0 ;;
	*)	t_assert_absent "$OUT" "mailsec_starttls_injection_vulnerable{$_l}" ;;
	esac
	t_assert_metric "$OUT" "mailsec_tls_audit_handshakes{$_l}" "$_h"
	_ts=$(t_metric_value "$OUT" "mailsec_tls_audit_last_run_timestamp_seconds{$_l}") ||
		t_fail "no mailsec_tls_audit_last_run_timestamp_seconds{$_l}"
	awk -v t="$_ts" -v a="$t1" -v b="$(date +%s)" 'BEGIN { exit !(t >= a - 1 && t <= b + 1) }' ||
		t_fail "audit timestamp $_ts not within the --once run [$t1, now]"
	_d=$(t_metric_value "$OUT" "mailsec_tls_audit_duration_seconds{$_l}") ||
		t_fail "no mailsec_tls_audit_duration_seconds{$_l}"
	awk -v d="$_d" 'BEGIN { exit !(d > 0 && d < 30) }' || t_fail "audit duration $_d"
}

# check_cert LABELS CERTFILE CHAINLEN: the leaf facts of CERTFILE (and, at
# depth 1, of the CA when CHAINLEN is 2).
check_cert() {
	_l=$1 _f=$2
	t_assert_metric "$OUT" "mailsec_cert_not_after_timestamp_seconds{$_l}" "$(t_cert_epoch "$_f" enddate)"
	t_assert_metric "$OUT" "mailsec_cert_key_size{$_l,key_type=\"$(cert_text "$_f" keytype)\"}" \
		"$(cert_text "$_f" bits)"
	t_assert_metric "$OUT" "mailsec_cert_signature_info{$_l,algorithm=\"$(cert_text "$_f" sigalg)\"}" 1
	case $(cert_text "$_f" sigalg) in sha1*|md5*) _w=1 ;; *) _w=0 ;; esac
	t_assert_metric "$OUT" "mailsec_cert_signature_weak{$_l}" "$_w"
	t_assert_metric "$OUT" "mailsec_cert_chain_length{$_l}" "$3"
	t_assert_metric "$OUT" "mailsec_cert_chain_not_after_timestamp_seconds{$_l,depth=\"0\"}" \
		"$(t_cert_epoch "$_f" enddate)"
	if [ "$3" -eq 2 ]; then
		t_assert_metric "$OUT" "mailsec_cert_chain_not_after_timestamp_seconds{$_l,depth=\"1\"}" \
			"$(t_cert_epoch "$CA/ca.crt" enddate)"
	fi
	t_assert_absent "$OUT" "mailsec_cert_chain_not_after_timestamp_seconds{$_l,depth=\"$3\"}"
	t_assert_metric "$OUT" "mailsec_cert_ocsp_stapled{$_l}" 0
	t_assert_metric "$OUT" "mailsec_cert_info{$_l,subject=\"$(openssl x509 -in "$_f" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')\",issuer=\"$(openssl x509 -in "$_f" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')\",serial=\"$(t_cert_serial "$_f")\",fingerprint_sha256=\"$(t_cert_fp "$_f")\"}" 1
}

# (a) weak Postfix
t_log "(a) weak Postfix"
L=$(labels "$AW" 25 smtp)
check_audit weak "$L"
t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1\"}" 1
t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.3\"}" 0
t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.1\"}" 1
t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.2\"}" 1
for c in null anon md5; do
	case " $TESTABLE " in *" $c "*)
		t_assert_metric "$OUT" "mailsec_tls_weak_cipher_accepted{$L,class=\"$c\"}" 0 ;;
	esac
done
t_assert_metric "$OUT" "mailsec_tls_weak_cipher_accepted{$L,class=\"static_rsa\"}" 1
for c in export des 3des rc4; do
	t_assert_absent "$OUT" "mailsec_tls_weak_cipher_accepted{$L,class=\"$c\"}"
done
t_assert_metric "$OUT" "mailsec_tls_dhe_size{$L}" "$(tempkey weak.dhe bits)"
t_assert_metric "$OUT" "mailsec_tls_secure_renegotiation{$L}" 1
t_assert_metric "$OUT" "mailsec_tls_server_cipher_order{$L}" 0
t_assert_metric "$OUT" "mailsec_tls_version_info{$L,version=\"TLSv1.2\"}" 1
t_assert_metric "$OUT" "mailsec_plaintext_auth_offered{$L}" 1
t_assert_metric "$OUT" "mailsec_starttls_offered{$L}" 1
check_cert "$L" "$CA/weak.crt" 2
t_assert_metric "$OUT" "mailsec_cert_self_signed{$L}" 0
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1

# (b) strict Postfix
t_log "(b) strict Postfix"
L=$(labels "$AS" 25 smtp)
check_audit strict "$L"
t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1\"}" 0
t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.1\"}" 0
t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.2\"}" 1
t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.3\"}" 1
t_assert_metric "$OUT" "mailsec_tls_weak_cipher_accepted{$L,class=\"static_rsa\"}" 0
t_assert_metric "$OUT" "mailsec_tls_server_cipher_order{$L}" 1
t_assert_metric "$OUT" "mailsec_tls_dhe_size{$L}" 0
t_assert_metric "$OUT" "mailsec_tls_version_info{$L,version=\"TLSv1.3\"}" 1
t_assert_metric "$OUT" "mailsec_plaintext_auth_offered{$L}" 0
check_cert "$L" "$CA/strict.crt" 2

# (c) certificate cases
t_log "(c) certificate cases"
NOW=$(date +%s)
L=$(labels "$AX" 25 smtp)
check_cert "$L" "$CA/expired.crt" 2
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 0
t_assert_metric "$OUT" "mailsec_cert_verify_error_info{$L,error=\"$(verr expired | sed 's/^[0-9]* (\(.*\))$/\1/')\"}" 1
na=$(t_metric_value "$OUT" "mailsec_cert_not_after_timestamp_seconds{$L}")
[ "$na" -lt "$NOW" ] || t_fail "(c) expired: not_after $na is not in the past"

L=$(labels "$AE" 25 smtp)
check_cert "$L" "$CA/expiring.crt" 2
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1
na=$(t_metric_value "$OUT" "mailsec_cert_not_after_timestamp_seconds{$L}")
left=$((na - NOW))
[ "$left" -gt $((2 * 86400)) ] && [ "$left" -lt $((4 * 86400)) ] ||
	t_fail "(c) expiring: not_after - now = $left s, want between 2 and 4 days"
echo "ok: (c) expiring: not_after - now = $left s (< 4 days: an expiry alert fires)"

L=$(labels "$AN" 25 smtp)
check_cert "$L" "$CA/wrongname.crt" 2
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1
t_assert_metric "$OUT" "mailsec_cert_hostname_match{$L}" 0

L=$(labels "$AZ" 25 smtp)
check_cert "$L" "$CA/selfsigned.crt" 1
t_assert_metric "$OUT" "mailsec_cert_self_signed{$L}" 1
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 0
t_assert_metric "$OUT" "mailsec_cert_verify_error_info{$L,error=\"$(verr selfsigned | sed 's/^[0-9]* (\(.*\))$/\1/')\"}" 1
t_assert_metric "$OUT" "mailsec_cert_hostname_match{$L}" 1

L=$(labels "$AR" 25 smtp)
check_cert "$L" "$CA/rsa1024.crt" 2
[ "$(cert_text "$CA/rsa1024.crt" bits)" = 1024 ] || t_fail "(c) rsa1024.crt is not a 1024-bit key"
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1

L=$(labels "$AC" 25 smtp)
check_cert "$L" "$CA/ec256.crt" 2
[ "$(cert_text "$CA/ec256.crt" bits)" = 256 ] || t_fail "(c) ec256.crt is not a 256-bit key"
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1

L=$(labels "$AH" 25 smtp)
check_cert "$L" "$CA/sha1.crt" 2
t_assert_metric "$OUT" "mailsec_cert_signature_info{$L,algorithm=\"sha1WithRSAEncryption\"}" 1
t_assert_metric "$OUT" "mailsec_cert_signature_weak{$L}" 1
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1

for a in $AX $AE $AN $AZ $AR $AC $AH; do
	L=$(labels "$a" 25 smtp)
	t_assert_metric "$OUT" "mailsec_probe_success{$L}" 1
	t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.2\"}" 1
	[ "$a" = "$AZ" ] || t_assert_metric "$OUT" "mailsec_cert_self_signed{$L}" 0
done

# (d) Dovecot
t_log "(d) Dovecot"
for d in ds:$DS dl:$DL; do
	tag=${d%%:*} a=${d#*:}
	for pp in 143:imap 993:imaps 110:pop3 995:pop3s; do
		L=$(labels "$a" "${pp%%:*}" "${pp#*:}")
		check_audit "$tag.${pp%%:*}" "$L"
		check_cert "$L" "$CA/$( [ "$tag" = ds ] && echo dstrict || echo dlax ).crt" 2
		t_assert_metric "$OUT" "mailsec_starttls_offered{$L}" 1
	done
	# Implicit TLS: nothing is ever said in clear, no sample.
	t_assert_absent "$OUT" "mailsec_plaintext_auth_offered{$(labels "$a" 993 imaps)}"
	t_assert_absent "$OUT" "mailsec_plaintext_auth_offered{$(labels "$a" 995 pop3s)}"
done
for pp in 143:imap 993:imaps 110:pop3 995:pop3s; do
	L=$(labels "$DS" "${pp%%:*}" "${pp#*:}")
	t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1\"}" 0
	t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.1\"}" 0
	t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.2\"}" 1
	t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.3\"}" 1
	L=$(labels "$DL" "${pp%%:*}" "${pp#*:}")
	t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1\"}" 1
	t_assert_metric "$OUT" "mailsec_tls_version_accepted{$L,version=\"TLSv1.1\"}" 1
done
# Strict: LOGINDISABLED (IMAP), no USER and no SASL mechanism (POP3).
t_assert_metric "$OUT" "mailsec_plaintext_auth_offered{$(labels "$DS" 143 imap)}" 0
t_assert_metric "$OUT" "mailsec_plaintext_auth_offered{$(labels "$DS" 110 pop3)}" 0
# Lax: LOGIN allowed (IMAP), USER (POP3).
t_assert_metric "$OUT" "mailsec_plaintext_auth_offered{$(labels "$DL" 143 imap)}" 1
t_assert_metric "$OUT" "mailsec_plaintext_auth_offered{$(labels "$DL" 110 pop3)}" 1

# (e) one certificate, two servers, two protocols: the same facts.
t_log "(e) one certificate on Postfix and Dovecot"
for L in "$(labels "$A72" 25 smtp)" "$(labels "$D73" 993 imaps)"; do
	t_assert_metric "$OUT" "mailsec_probe_success{$L}" 1
	check_cert "$L" "$CA/shared.crt" 2
	t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1
	t_assert_metric "$OUT" "mailsec_cert_hostname_match{$L}" 1
done
L=$(labels "$D73" 993 imaps)
t_assert_metric "$OUT" "mailsec_tls_version_info{$L,version=\"TLSv1.3\"}" 1
t_assert_metric "$OUT" "mailsec_tls_kex_info{$L,group=\"$(tlsgroup shared993)\"}" 1
t_assert_metric "$OUT" "mailsec_tls_kex_size{$L}" "$(tempkey shared993 bits)"
L=$(labels "$A72" 25 smtp)
t_assert_metric "$OUT" "mailsec_tls_kex_info{$L,group=\"$(tlsgroup shared25)\"}" 1
t_assert_metric "$OUT" "mailsec_tls_kex_size{$L}" "$(tempkey shared25 bits)"

# (f) audit = off on 587 of the weak Postfix: the main probe, no audit.
t_log "(f) audit = off"
L=$(labels "$AW" 587 submission)
t_assert_metric "$OUT" "mailsec_probe_success{$L}" 1
t_assert_metric "$OUT" "mailsec_starttls_offered{$L}" 1
t_assert_metric "$OUT" "mailsec_plaintext_auth_offered{$L}" 1
t_assert_metric "$OUT" "mailsec_tls_version_info{$L,version=\"$(proto weak587.main)\"}" 1
check_cert "$L" "$CA/weak.crt" 2
for m in mailsec_tls_version_accepted mailsec_tls_weak_cipher_accepted mailsec_tls_dhe_size \
	mailsec_tls_server_cipher_order mailsec_tls_secure_renegotiation \
	mailsec_tls_audit_last_run_timestamp_seconds mailsec_tls_audit_duration_seconds \
	mailsec_tls_audit_handshakes; do
	case $m in
	mailsec_tls_version_accepted|mailsec_tls_weak_cipher_accepted) t_assert_absent "$OUT" "$m{$L," ;;
	*) t_assert_absent "$OUT" "$m{$L}" ;;
	esac
done
# Every other endpoint was audited.
n=$(grep -c '^mailsec_tls_audit_handshakes{' "$OUT")
[ "$n" -eq 19 ] || t_fail "expected 19 audited endpoints, got $n"

# (g)
if ! p=$(promtool check metrics <"$OUT" 2>&1) || [ -n "$p" ]; then
	printf '%s\n' "$p" >&2
	t_fail "promtool check metrics is not clean (above) on $OUT"
fi
echo "ok: promtool check metrics clean"
t_log "all cases passed in $(( $(date +%s) - T0 )) s"
