#!/bin/sh
# The STARTTLS command injection test (CVE-2011-0411 and its IMAP/POP3
# kin), run by the TLS audit: STARTTLS and a harmless NOOP go in one write,
# and a server that answers the NOOP inside TLS is vulnerable.
#
#   127.0.16.1:25   peer.py "buffered": the SMTP flaw            -> 1
#   127.0.16.2:143  peer.py "imap_buffered": the IMAP flaw       -> 1
#   127.0.16.3:110  peer.py "pop3_buffered": the POP3 flaw       -> 1
#   127.0.16.4:25   peer.py "tls_good": a sound scripted server  -> 0
#   127.0.16.5:25   real Postfix (discards what came before TLS) -> 0
#   127.0.16.5:587  real Postfix, audit = off: no sample
#   127.0.16.6      real Dovecot: imap 143, pop3 110             -> 0 (it closes
#                   a connection with data pipelined after STARTTLS);
#                   imaps 993, pop3s 995 (implicit TLS): no sample
# The peer's log shows that the flawed cases really got the NOOP in clear
# text (kept_plaintext lines=1), so a 1 is the flaw and not an accident.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/dovecot.sh"
t_setup starttls_injection

PEER=$T_ROOT/tests/hostile/peer.py
CA=$T_DIR/ca
CFG=$T_DIR/exporter.ini
OUT=$T_DIR/once.prom
LOG=$T_DIR/once.log
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built"

t_ca "$CA"
t_cert "$CA" good inject.test "DNS:inject.test" 1 365 ec256
t_cert "$CA" mx mx.inject.test "DNS:mx.inject.test" 1 365 ec256

for a in 127.0.16.1 127.0.16.2 127.0.16.3 127.0.16.4 127.0.16.5; do t_addr "$a"; done
python3 "$PEER" --cert "$CA/good.chain.pem" --key "$CA/good.key" --log "$T_DIR/peer.log" \
	--case buffered@127.0.16.1:25 --case imap_buffered@127.0.16.2:143 \
	--case pop3_buffered@127.0.16.3:110 --case tls_good@127.0.16.4:25 \
	>"$T_DIR/peer.out" 2>&1 &
PEER_PID=$!
t_pid "$PEER_PID"
t_postfix_start pf 127.0.16.5 mx.inject.test +submission \
	"smtpd_tls_cert_file = $CA/mx.chain.pem" "smtpd_tls_key_file = $CA/mx.key" \
	"smtpd_tls_security_level = may"
t_dovecot_start dc 127.0.16.6 "$CA/mx.chain.pem" "$CA/mx.key"
_n=100
until grep -q '^ready' "$T_DIR/peer.out"; do
	t_running "$PEER_PID" || { cat "$T_DIR/peer.out" >&2; t_fail "peer.py died"; }
	[ "$_n" -gt 0 ] || t_fail "peer.py not ready after 10 s"
	sleep 0.1; _n=$((_n - 1))
done

cat >"$CFG" <<EOF
[exporter]
listen = 127.0.0.1:19981
interval = 1h
timeout = 5s
ca_file = $CA/ca.crt
audit = on
log_level = info

[endpoint 127.0.16.1:25]
[endpoint 127.0.16.2:143]
[endpoint 127.0.16.3:110]
[endpoint 127.0.16.4:25]
[endpoint 127.0.16.5:25]
[endpoint 127.0.16.5:587]
audit = off
[endpoint 127.0.16.6:143]
[endpoint 127.0.16.6:110]
[endpoint 127.0.16.6:993]
[endpoint 127.0.16.6:995]
EOF
timeout 60 "$T_BIN" --config "$CFG" --once >"$OUT" 2>"$LOG" ||
	t_fail "--once failed ($?): $(tail -n 5 "$LOG")"

lbl() { echo "domain=\"\",host=\"$1\",address=\"$1\",port=\"$2\",protocol=\"$3\""; }
M=mailsec_starttls_injection_vulnerable
t_assert_metric "$OUT" "$M{$(lbl 127.0.16.1 25 smtp)}" 1
t_assert_metric "$OUT" "$M{$(lbl 127.0.16.2 143 imap)}" 1
t_assert_metric "$OUT" "$M{$(lbl 127.0.16.3 110 pop3)}" 1
t_assert_metric "$OUT" "$M{$(lbl 127.0.16.4 25 smtp)}" 0
t_assert_metric "$OUT" "$M{$(lbl 127.0.16.5 25 smtp)}" 0
t_assert_absent "$OUT" "$M{$(lbl 127.0.16.5 587 submission)}"
t_assert_metric "$OUT" "$M{$(lbl 127.0.16.6 143 imap)}" 0
t_assert_metric "$OUT" "$M{$(lbl 127.0.16.6 110 pop3)}" 0
t_assert_absent "$OUT" "$M{$(lbl 127.0.16.6 993 imaps)}"
t_assert_absent "$OUT" "$M{$(lbl 127.0.16.6 995 pop3s)}"
# The test runs once per audit (its first handshake); the probe itself and
# the other audit handshakes never send the NOOP: one connection per flawed
# case brought a line in clear text, none to the sound peer.
for c in buffered imap_buffered pop3_buffered; do
	n=$(grep -c "case=$c .*event=kept_plaintext lines=1" "$T_DIR/peer.log")
	[ "$n" = 1 ] || t_fail "$c: $n connections brought a NOOP in clear text, want 1"
	echo "ok: $c got one NOOP in clear text"
done
# Every probe of these endpoints still succeeds.
for e in "127.0.16.1 25 smtp" "127.0.16.2 143 imap" "127.0.16.3 110 pop3" \
	"127.0.16.4 25 smtp" "127.0.16.5 25 smtp" "127.0.16.6 143 imap" \
	"127.0.16.6 110 pop3"; do
	set -- $e
	t_assert_metric "$OUT" "mailsec_probe_success{$(lbl "$1" "$2" "$3")}" 1
done
if command -v promtool >/dev/null; then
	promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
		{ cat "$T_DIR/promtool.out" >&2; t_fail "promtool check metrics"; }
fi
t_log "PASS"
