#!/bin/sh
# Certificate facts that depend on the path OpenSSL builds, not on what the
# server sent (issue 19 items 8 and 13).
#   127.0.19.25:25   Postfix presenting leaf + intermediate + an EXPIRED
#                    cross-signed copy of the root (the DST Root CA X3 shape):
#                    the path leaf -> intermediate -> root (trusted) verifies
#                    and skips the cross-sign, so the chain is not expired;
#                    the presented chain's earliest expiry is its own metric.
#   127.0.19.31:465  openssl s_server (implicit TLS) stapling a real OCSP
#                    response (openssl ocsp) with two SingleResponses: a
#                    revoked sibling certificate first, the leaf (good) second.
#   127.0.19.32:465  the same with a response that covers only the sibling.
# Postfix cannot staple: s_server is the test peer for the staple.
. "$(dirname "$0")/../lib/common.sh"
t_setup cert_paths

PF=127.0.19.25 S1=127.0.19.31 S2=127.0.19.32
LISTEN=127.0.0.1:19928
URL=http://$LISTEN
ROOT=$T_DIR/root OLD=$T_DIR/old INT=$T_DIR/inter
OUT=$T_DIR/metrics.prom
now=$(date +%s)

for a in $PF $S1 $S2; do
	t_addr "$a"
	for p in 25 465; do
		if _l=$(t_listening "$a" $p); then t_fail "$a:$p is taken: $_l"; fi
	done
done

# --- the chain with an expired cross-sign ----------------------------------
# ROOT: the trusted root.  OLD: an older root that cross-signed ROOT's key
# and name, expired 30 days ago.  INT: an intermediate under ROOT.
t_ca "$ROOT"
t_ca "$OLD"
openssl req -x509 -new -key "$OLD/ca.key" -subj "/CN=reentry old root" -days 3650 \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out "$OLD/ca.crt" 2>/dev/null || t_fail "old root"
openssl req -new -key "$ROOT/ca.key" -subj "/CN=mailsec test CA" -out "$T_DIR/cross.csr" 2>/dev/null &&
openssl ca -batch -notext -config "$OLD/ca.cnf" -rand_serial -preserveDN -extensions v3_ca \
	-extfile "$OLD/ca.cnf" -startdate "$(t_gentime -400)" -enddate "$(t_gentime -30)" \
	-in "$T_DIR/cross.csr" -out "$T_DIR/cross.crt" >"$T_DIR/cross.log" 2>&1 ||
	{ cat "$T_DIR/cross.log" >&2; t_fail "cross-sign"; }
t_ca "$INT"
openssl req -new -key "$INT/ca.key" -subj "/CN=reentry intermediate" -out "$INT/int.csr" 2>/dev/null &&
openssl ca -batch -notext -config "$ROOT/ca.cnf" -rand_serial -preserveDN -extensions v3_ca \
	-extfile "$ROOT/ca.cnf" -startdate "$(t_gentime -1)" -enddate "$(t_gentime 400)" \
	-in "$INT/int.csr" -out "$INT/ca.crt" >"$INT/int.log" 2>&1 ||
	{ cat "$INT/int.log" >&2; t_fail "intermediate"; }
t_cert "$INT" leaf "$PF" "IP:$PF" 1 90
cat "$INT/leaf.crt" "$INT/ca.crt" "$T_DIR/cross.crt" >"$T_DIR/served.pem"
openssl verify -CAfile "$ROOT/ca.crt" -untrusted "$T_DIR/served.pem" "$INT/leaf.crt" >/dev/null ||
	t_fail "the test chain does not verify with openssl verify"
t_postfix_start pf "$PF" cross.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $T_DIR/served.pem" "smtpd_tls_key_file = $INT/leaf.key"

# --- the stapled OCSP responses --------------------------------------------
# leaf and sibling signed by ROOT, the sibling revoked in ROOT's database.
t_cert "$ROOT" sleaf ocsp.test "IP:$S1,IP:$S2" 1 90
t_cert "$ROOT" sibling sibling.test "DNS:sibling.test" 1 90
openssl ca -config "$ROOT/ca.cnf" -revoke "$ROOT/sibling.crt" >"$T_DIR/revoke.log" 2>&1 ||
	{ cat "$T_DIR/revoke.log" >&2; t_fail "revoke"; }
t_cert "$ROOT" responder "ocsp responder" "" 1 90
ocsp_resp() {	# OUT CERT...: a response for the certificates, in that order
	_o=$1; shift
	set -- $(for c in "$@"; do printf -- '-cert %s ' "$c"; done)
	openssl ocsp -issuer "$ROOT/ca.crt" "$@" -no_nonce -reqout "$_o.req" >/dev/null 2>&1 &&
	openssl ocsp -index "$ROOT/index.txt" -CA "$ROOT/ca.crt" -rsigner "$ROOT/responder.crt" \
		-rkey "$ROOT/responder.key" -reqin "$_o.req" -respout "$_o" -ndays 1 >/dev/null 2>&1 ||
		t_fail "openssl ocsp $_o"
}
ocsp_resp "$T_DIR/two.der" "$ROOT/sibling.crt" "$ROOT/sleaf.crt"
ocsp_resp "$T_DIR/other.der" "$ROOT/sibling.crt"
# The response is what the test says: two SingleResponses, the revoked
# sibling first.
openssl ocsp -respin "$T_DIR/two.der" -resp_text -noverify >"$T_DIR/two.txt" 2>&1
[ "$(grep -c 'Cert Status:' "$T_DIR/two.txt")" = 2 ] || t_fail "two.der: $(cat "$T_DIR/two.txt")"
awk '/Cert Status:/ { print $3; exit }' "$T_DIR/two.txt" | grep -qx revoked ||
	t_fail "two.der: the first SingleResponse is not the revoked one"

staple_server() {	# ADDR STATUSFILE
	{ printf '220 ocsp.test ESMTP\r\n250 ocsp.test\r\n221 bye\r\n'; sleep 60; } |
		openssl s_server -quiet -accept "$1:465" -cert "$ROOT/sleaf.crt" -key "$ROOT/sleaf.key" \
			-status_file "$2" -naccept 1 >"$T_DIR/s_server.$1.log" 2>&1 &
	t_pid $!
	_n=50	# (not t_wait_port: a connection would be its one accept)
	until t_listening "$1" 465 >/dev/null; do
		[ "$_n" -gt 0 ] || t_fail "s_server on $1 did not start: $(cat "$T_DIR/s_server.$1.log")"
		sleep 0.1; _n=$((_n - 1))
	done
}
staple_server "$S1" "$T_DIR/two.der"
staple_server "$S2" "$T_DIR/other.der"

# --- the exporter ------------------------------------------------------------
cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = $LISTEN
timeout = 5s
interval = 1h
audit = off
ca_file = $ROOT/ca.crt
log_level = debug

[endpoint $PF:25]
[endpoint $S1:465]
protocol = smtps
[endpoint $S2:465]
protocol = smtps
EOF
"$T_BIN" --config "$T_DIR/exporter.ini" >"$T_DIR/exporter.log" 2>&1 </dev/null &
EXP=$!
t_pid "$EXP"
n=60
until [ "$(t_http "$T_DIR/all.json" GET "$URL/api/v1/status")" = 200 ] &&
	grep -q '"ready":true' "$T_DIR/all.json"; do
	t_running "$EXP" || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter exited"; }
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "not ready after 30 s"
	sleep 0.5
done
[ "$(t_http "$OUT" GET "$URL/metrics")" = 200 ] || t_fail "GET /metrics"
[ "$(t_http "$T_DIR/pf.json" GET "$URL/api/v1/status/$PF%3A25")" = 200 ] || t_fail "GET status $PF"

l() { echo "domain=\"\",host=\"$1\",address=\"$1\",port=\"$2\",protocol=\"$3\""; }
L=$(l "$PF" 25 smtp)
t_assert_metric "$OUT" "mailsec_probe_success{$L}" 1
t_assert_metric "$OUT" "mailsec_cert_verified{$L}" 1
t_assert_metric "$OUT" "mailsec_cert_chain_length{$L}" 3
# The chain that counts is the verified path: leaf, intermediate, root.
want=$(for c in "$INT/leaf.crt" "$INT/ca.crt" "$ROOT/ca.crt"; do t_cert_epoch "$c" enddate; done | sort -n | head -n 1)
t_assert_metric "$OUT" "mailsec_cert_chain_earliest_not_after_timestamp_seconds{$L}" "$want"
# What was presented, the expired cross-sign included, is kept apart.
t_assert_metric "$OUT" "mailsec_cert_presented_chain_earliest_not_after_timestamp_seconds{$L}" \
	"$(t_cert_epoch "$T_DIR/cross.crt" enddate)"
t_assert_metric "$OUT" "mailsec_cert_chain_not_after_timestamp_seconds{$L,depth=\"2\"}" \
	"$(t_cert_epoch "$T_DIR/cross.crt" enddate)"
[ "$(t_cert_epoch "$T_DIR/cross.crt" enddate)" -lt "$now" ] || t_fail "the cross-sign is not expired"
python3 - "$T_DIR/pf.json" <<'EOF' || t_fail "status of $PF (above)"
import json, sys
s = json.load(open(sys.argv[1]))
c = s["checks"]["certificate"]
if c["verdict"] != "pass":
    sys.exit("certificate verdict %s: %s" % (c["verdict"], c["text"]))
print("ok: certificate verdict pass: %s" % c["text"])
EOF

# The OCSP status is the leaf's SingleResponse, not the first one.
L1=$(l "$S1" 465 smtps) L2=$(l "$S2" 465 smtps)
t_assert_metric "$OUT" "mailsec_cert_verified{$L1}" 1
t_assert_metric "$OUT" "mailsec_cert_ocsp_stapled{$L1}" 1
t_assert_metric "$OUT" "mailsec_cert_ocsp_status_info{$L1,status=\"good\"}" 1
t_assert_absent "$OUT" "mailsec_cert_ocsp_status_info{$L1,status=\"revoked\"}"
# A staple that does not cover the leaf says nothing about it.
t_assert_metric "$OUT" "mailsec_cert_ocsp_stapled{$L2}" 1
t_assert_metric "$OUT" "mailsec_cert_ocsp_status_info{$L2,status=\"unknown\"}" 1
promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
echo "all cases passed"
