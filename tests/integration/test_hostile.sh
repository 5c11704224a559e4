#!/bin/sh
# Hostile servers: tests/hostile/peer.py plays one misbehaviour per address
# (127.0.10.101 - 127.0.10.131; a real openssl s_server on .132), the
# exporter probes them all at once, and every case must end with
# probe_success 0 and the exact step, reason and cause
# (or succeed, for the big-but-legal certificates), within the probe
# timeout, without a crash.  Then the daemon probes them in a loop while
# /metrics is scraped every 0.2 s: every scrape must answer, the RSS must
# stay bounded and no fd may leak between rounds.  doc/hostile.md has the
# table of cases and outcomes.
. "$(dirname "$0")/../lib/common.sh"
t_setup hostile

PEER=$T_ROOT/tests/hostile/peer.py
CA=$T_DIR/ca
CFG=$T_DIR/exporter.ini
OUT=$T_DIR/once.prom
LOG=$T_DIR/once.log
TIMEOUT_S=2
LISTEN=127.0.0.1:19961
URL=http://$LISTEN/metrics

command -v python3 >/dev/null || t_fail "python3 is needed"
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built"
case $T_BIN in */san/*) ASAN=1 ;; *) ASAN= ;; esac

# --- certificates ------------------------------------------------------------
t_ca "$CA"
t_cert "$CA" good hostile.test "DNS:hostile.test" 1 365 ec256

# A chain of 50 presented certificates: leaf + 49 intermediates, each signed
# by the one above it, the first by the test CA.  One key for all of them
# (the chain is what is tested, not the keys).
t_log "making the 50-certificate chain"
C50=$T_DIR/chain50
mkdir -p "$C50"
t_genkey "$C50/key.pem" ec256 2>/dev/null || t_fail "genkey"
printf 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n' >"$C50/ca.ext"
printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = DNS:chain50.hostile.test\n' >"$C50/leaf.ext"
prev_crt=$CA/ca.crt prev_key=$CA/ca.key
for i in $(seq 1 49); do
	openssl req -new -key "$C50/key.pem" -subj "/CN=hostile intermediate $i" \
		-out "$C50/i$i.csr" 2>/dev/null &&
	openssl x509 -req -in "$C50/i$i.csr" -CA "$prev_crt" -CAkey "$prev_key" \
		-set_serial "$((1000 + i))" -days 30 -extfile "$C50/ca.ext" \
		-out "$C50/i$i.crt" 2>/dev/null || t_fail "intermediate $i"
	prev_crt=$C50/i$i.crt prev_key=$C50/key.pem
done
openssl req -new -key "$C50/key.pem" -subj "/CN=chain50.hostile.test" -out "$C50/leaf.csr" 2>/dev/null &&
openssl x509 -req -in "$C50/leaf.csr" -CA "$prev_crt" -CAkey "$prev_key" -set_serial 2000 \
	-days 30 -extfile "$C50/leaf.ext" -out "$C50/leaf.crt" 2>/dev/null || t_fail "chain50 leaf"
{ cat "$C50/leaf.crt"; for i in $(seq 49 -1 1); do cat "$C50/i$i.crt"; done; } >"$C50/chain.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$C50/chain.pem")" = 50 ] || t_fail "chain50 is not 50 certificates"

# Big leaves: a SAN list of N names, signed by the test CA.
big_cert() {	# NAME N
	_b=$T_DIR/$1
	mkdir -p "$_b"
	awk -v n="$2" -v cn="$1" 'BEGIN {
		printf "basicConstraints = critical, CA:FALSE\nsubjectAltName = DNS:%s.hostile.test", cn
		for (i = 0; i < n; i++) printf ",DNS:h%05d.%s.hostile.test", i, cn
		printf "\n" }' >"$_b/leaf.ext"
	openssl req -new -key "$C50/key.pem" -subj "/CN=$1.hostile.test" -out "$_b/leaf.csr" 2>/dev/null &&
	openssl x509 -req -in "$_b/leaf.csr" -CA "$CA/ca.crt" -CAkey "$CA/ca.key" -set_serial 3000 \
		-days 30 -extfile "$_b/leaf.ext" -out "$_b/leaf.crt" 2>/dev/null || t_fail "big cert $1"
	cat "$_b/leaf.crt" "$CA/ca.crt" >"$_b/chain.pem"
	echo "$1: $(openssl x509 -in "$_b/leaf.crt" -outform DER | wc -c) bytes DER"
}
# ~100 KB: under OpenSSL's 100 KiB bound on a Certificate message (its
# max_cert_list), so it is read; ~120 KB: over it, so it is refused.
big_cert big100k 3250
big_cert big120k 3950

# A long subject in UTF-8 (437 bytes, over the 255 the exporter keeps): the
# cut must not split a character, or the whole exposition is invalid UTF-8
# and Prometheus rejects the scrape.
E64=$(awk 'BEGIN { for (i = 0; i < 64; i++) printf "\303\251" }')	# e-acute x 64
mkdir -p "$T_DIR/longdn"
openssl req -new -key "$C50/key.pem" -utf8 -out "$T_DIR/longdn/leaf.csr" \
	-subj "/CN=longdn.hostile.test/O=$E64/OU=$E64/L=$E64" 2>/dev/null &&
openssl x509 -req -in "$T_DIR/longdn/leaf.csr" -CA "$CA/ca.crt" -CAkey "$CA/ca.key" \
	-set_serial 4000 -days 30 -out "$T_DIR/longdn/leaf.crt" 2>/dev/null || t_fail "longdn cert"
cat "$T_DIR/longdn/leaf.crt" "$CA/ca.crt" >"$T_DIR/longdn/chain.pem"

# --- the peers ---------------------------------------------------------------
# case address port protocol
CASES="garbage 127.0.10.101 25 smtp
longline 127.0.10.102 25 smtp
ehlo_forever 127.0.10.103 25 smtp
slowloris 127.0.10.104 25 smtp
close_banner 127.0.10.105 25 smtp
reset_banner 127.0.10.106 25 smtp
inject 127.0.10.107 25 smtp
plaintalk 127.0.10.108 25 smtp
tls_alert 127.0.10.109 25 smtp
tls_reset 127.0.10.110 25 smtp
tls_good 127.0.10.111 25 smtp
tls_good 127.0.10.112 25 smtp
tls_good 127.0.10.113 25 smtp
tls_good 127.0.10.114 25 smtp
smtps_plain 127.0.10.115 465 smtps
imap_garbage 127.0.10.116 143 imap
imap_capa_forever 127.0.10.117 143 imap
imap_flood 127.0.10.118 143 imap
pop3_garbage 127.0.10.119 110 pop3
pop3_capa_forever 127.0.10.120 110 pop3
pop3_flood 127.0.10.121 110 pop3
tls_good 127.0.10.122 25 smtp
imap_inject 127.0.10.123 143 imap
pop3_inject 127.0.10.124 110 pop3
logforge 127.0.10.131 25 smtp
hold 127.0.10.125 25 smtp
starttls_stall 127.0.10.126 25 smtp
tls_stall 127.0.10.127 25 smtp
tls_close 127.0.10.128 25 smtp
tls_alert_version 127.0.10.129 25 smtp
tls_alert_sni 127.0.10.130 25 smtp
s_server 127.0.10.132 465 smtps"
NCASES=$(printf '%s\n' "$CASES" | wc -l)

set --
printf '%s\n' "$CASES" >"$T_DIR/cases"
while read -r mode a p proto; do
	t_addr "$a"
	if _l=$(t_listening "$a" "$p"); then t_fail "$a:$p is taken: $_l"; fi
	[ "$mode" = s_server ] && continue	# a real OpenSSL server: below
	spec="$mode@$a:$p"
	case $a in
	127.0.10.112) spec="$spec@$C50/chain.pem@$C50/key.pem" ;;
	127.0.10.113) spec="$spec@$T_DIR/big100k/chain.pem@$C50/key.pem" ;;
	127.0.10.114) spec="$spec@$T_DIR/big120k/chain.pem@$C50/key.pem" ;;
	127.0.10.122) spec="$spec@$T_DIR/longdn/chain.pem@$C50/key.pem" ;;
	esac
	set -- "$@" --case "$spec"
done <"$T_DIR/cases"
python3 "$PEER" --cert "$CA/good.chain.pem" --key "$CA/good.key" --log "$T_DIR/peer.log" \
	"$@" >"$T_DIR/peer.out" 2>&1 &
PEER_PID=$!
t_pid "$PEER_PID"
_n=100
until grep -q '^ready' "$T_DIR/peer.out"; do
	t_running "$PEER_PID" || { cat "$T_DIR/peer.out" >&2; t_fail "peer.py died"; }
	[ "$_n" -gt 0 ] || t_fail "peer.py not ready after 10 s"
	sleep 0.1; _n=$((_n - 1))
done
t_log "peer.py ready: $NCASES cases"

# A real server's alert: openssl s_server on implicit TLS with TLS 1.3 and
# only TLS_AES_128_CCM_8_SHA256, a suite the probe does not offer: OpenSSL
# answers the ClientHello with a fatal handshake_failure.
openssl s_server -quiet -accept 127.0.10.132:465 -cert "$CA/good.chain.pem" -key "$CA/good.key" \
	-tls1_3 -ciphersuites TLS_AES_128_CCM_8_SHA256 >"$T_DIR/s_server.log" 2>&1 </dev/null &
t_pid $!
t_wait_port 127.0.10.132 465 10 || t_fail "s_server does not listen: $(cat "$T_DIR/s_server.log")"

write_config() {	# interval audit
	{
		cat <<EOF
[exporter]
listen = $LISTEN
interval = $1
timeout = ${TIMEOUT_S}s
ca_file = $CA/ca.crt
audit = $2
log_level = info
EOF
		while read -r mode a p proto; do
			printf '\n[endpoint %s:%s]\nprotocol = %s\n' "$a" "$p" "$proto"
		done <"$T_DIR/cases"
	} >"$CFG"
}

# --- round 1: --once against every case at once -----------------------------
write_config 1h off
start=$(date +%s.%N)
timeout 30 "$T_BIN" --config "$CFG" --once >"$OUT" 2>"$LOG" ||
	t_fail "--once failed ($?): $(tail -n 5 "$LOG")"
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
t_log "--once over $NCASES hostile peers took ${elapsed}s"
# All at once: the round is as long as the slowest probe (the timeout), not
# the sum.  Generous for the ASan build and a loaded machine.
awk -v e="$elapsed" -v t="$TIMEOUT_S" 'BEGIN { exit !(e < t + 3) }' ||
	t_fail "the round took ${elapsed}s, more than the ${TIMEOUT_S}s timeout + 3s"

lbl() { echo "domain=\"\",host=\"$1\",address=\"$1\",port=\"$2\",protocol=\"$3\""; }
row() { printf '%s\n' "$CASES" | awk -v a="$1" '$2 == a { print $3, $4 }'; }

# fails A STEP REASON CAUSE 'detail ERE': the case at address A failed at
# STEP with REASON and CAUSE (CAUSE/ALERT for a TLS alert; S1|S2 or C1|C2
# when the kernel's timing decides), said so in its log line, within the
# timeout + 0.5 s.
fails() {
	set -- "$1" "$2" "$3" "$4" "$5" $(row "$1")
	_l=$(lbl "$1" "$6" "$7")
	t_assert_metric "$OUT" "mailsec_probe_success{$_l}" 0
	_found=
	for _s in $(printf '%s' "$2" | tr '|' ' '); do
		for _c in $(printf '%s' "$4" | tr '|' ' '); do
			case $_c in
			*/*) _cl="cause=\"${_c%/*}\",tls_alert=\"${_c#*/}\"" ;;
			*) _cl="cause=\"$_c\"" ;;
			esac
			if [ "$(t_metric_value "$OUT" "mailsec_probe_error_info{$_l,step=\"$_s\",reason=\"$3\",$_cl}")" = 1 ]; then
				_found=$_c
			fi
		done
	done
	[ -n "$_found" ] || t_fail "$1: want step=$2 reason=$3 cause=$4, got: $(t_metric_lines "$OUT" mailsec_probe_error_info | grep "address=\"$1\"")"
	[ "$(t_metric_lines "$OUT" mailsec_probe_error_info | grep -c "address=\"$1\"")" = 1 ] ||
		t_fail "$1: not one mailsec_probe_error_info"
	_d=$(grep "event=probe_failed .*address=$1 port=$6 " "$LOG" | sed 's/.* detail=//')
	printf '%s\n' "$_d" | grep -qE -e "$5" || t_fail "$1: detail $_d, want it to match /$5/"
	grep "event=probe_failed .*address=$1 port=$6 " "$LOG" | grep -q " cause=${_found%/*} " ||
		t_fail "$1: the probe_failed line does not say cause=${_found%/*}"
	echo "ok: $1 $2 $3 $_found detail $_d"
	_t=$(t_metric_value "$OUT" "mailsec_probe_endpoint_duration_seconds{$_l}") ||
		t_fail "$1: no total duration"
	awk -v d="$_t" -v t="$TIMEOUT_S" 'BEGIN { exit !(d <= t + 0.5) }' ||
		t_fail "$1: took ${_t}s, over the ${TIMEOUT_S}s timeout + 0.5s"
}
succeeds() {	# A
	set -- "$1" $(row "$1")
	_l=$(lbl "$1" "$2" "$3")
	t_assert_metric "$OUT" "mailsec_probe_success{$_l}" 1
	t_assert_absent "$OUT" "mailsec_probe_error_info{$_l,"
}

fails 127.0.10.101 banner proto none "reply code not in 200-559"
fails 127.0.10.102 banner proto none "line too long"
# 100 lines (the per-reply bound) arrive long before the timeout: proto.
fails 127.0.10.103 ehlo proto none "too many lines in one reply"
fails 127.0.10.104 banner timeout timeout "no answer in time in banner"
_l=$(lbl 127.0.10.104 25 smtp)
_t=$(t_metric_value "$OUT" "mailsec_probe_endpoint_duration_seconds{$_l}")
awk -v d="$_t" -v t="$TIMEOUT_S" 'BEGIN { exit !(d >= t - 0.1) }' ||
	t_fail "slowloris: ended after ${_t}s, before its ${TIMEOUT_S}s deadline?"
# The EHLO crosses the close: EOF or a reset, whichever the kernel sees first.
fails 127.0.10.105 ehlo conn "closed|reset" "connection closed by server|Connection reset by peer"
# The reset may come before the exporter sees its connect finish (a loaded
# machine, the ASan build): then it is the connect's.
fails 127.0.10.106 "banner|connect" conn reset "Connection reset by peer"
fails 127.0.10.107 tls_handshake proto none "server sent data before the TLS handshake"
fails 127.0.10.108 tls_handshake tls not_tls "wrong version number"
fails 127.0.10.109 tls_handshake tls alert_received/handshake_failure "alert handshake failure"
fails 127.0.10.110 tls_handshake tls reset "Connection reset by peer"
# the control: the same peer, correct, with a normal certificate
succeeds 127.0.10.111
t_assert_metric "$OUT" "mailsec_cert_verified{$(lbl 127.0.10.111 25 smtp)}" 1
# 50 certificates: read, counted, verified (OpenSSL's depth limit is 100)
succeeds 127.0.10.112
t_assert_metric "$OUT" "mailsec_cert_chain_length{$(lbl 127.0.10.112 25 smtp)}" 50
t_assert_metric "$OUT" "mailsec_cert_verified{$(lbl 127.0.10.112 25 smtp)}" 1
t_assert_metric "$OUT" "mailsec_cert_hostname_match{$(lbl 127.0.10.112 25 smtp)}" 0
t_assert_metric "$OUT" "mailsec_cert_chain_not_after_timestamp_seconds{$(lbl 127.0.10.112 25 smtp),depth=\"9\"}" \
	"$(t_cert_epoch "$C50/i41.crt" enddate)"
t_assert_absent "$OUT" "mailsec_cert_chain_not_after_timestamp_seconds{$(lbl 127.0.10.112 25 smtp),depth=\"10\"}"
# ~100 KB leaf: read; its facts exported
succeeds 127.0.10.113
t_assert_metric "$OUT" "mailsec_cert_verified{$(lbl 127.0.10.113 25 smtp)}" 1
t_assert_metric "$OUT" "mailsec_cert_chain_length{$(lbl 127.0.10.113 25 smtp)}" 2
t_assert_metric "$OUT" "mailsec_cert_not_after_timestamp_seconds{$(lbl 127.0.10.113 25 smtp)}" \
	"$(t_cert_epoch "$T_DIR/big100k/leaf.crt" enddate)"
# ~120 KB leaf: over OpenSSL's bound, the handshake is refused
fails 127.0.10.114 tls_handshake tls alert_sent/illegal_parameter "excessive message size"
fails 127.0.10.115 tls_handshake tls not_tls "wrong version number"
fails 127.0.10.116 banner proto none "nul byte in line"
fails 127.0.10.117 ehlo proto none "too many lines in one response"
fails 127.0.10.118 ehlo proto none "too many lines in one response"
fails 127.0.10.119 banner proto none "nul byte in line"
fails 127.0.10.120 ehlo proto none "too many lines in one response"
# the first unsolicited "+OK" is taken as the CAPA status, the rest as its
# body, which never ends
fails 127.0.10.121 ehlo proto none "too many lines in one response"
# the STARTTLS injection flaw, IMAP and POP3 flavours
fails 127.0.10.123 tls_handshake proto none "server sent data before the TLS handshake"
fails 127.0.10.124 tls_handshake proto none "server sent data before the TLS handshake"
# a real OpenSSL server's alert
fails 127.0.10.132 tls_handshake tls alert_received/handshake_failure "alert handshake failure"
# a timeout says its step; a handshake that fails says how
fails 127.0.10.125 ehlo timeout timeout "no answer in time in ehlo"
fails 127.0.10.126 starttls timeout timeout "no answer in time in starttls"
fails 127.0.10.127 tls_handshake timeout timeout "no answer in time in tls_handshake"
fails 127.0.10.128 tls_handshake tls closed "unexpected eof|closed by peer"
fails 127.0.10.129 tls_handshake tls alert_received/protocol_version "alert protocol version"
fails 127.0.10.130 tls_handshake tls alert_received/unrecognized_name "unrecognized name"

# A banner that tries to forge log keys (a '"', key=value pairs, a bare
# newline in the reply): its log line has exactly the exporter's keys, the
# detail holds the peer's words, escaped, and every line of the log is one
# of the exporter's.
fails 127.0.10.131 banner resp none 'no'
python3 - "$LOG" <<'PYEOF' || t_fail "logforge: the banner forged the log"
import re, sys
TOKEN = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "]*)( |$)')
lines = open(sys.argv[1], "rb").read().decode("ascii").split("\n")
for l in lines:
    if l and not l.startswith("ts="):
        sys.exit("a line that is not the exporter's: %r" % l)
mine = [l for l in lines if "event=probe_failed" in l and "address=127.0.10.131 " in l]
if len(mine) != 1:
    sys.exit("want one probe_failed line for 127.0.10.131, got %d" % len(mine))
l, keys, pos = mine[0], [], 0
while pos < len(l):
    m = TOKEN.match(l, pos)
    if not m:
        sys.exit("not key=value at %d: %r" % (pos, l[pos:]))
    keys.append((m.group(1), m.group(2)))
    pos = m.end()
want = ["ts", "level", "event", "target", "host", "address", "port",
        "protocol", "step", "reason", "cause", "detail"]
if [k for k, _ in keys] != want:
    sys.exit("keys %s, want %s: %r" % ([k for k, _ in keys], want, l))
detail = dict(keys)["detail"]
if 'no\\" fake=1' not in detail:
    sys.exit("the detail does not hold the banner, escaped: %s" % detail)
if 'caf\\xc3\\xa9' not in detail:
    sys.exit("non-ASCII in the banner is not escaped as \\xNN: %s" % detail)
print("ok: logforge: %s" % l)
PYEOF

succeeds 127.0.10.122
_s=$(t_metric_lines "$OUT" mailsec_cert_info | grep -a 'address="127.0.10.122"' | sed 's/.*subject="//; s/",issuer=.*//')
_full=$(openssl x509 -in "$T_DIR/longdn/leaf.crt" -noout -subject -nameopt RFC2253,-esc_msb | sed 's/^subject=//')
[ "${#_s}" -gt 100 ] || t_fail "longdn: subject label '$_s'"
case $_full in "$_s"*) ;; *) t_fail "longdn: subject label is not a prefix of the subject" ;; esac
iconv -f UTF-8 -t UTF-8 "$OUT" >/dev/null 2>&1 || t_fail "the exposition is not valid UTF-8"
echo "ok: longdn subject cut at $(printf '%s' "$_s" | wc -c) bytes, valid UTF-8"
promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
grep -q 'case=ehlo_forever .*event=bound_hit' "$T_DIR/peer.log" &&
	t_fail "ehlo_forever: the peer hit its own bound: the exporter kept reading"
t_log "round 1: all $NCASES cases as expected"

# --- round 2: the daemon, probing in a loop while it is scraped -------------
# with the TLS audit: more handshakes with the peers that complete one
write_config 4s on
"$T_BIN" --config "$CFG" >"$T_DIR/daemon.log" 2>&1 </dev/null &
EXP=$!
t_pid "$EXP"
t_wait_port 127.0.0.1 19961 10 || t_fail "the daemon does not listen"

# scraper: every 0.2 s, 2 s max each; a line per failure
: >"$T_DIR/scrape.fail"
(
	i=0
	while [ "$i" -lt 200 ] && [ ! -f "$T_DIR/scrape.stop" ]; do
		c=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 2 "$URL") || c="000 $c"
		case $c in 200\ *) echo "$c" >>"$T_DIR/scrape.ok" ;;
		*) echo "$(date +%T.%N) $c" >>"$T_DIR/scrape.fail" ;; esac
		sleep 0.2; i=$((i + 1))
	done
) &
SCRAPER=$!
t_pid "$SCRAPER"

# idle_fds: process_open_fds from scrapes during which nothing ran (no
# probe in flight or queued, every check has a result): the same count
# round after round, or fds leak.  The fewest of 5 such scrapes: the
# background scraper's own connection may be open during one of them, a
# leaked fd is open during all.
idle_fds() {
	_n=150 _got=0 _min=
	while [ "$_n" -gt 0 ]; do
		t_running "$EXP" || { tail -n 20 "$T_DIR/daemon.log" >&2; t_fail "the daemon died"; }
		if [ "$(t_http "$T_DIR/idle.prom" GET "$URL")" = 200 ] &&
		    [ "$(t_metric_value "$T_DIR/idle.prom" mailsec_exporter_probes_in_flight)" = 0 ] &&
		    [ "$(t_metric_value "$T_DIR/idle.prom" mailsec_exporter_probes_queued)" = 0 ] &&
		    [ "$(grep -c '^mailsec_probe_success{' "$T_DIR/idle.prom")" = "$NCASES" ]; then
			_f=$(t_metric_value "$T_DIR/idle.prom" process_open_fds)
			if [ -z "$_min" ] || [ "$_f" -lt "$_min" ]; then _min=$_f; fi
			_got=$((_got + 1))
			if [ "$_got" -ge 5 ]; then echo "$_min"; return 0; fi
		fi
		sleep 0.1; _n=$((_n - 1))
	done
	t_fail "idle fewer than 5 times in 15 s"
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$EXP/status"; }

fds1=$(idle_fds); rss1=$(rss_kb)
t_log "after round 1: fds $fds1, RSS ${rss1} kB"

# The JSON API says the same class, and its words come from it.
# json_failure A STEP REASON CAUSE ALERT TEXT ('null' for no alert)
json_failure() {
	_code=$(t_http "$T_DIR/ep.json" GET "http://$LISTEN/api/v1/status/$1%3A25")
	[ "$_code" = 200 ] || t_fail "$1: /api/v1/status answered $_code"
	python3 - "$T_DIR/ep.json" "$@" <<'PYEOF' || t_fail "$1: the JSON failure is not as expected"
import json, sys
doc = json.load(open(sys.argv[1]))
f = doc["endpoints"][0]["failure"]
alert = None if sys.argv[6] == "null" else sys.argv[6]
want = {"step": sys.argv[3], "reason": sys.argv[4], "cause": sys.argv[5],
        "tls_alert": alert, "text": sys.argv[7]}
got = {k: f.get(k) for k in want}
if got != want:
    sys.exit("%s: %s, want %s" % (sys.argv[2], got, want))
print("ok: %s JSON %s" % (sys.argv[2], got))
PYEOF
}
json_failure 127.0.10.109 tls_handshake tls alert_received handshake_failure \
	"the server ended the TLS handshake with the alert handshake_failure (no cipher, version or key exchange in common)"
json_failure 127.0.10.129 tls_handshake tls alert_received protocol_version \
	"the server ended the TLS handshake with the alert protocol_version (no TLS version in common)"
json_failure 127.0.10.128 tls_handshake tls closed null \
	"the server closed the connection in the TLS handshake"
json_failure 127.0.10.108 tls_handshake tls not_tls null \
	"the server answered the TLS handshake with something that is not TLS"
json_failure 127.0.10.126 starttls timeout timeout null "no answer in time at STARTTLS"
json_failure 127.0.10.110 tls_handshake tls reset null \
	"the server reset the connection in the TLS handshake"
json_failure 127.0.10.125 ehlo timeout timeout null "no answer in time at EHLO"
sleep 8	# two more rounds
fds2=$(idle_fds); rss2=$(rss_kb)
t_log "after round 3: fds $fds2, RSS ${rss2} kB"
touch "$T_DIR/scrape.stop"
wait "$SCRAPER" 2>/dev/null

rounds=$(grep -c 'event=probe_failed .*address=127.0.10.101 ' "$T_DIR/daemon.log")
[ "$rounds" -ge 3 ] || t_fail "only $rounds rounds ran in the daemon"
[ "$fds2" -le "$fds1" ] || t_fail "fds leak: $fds1 open after round 1, $fds2 after round $rounds"
nok=$(wc -l <"$T_DIR/scrape.ok")
[ -s "$T_DIR/scrape.fail" ] && t_fail "$(wc -l <"$T_DIR/scrape.fail") of $((nok + $(wc -l <"$T_DIR/scrape.fail"))) scrapes failed: $(head -n 3 "$T_DIR/scrape.fail")"
slow=$(awk '$2 > 1 { n++ } END { print n + 0 }' "$T_DIR/scrape.ok")
[ "$slow" -eq 0 ] || t_fail "$slow scrapes took over 1 s"
t_log "$nok scrapes, all answered within 1 s, over $rounds rounds"
if [ -z "$ASAN" ]; then
	[ "$rss2" -lt 65536 ] || t_fail "RSS ${rss2} kB, over 64 MiB"
	[ $((rss2 - rss1)) -lt 8192 ] || t_fail "RSS grew from ${rss1} to ${rss2} kB"
fi

t_stop_pid "$EXP" 2 || t_fail "the daemon needed SIGKILL"
wait "$EXP"; rc=$?
[ "$rc" -eq 0 ] || t_fail "daemon exit status $rc: $(tail -n 5 "$T_DIR/daemon.log")"
if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T_DIR/daemon.log" "$LOG"; then
	t_fail "sanitizer report (above)"
fi
echo "all cases passed"
