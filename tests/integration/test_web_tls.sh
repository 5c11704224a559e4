#!/bin/sh
# The HTTPS listener as exporter-toolkit's web-config.yml sets it up, tried
# with real clients (curl, openssl s_client):
#  A. client_auth_type, each of the five, with no client certificate, one
#     from client_ca_file's CA, one from another CA, an expired one; over
#     TLS 1.3 and TLS 1.2.  A refused client fails in the handshake (curl
#     gets no HTTP answer: 000), as with Go's crypto/tls.
#  B. the config errors: a verifying mode without client_ca_file, a
#     client_ca_file with NoClientCert, an unknown mode, a CA file that is
#     no certificate.
#  C. rotation: the served cert_file/key_file replaced (by rename, as
#     cert-manager's Secret volume does) -> the new certificate is served
#     without a restart (s_client's fingerprint); a broken replacement
#     keeps the old one, with an error in the log.
. "$(dirname "$0")/../lib/common.sh"
t_setup web_tls

PORT=19941
URL=https://127.0.0.1:$PORT
if _l=$(t_listening 127.0.0.1 $PORT); then t_fail "127.0.0.1:$PORT is taken: $_l"; fi
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built (make)"

CA=$T_DIR/ca OTHER=$T_DIR/other
t_ca "$CA" ec256
t_ca "$OTHER" ec256
t_cert "$CA" web "127.0.0.1" "IP:127.0.0.1" 1 30 ec256
t_cert "$CA" web2 "127.0.0.1" "IP:127.0.0.1" 1 30 ec256
t_cert "$CA" client "prometheus" "" 1 30 ec256
t_cert "$CA" expired "prometheus" "" 10 -1 ec256
t_cert "$OTHER" stranger "prometheus" "" 1 30 ec256

cat >"$T_DIR/x.ini" <<EOF
[exporter]
listen = 127.0.0.1:$PORT
interval = 1h
audit = off

[endpoint 127.0.0.1:9]
protocol = smtp
EOF

# webcfg MODE [CAFILE]: a web-config.yml with that client_auth_type.
webcfg() {
	printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\n' \
		"$T_DIR/srv/tls.crt" "$T_DIR/srv/tls.key"
	printf '  client_auth_type: %s\n' "$1"
	[ -z "${2:-}" ] || printf '  client_ca_file: %s\n' "$2"
}
mkdir -p "$T_DIR/srv"
cp "$CA/web.chain.pem" "$T_DIR/srv/tls.crt"
cp "$CA/web.key" "$T_DIR/srv/tls.key"

EXP=
start() {
	"$T_BIN" --config.file="$T_DIR/x.ini" --web.config.file="$T_DIR/web.yml" \
		>"$T_DIR/exp.log" 2>&1 </dev/null &
	EXP=$!
	t_pid "$EXP"
	t_wait_port 127.0.0.1 $PORT 10 || { cat "$T_DIR/exp.log" >&2; t_fail "the exporter does not listen"; }
}
stop() {
	kill -TERM "$EXP" && t_wait_exit "$EXP" 5 || t_fail "the exporter did not stop on SIGTERM"
	wait "$EXP"; _rc=$?
	[ "$_rc" = 0 ] || { tail -n 20 "$T_DIR/exp.log" >&2; t_fail "the exporter exited $_rc"; }
}
# code CLIENT [curl args]: the HTTP status of /-/healthy (000: no answer).
# CLIENT: none, client, expired, stranger.
code() {
	_c=$1; shift
	case $_c in
	none) ;;
	stranger) set -- --cert "$OTHER/stranger.crt" --key "$OTHER/stranger.key" "$@" ;;
	*) set -- --cert "$CA/$_c.crt" --key "$CA/$_c.key" "$@" ;;
	esac
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$CA/ca.crt" "$@" "$URL/-/healthy"
}
expect() {	# WHAT CLIENT WANT [curl args]
	_what=$1 _cl=$2 _want=$3; shift 3
	_got=$(code "$_cl" "$@")
	[ "$_got" = "$_want" ] || t_fail "$_what: client cert $_cl: HTTP $_got, want $_want"
	echo "ok: $_what: client cert $_cl -> $_want"
}

# --- A. client_auth_type ------------------------------------------------------
# mode  none  good  other-CA  expired
while read -r mode ca none good stranger expired; do
	if [ "$ca" = yes ]; then webcfg "$mode" "$CA/ca.crt"; else webcfg "$mode"; fi >"$T_DIR/web.yml"
	start
	for tls in 1.3 1.2; do
		if [ $tls = 1.2 ]; then set -- --tls-max 1.2; else set -- --tlsv1.3; fi
		expect "$mode TLS$tls" none "$none" "$@"
		expect "$mode TLS$tls" client "$good" "$@"
		expect "$mode TLS$tls" stranger "$stranger" "$@"
		expect "$mode TLS$tls" expired "$expired" "$@"
	done
	case $mode in
	Verify*|RequireAnd*)
		grep -q 'tls_client_rejected.*reason=untrusted' "$T_DIR/exp.log" ||
			t_fail "$mode: no tls_client_rejected reason=untrusted in the log"
		echo "ok: $mode: the refusal is logged" ;;
	esac
	stop
done <<EOF
NoClientCert no 200 200 200 200
RequestClientCert no 200 200 200 200
RequireAnyClientCert no 000 200 200 200
VerifyClientCertIfGiven yes 200 200 000 000
RequireAndVerifyClientCert yes 000 200 000 000
EOF

# --- B. config errors ------------------------------------------------------------
check_err() {	# WHAT PATTERN
	if "$T_BIN" --config.file="$T_DIR/x.ini" --web.config.file="$T_DIR/web.yml" \
		--config.check >"$T_DIR/check.out" 2>&1; then
		t_fail "$1: --config.check passed"
	fi
	grep -q "$2" "$T_DIR/check.out" || t_fail "$1: $(cat "$T_DIR/check.out")"
	echo "ok: config error: $1"
}
webcfg RequireAndVerifyClientCert >"$T_DIR/web.yml"
check_err "verify without client_ca_file" "web.yml:4: client_auth_type: RequireAndVerifyClientCert needs client_ca_file"
webcfg NoClientCert "$CA/ca.crt" >"$T_DIR/web.yml"
check_err "client_ca_file with NoClientCert" "web.yml:5: client_ca_file: set without a client_auth_type"
webcfg RequireClientCertPlease >"$T_DIR/web.yml"
check_err "unknown client_auth_type" 'web.yml:4: client_auth_type: "RequireClientCertPlease": NoClientCert, RequestClientCert'
webcfg VerifyClientCertIfGiven "$CA/client.key" >"$T_DIR/web.yml"
check_err "client_ca_file without a certificate" "web.yml:5: client_ca_file: .*client.key: no PEM certificate in it"

# --- C. rotation ------------------------------------------------------------------
fp_served() {
	echo | timeout 5 openssl s_client -connect 127.0.0.1:$PORT -CAfile "$CA/ca.crt" \
		2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null |
		sed 's/^[^=]*=//; s/://g' | tr 'A-F' 'a-f'
}
# wait_fp FP SECS
wait_fp() {
	_n=$(( $2 * 10 ))
	while [ "$(fp_served)" != "$1" ]; do
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1; _n=$((_n - 1))
	done
}
webcfg NoClientCert >"$T_DIR/web.yml"
start
FP1=$(t_cert_fp "$CA/web.crt") FP2=$(t_cert_fp "$CA/web2.crt")
[ "$(fp_served)" = "$FP1" ] || t_fail "rotation: the first certificate is not served"
# cert-manager writes a new Secret: both files replaced by rename.
cp "$CA/web2.chain.pem" "$T_DIR/srv/.tls.crt.new"
cp "$CA/web2.key" "$T_DIR/srv/.tls.key.new"
mv "$T_DIR/srv/.tls.key.new" "$T_DIR/srv/tls.key"
mv "$T_DIR/srv/.tls.crt.new" "$T_DIR/srv/tls.crt"
wait_fp "$FP2" 5 || { tail -n 5 "$T_DIR/exp.log" >&2; t_fail "rotation: the new certificate is not served after 5 s"; }
grep -q 'tls_cert_reloaded.*generation=1' "$T_DIR/exp.log" || t_fail "rotation: no tls_cert_reloaded in the log"
[ "$(code none)" = 200 ] || t_fail "rotation: no HTTPS answer with the new certificate"
echo "ok: rotation: the replaced certificate is served without a restart"
# A broken replacement: the old certificate stays, and the log says why.
printf 'not a certificate\n' >"$T_DIR/srv/.tls.crt.new"
mv "$T_DIR/srv/.tls.crt.new" "$T_DIR/srv/tls.crt"
_n=50
until grep -q 'reload_failed' "$T_DIR/exp.log"; do
	[ "$_n" -gt 0 ] || t_fail "rotation: a broken certificate file logged no reload_failed"
	sleep 0.1; _n=$((_n - 1))
done
grep -q 'config_error.*tls.crt: not a PEM file\|config_error.*tls.crt: no PEM certificate' "$T_DIR/exp.log" ||
	t_fail "rotation: the error does not name the file: $(grep config_error "$T_DIR/exp.log")"
[ "$(fp_served)" = "$FP2" ] || t_fail "rotation: a broken file replaced the served certificate"
[ "$(code none)" = 200 ] || t_fail "rotation: no HTTPS answer after a broken replacement"
echo "ok: rotation: a broken replacement keeps the served certificate, with an error logged"
stop
