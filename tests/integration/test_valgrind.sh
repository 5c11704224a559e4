#!/bin/sh
# The gcc build under valgrind (memcheck, --track-fds=yes) through one
# realistic run: a real Postfix with STARTTLS (127.0.10.190), a real NSD
# (127.0.10.191) serving a domain whose MX is that Postfix, with SPF, DMARC
# and DKIM records; first --once, then the daemon with /metrics scrapes, a
# SIGHUP reload that changes the targets, more scrapes and SIGTERM.  Any
# memcheck error or definitely/indirectly lost block fails (still-reachable
# memory of OpenSSL and c-ares is fine), and so does an fd other than
# stdin/stdout/stderr left open at exit.  Skipped under the ASan build
# (tests/run.sh does not run it there): valgrind needs the plain binary.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup valgrind

MX=127.0.10.190 NS=127.0.10.191
LISTEN=127.0.0.1:19962
URL=http://$LISTEN
CA=$T_DIR/ca
CFG=$T_DIR/exporter.ini
BIN=$T_BIN
case $BIN in */san/*) BIN=$T_ROOT/mailsec_exporter ;; esac

command -v valgrind >/dev/null || t_fail "valgrind is not installed (Debian: valgrind)"
[ -x "$BIN" ] || t_fail "$BIN is not built"
VG="valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=yes
	--num-callers=30"

# --- servers -----------------------------------------------------------------
t_ca "$CA" ec256
t_cert "$CA" mx mx.vg.test "DNS:mx.vg.test" 1 90 ec256
t_addr "$MX"
t_addr "$NS"
t_postfix_start pf "$MX" mx.vg.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/mx.chain.pem" "smtpd_tls_key_file = $CA/mx.key"
openssl genrsa -out "$T_DIR/dkim.pem" 2048 2>/dev/null || t_fail "genrsa"
P=$(openssl rsa -in "$T_DIR/dkim.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
t_zone dns vg.test <<EOF
ns		IN A $NS
@		IN MX 10 mx.vg.test.
mx		IN A $MX
@		IN TXT "v=spf1 mx include:_spf.vg.test -all"
_spf		IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"
_dmarc		IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@vg.test"
sel._domainkey	IN TXT "v=DKIM1; k=rsa; " "$(printf '%s' "p=$P" | cut -c1-200)" "$(printf '%s' "p=$P" | cut -c201-)"
EOF
t_nsd_start dns "$NS" vg.test

write_config() {	# with the extra endpoint: 1/0
	{
		cat <<EOF
[exporter]
listen = $LISTEN
interval = 5s
timeout = 10s
resolver = $NS
ca_file = $CA/ca.crt
log_level = info

[domain vg.test]
dkim_selectors = sel, missing
spf_expect_pass = 192.0.2.7, $MX
EOF
		[ "$1" = 0 ] || printf '\n[endpoint %s:25]\nprotocol = smtp\naudit = off\n' "$MX"
	} >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
}

# vg_check LOG: no memcheck error, no definite/indirect leak, no fd left
vg_check() {
	grep -q 'ERROR SUMMARY: 0 errors' "$1" || { cat "$1" >&2; t_fail "valgrind errors (log above)"; }
	if grep -q 'LEAK SUMMARY' "$1"; then
		grep -Eq 'definitely lost: 0 bytes' "$1" && grep -Eq 'indirectly lost: 0 bytes' "$1" ||
			{ cat "$1" >&2; t_fail "definite or indirect leaks (log above)"; }
	fi
	_fd=$(grep -m1 'FILE DESCRIPTORS:' "$1") || t_fail "no FILE DESCRIPTORS line in $1"
	# Every fd open at exit is listed as "Open file descriptor N: ..." or
	# "Open AF_INET socket N: ...", followed by "<inherited from parent>"
	# (the test's own, and valgrind's log) or by where it was opened: those
	# are the leaks.
	_leaks=$(awk '
		function flush() { if (blk != "" && !inh) { printf "%s", blk; n++ } blk = ""; inh = 0 }
		/== Open .*(descriptor|socket) [0-9]+:/ { flush(); blk = $0 "\n"; next }
		/<inherited from parent>/ { inh = 1 }
		/== HEAP SUMMARY|== *$/ { if (blk != "" && inh) blk = ""; }
		blk != "" { blk = blk $0 "\n" }
		END { flush() }' "$1")
	[ -z "$_leaks" ] || { printf '%s\n' "$_leaks" >&2; t_fail "fds left open at exit (above)"; }
	echo "ok: $1: $(grep -m1 'ERROR SUMMARY' "$1" | sed 's/^==[0-9]*== //'); $(echo "$_fd" | sed 's/^==[0-9]*== //')"
}

# --- --once --------------------------------------------------------------------
write_config 1
t_log "--once under valgrind"
# shellcheck disable=SC2086
timeout 120 $VG --log-file="$T_DIR/vg.once.log" "$BIN" --config "$CFG" --once \
	>"$T_DIR/once.prom" 2>"$T_DIR/once.stderr" </dev/null
rc=$?
[ "$rc" -eq 0 ] || { tail -n 40 "$T_DIR/vg.once.log" >&2; t_fail "--once under valgrind: exit $rc"; }
vg_check "$T_DIR/vg.once.log"
lmx="domain=\"vg.test\",host=\"mx.vg.test\",address=\"$MX\",port=\"25\",protocol=\"smtp\""
t_assert_metric "$T_DIR/once.prom" "mailsec_probe_success{$lmx}" 1
t_assert_metric "$T_DIR/once.prom" "mailsec_cert_verified{$lmx}" 1
t_assert_metric "$T_DIR/once.prom" 'mailsec_spf_valid{domain="vg.test"}' 1
t_assert_metric "$T_DIR/once.prom" "mailsec_spf_check_host_result_info{domain=\"vg.test\",address=\"$MX\",source=\"config\",result=\"pass\"}" 1
t_assert_metric "$T_DIR/once.prom" 'mailsec_dmarc_valid{domain="vg.test"}' 1
t_assert_metric "$T_DIR/once.prom" 'mailsec_dkim_valid{domain="vg.test",selector="sel"}' 1
t_assert_metric "$T_DIR/once.prom" "mailsec_probe_success{domain=\"\",host=\"$MX\",address=\"$MX\",port=\"25\",protocol=\"smtp\"}" 1

# --- the daemon ----------------------------------------------------------------
t_log "daemon under valgrind"
# shellcheck disable=SC2086
$VG --log-file="$T_DIR/vg.daemon.log" "$BIN" --config "$CFG" \
	>"$T_DIR/daemon.log" 2>&1 </dev/null &
EXP=$!
t_pid "$EXP"
n=120
until [ "$(t_http "$T_DIR/ready" GET "$URL/-/ready")" = 200 ]; do
	t_running "$EXP" || { tail -n 30 "$T_DIR/vg.daemon.log" >&2; t_fail "the daemon died before /-/ready"; }
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "/-/ready not 200 after 60 s"
	sleep 0.5
done
scrape() {	# N: the Nth scrape, kept as scrape.N.prom
	[ "$(t_http "$T_DIR/scrape.$1.prom" GET "$URL/metrics")" = 200 ] || t_fail "scrape $1 failed"
}
# gzscrape N: the same with gzip (web/metrics_gzip.c), kept inflated.
gzscrape() {
	curl -s -H 'Accept-Encoding: gzip' -o "$T_DIR/scrape.$1.gz" "$URL/metrics" || t_fail "gzip scrape $1 failed"
	gzip -dc "$T_DIR/scrape.$1.gz" >"$T_DIR/scrape.$1.prom" || t_fail "gzip scrape $1 does not inflate"
}
scrape 1
t_assert_metric "$T_DIR/scrape.1.prom" "mailsec_probe_success{$lmx}" 1
gzscrape 1g
gzscrape 1h		# the same compression again
t_assert_metric "$T_DIR/scrape.1h.prom" "mailsec_probe_success{$lmx}" 1
sleep 6		# a second round (interval 5s), with the audit of the MX
scrape 2
gzscrape 2g
# A slow gzip scrape still reading when the reload replaces the results.
curl -s --limit-rate 1k -H 'Accept-Encoding: gzip' -o "$T_DIR/slow.gz" "$URL/metrics" &
SLOW=$!
[ "$(t_http "$T_DIR/status.html" GET "$URL/")" = 200 ] || t_fail "GET / failed"

# SIGHUP: the extra endpoint goes away
write_config 0
kill -HUP "$EXP"
n=60
until grep -q 'event=reload_done' "$T_DIR/daemon.log"; do
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "no reload_done 30 s after SIGHUP"
	sleep 0.5
done
sleep 1
scrape 3
gzscrape 3g
t_assert_absent "$T_DIR/scrape.3g.prom" "mailsec_probe_success{domain=\"\","
wait "$SLOW" || t_fail "the slow gzip scrape failed"
gzip -t "$T_DIR/slow.gz" || t_fail "the slow gzip scrape does not inflate"
t_assert_absent "$T_DIR/scrape.3.prom" "mailsec_probe_success{domain=\"\","
t_assert_metric "$T_DIR/scrape.3.prom" "mailsec_probe_success{$lmx}" 1
t_assert_metric "$T_DIR/scrape.3.prom" mailsec_exporter_config_last_reload_successful 1
sleep 5		# a round after the reload
scrape 4

t_log "SIGTERM"
kill -TERM "$EXP"
t_wait_exit "$EXP" 60 || t_fail "the daemon under valgrind did not exit within 60 s of SIGTERM"
wait "$EXP"; rc=$?
[ "$rc" -eq 0 ] || { tail -n 60 "$T_DIR/vg.daemon.log" >&2; t_fail "daemon under valgrind: exit $rc"; }
vg_check "$T_DIR/vg.daemon.log"
echo "all cases passed"
