#!/bin/sh
# Daemon mode (case (h)): `mailsec_exporter --config FILE` in the background
# against a Postfix instance on 127.0.10.21 (STARTTLS on 25, smtps on 465):
# /-/ready, /metrics (content type, probe result), /-/healthy, 404, 405,
# SIGHUP reload with a new endpoint, SIGHUP with a broken config (old targets
# kept, last_reload_successful 0), SIGTERM -> exit 0 within 5 s.
. "$(dirname "$0")/../lib/common.sh"
t_setup daemon

A=127.0.10.21
LISTEN=127.0.0.1:19925
URL=http://$LISTEN
CA=$T_DIR/ca
CFG=$T_DIR/exporter.ini
M=$T_DIR/metrics.prom

labels() { echo "domain=\"\",host=\"$1\",address=\"$1\",port=\"$2\",protocol=\"$3\""; }
L25=$(labels "$A" 25 smtp)
L465=$(labels "$A" 465 smtps)

# --- server ------------------------------------------------------------------
t_ca "$CA"
t_cert "$CA" good "$A" "IP:$A,DNS:mail21.test" 1 365
t_addr "$A"
t_postfix_start pf "$A" mail21.test +smtps "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/good.chain.pem" "smtpd_tls_key_file = $CA/good.key"
t_sclient "$T_DIR/sclient25" "$A" 25 smtp mail21.test -CAfile "$CA/ca.crt" -verify_ip "$A"
grep -q 'Verify return code: 0 (ok)' "$T_DIR/sclient25" ||
	t_fail "server side: STARTTLS on $A:25 does not verify: $(grep -E 'Verify return|errno|error' "$T_DIR/sclient25")"
t_sclient "$T_DIR/sclient465" "$A" 465 tls mail21.test -CAfile "$CA/ca.crt" -verify_ip "$A"
grep -q 'Verify return code: 0 (ok)' "$T_DIR/sclient465" ||
	t_fail "server side: TLS on $A:465 does not verify: $(grep -E 'Verify return|errno|error' "$T_DIR/sclient465")"
t_log "server side OK: $A:25 STARTTLS and $A:465 TLS verify"

[ -x "$T_BIN" ] || t_fail "$T_BIN is not built (make): the server side is OK, the exporter part did not run"
if _l=$(t_listening 127.0.0.1 19925); then t_fail "port $LISTEN is taken: $_l"; fi

config() {	# with_465 -> $CFG
	{
		cat <<EOF
[exporter]
listen = $LISTEN
timeout = 5s
ca_file = $CA/ca.crt
log_level = debug

[endpoint $A:25]
protocol = smtp
EOF
		[ "$1" = 0 ] || printf '\n[endpoint %s:465]\nprotocol = smtps\n' "$A"
	} >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"
}

# scrape: GET /metrics into $M; fails the test unless the answer is 200.
scrape() {
	code=$(t_http "$M" GET "$URL/metrics")
	[ "$code" = 200 ] || t_fail "GET /metrics answered $code, want 200"
}

# poll SECS 'sample' [value]: scrape until the sample is there (with that
# value, if given); false after SECS seconds.
poll() {
	_n=$(( $1 * 2 ))
	while [ "$_n" -gt 0 ]; do
		t_running "$EXP" || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter died (log above)"; }
		if [ "$(t_http "$M" GET "$URL/metrics")" = 200 ] && v=$(t_metric_value "$M" "$2"); then
			[ $# -lt 3 ] || t_num_eq "$v" "$3" && return 0
		fi
		sleep 0.5; _n=$((_n - 1))
	done
	return 1
}

# --- start ---------------------------------------------------------------------
config 0
"$T_BIN" --config "$CFG" >"$T_DIR/exporter.log" 2>&1 </dev/null &
EXP=$!
t_pid "$EXP"
t_log "exporter started, pid $EXP"

n=40
until [ "$(t_http "$T_DIR/ready" GET "$URL/-/ready")" = 200 ]; do
	t_running "$EXP" || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter exited before /-/ready (log above)"; }
	n=$((n - 1))
	[ "$n" -gt 0 ] || t_fail "GET $URL/-/ready is not 200 after 20 s (last: $(t_http "$T_DIR/ready" GET "$URL/-/ready"))"
	sleep 0.5
done
t_log "/-/ready is 200"

# The first probe round may still be running right after ready: allow 10 s.
poll 10 "mailsec_probe_success{$L25}" ||
	t_fail "no mailsec_probe_success{$L25} in /metrics 10 s after ready: $(grep -c . "$M") lines"
t_assert_metric "$M" "mailsec_probe_success{$L25}" 1
t_assert_metric "$M" "mailsec_tls_version_info{$L25,version=\"TLSv1.3\"}" 1
t_assert_metric "$M" "mailsec_exporter_config_last_reload_successful" 1
t_assert_absent "$M" "mailsec_probe_success{$L465}"
ct=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$M.headers" | tr -d '\r')
case $ct in
"text/plain; version=0.0.4"*) echo "ok: Content-Type: $ct" ;;
*) t_fail "GET /metrics Content-Type is '$ct', want 'text/plain; version=0.0.4...'" ;;
esac

# gzip when asked (Prometheus asks on every scrape): chunked, Vary, and the
# same exposition once inflated; plain without Accept-Encoding.
curl -s -D "$T_DIR/gz.headers" -H 'Accept-Encoding: gzip' -o "$T_DIR/metrics.gz" "$URL/metrics" ||
	t_fail "GET /metrics with Accept-Encoding: gzip failed"
grep -qi '^Content-Encoding: gzip' "$T_DIR/gz.headers" || t_fail "no Content-Encoding: gzip: $(cat "$T_DIR/gz.headers")"
grep -qi '^Vary: Accept-Encoding' "$T_DIR/gz.headers" || t_fail "no Vary: Accept-Encoding"
gzip -t "$T_DIR/metrics.gz" || t_fail "the gzip body does not verify (gzip -t)"
gzip -dc "$T_DIR/metrics.gz" >"$T_DIR/metrics.unz"
promtool check metrics <"$T_DIR/metrics.unz" >"$T_DIR/gz.promtool" 2>&1 ||
	t_fail "promtool check metrics on the inflated body: $(cat "$T_DIR/gz.promtool")"
t_assert_metric "$T_DIR/metrics.unz" "mailsec_probe_success{$L25}" 1
curl -s -D "$T_DIR/plain.headers" -o "$T_DIR/metrics.plain" "$URL/metrics"
grep -qi '^Content-Encoding' "$T_DIR/plain.headers" && t_fail "Content-Encoding without Accept-Encoding"
[ "$(grep -c '^# TYPE' "$T_DIR/metrics.unz")" = "$(grep -c '^# TYPE' "$T_DIR/metrics.plain")" ] ||
	t_fail "the gzip and plain answers have different families"
curl -s -D "$T_DIR/gz0.headers" -H 'Accept-Encoding: gzip;q=0' -o /dev/null "$URL/metrics"
grep -qi '^Content-Encoding' "$T_DIR/gz0.headers" && t_fail "gzip with gzip;q=0"
echo "ok: /metrics gzip ($(wc -c <"$T_DIR/metrics.gz") bytes for $(wc -c <"$T_DIR/metrics.unz")), plain without it or with q=0"
# Scrapes of the same results share one compression (web/metrics_gzip.c): 4 at once,
# one of them slow to read (--limit-rate), each a whole, valid exposition.
pids=
for i in 1 2 3 4; do
	if [ $i = 1 ]; then set -- --limit-rate 20k; else set --; fi
	curl -s "$@" -H 'Accept-Encoding: gzip' -o "$T_DIR/par$i.gz" "$URL/metrics" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || t_fail "a concurrent gzip scrape failed"; done
for i in 1 2 3 4; do
	gzip -dc "$T_DIR/par$i.gz" >"$T_DIR/par$i.unz" || t_fail "concurrent gzip scrape $i does not inflate"
	promtool check metrics <"$T_DIR/par$i.unz" >/dev/null 2>&1 || t_fail "concurrent gzip scrape $i: promtool"
	t_assert_metric "$T_DIR/par$i.unz" "mailsec_probe_success{$L25}" 1
done
echo "ok: 4 concurrent gzip scrapes (one slow reader), each a valid exposition"

for c in "GET /-/healthy 200" "GET /-/ready 200" "GET /no/such/path 404" "POST /metrics 405"; do
	set -- $c
	code=$(t_http "$T_DIR/http.out" "$1" "$URL$2")
	[ "$code" = "$3" ] || t_fail "$1 $2 answered $code, want $3"
	echo "ok: $1 $2 -> $code"
done

# HEAD with gzip: the headers of a GET, no body.
curl -s -I -H 'Accept-Encoding: gzip' -o "$T_DIR/head.headers" "$URL/metrics" || t_fail "HEAD /metrics failed"
grep -q '^HTTP/1.1 200' "$T_DIR/head.headers" || t_fail "HEAD /metrics: $(head -n 1 "$T_DIR/head.headers")"
grep -qi '^Content-Encoding: gzip' "$T_DIR/head.headers" || t_fail "HEAD /metrics with gzip: no Content-Encoding"
echo "ok: HEAD /metrics with Accept-Encoding: gzip"

# scrape_loop K GZIP: scrapes /metrics (gzip when GZIP is 1) until
# $T_DIR/scrapers.stop exists, each answer whole and a valid exposition;
# prints how many.
scrape_loop() {
	_i=0
	while [ ! -e "$T_DIR/scrapers.stop" ] && [ "$_i" -lt 500 ]; do
		_o=$T_DIR/loop$1
		if [ "$2" = 1 ]; then
			curl -sf -H 'Accept-Encoding: gzip' -o "$_o.gz" "$URL/metrics" || { echo "scraper $1: scrape $_i failed"; return 1; }
			gzip -dc "$_o.gz" >"$_o" || { echo "scraper $1: scrape $_i does not inflate"; return 1; }
		else
			curl -sf -o "$_o" "$URL/metrics" || { echo "scraper $1: scrape $_i failed"; return 1; }
		fi
		tail -n 1 "$_o" | grep -q '^process_start_time_seconds ' || { echo "scraper $1: scrape $_i cut short"; return 1; }
		promtool check metrics <"$_o" >/dev/null 2>&1 || { echo "scraper $1: scrape $_i: promtool"; return 1; }
		_i=$((_i + 1))
	done
	echo "$_i"
}

# --- SIGHUP: add an endpoint, scraped all along -------------------------------
# Two plain and two gzip scrapers run while the new endpoint's result is
# published (web/metrics_gzip.c shares one compression until a result
# changes): every answer whole and valid, and a gzip scrape made right
# after a plain one shows the new result shows it too.
rm -f "$T_DIR/scrapers.stop"
spids=
for k in 1 2 3 4; do
	scrape_loop "$k" $((k % 2)) >"$T_DIR/scraper$k.out" &
	spids="$spids $!"
done
config 1
kill -HUP "$EXP" || t_fail "kill -HUP $EXP failed"
poll 10 "mailsec_probe_success{$L465}" ||
	t_fail "after SIGHUP with a new [endpoint $A:465], no mailsec_probe_success{$L465} within 10 s"
poll 10 "mailsec_probe_success{$L465}" 1 ||
	t_fail "mailsec_probe_success{$L465} did not become 1 within 10 s: $(t_metric_value "$M" "mailsec_probe_success{$L465}")"
curl -s -H 'Accept-Encoding: gzip' -o "$T_DIR/after.gz" "$URL/metrics" || t_fail "gzip scrape after the publish failed"
gzip -dc "$T_DIR/after.gz" >"$T_DIR/after.unz" || t_fail "gzip scrape after the publish does not inflate"
t_assert_metric "$T_DIR/after.unz" "mailsec_probe_success{$L465}" 1
sleep 1
touch "$T_DIR/scrapers.stop"
k=0
for p in $spids; do
	k=$((k + 1))
	wait "$p" || t_fail "$(cat "$T_DIR/scraper$k.out")"
	[ "$(cat "$T_DIR/scraper$k.out")" -gt 0 ] || t_fail "scraper $k made no scrape"
done
echo "ok: 2 plain + 2 gzip scrapers during a publish ($(cat "$T_DIR"/scraper?.out | tr '\n' ' ')scrapes), all valid; gzip fresh right after the publish"
t_assert_metric "$M" "mailsec_probe_success{$L465}" 1
t_assert_metric "$M" "mailsec_probe_success{$L25}" 1
t_assert_metric "$M" "mailsec_exporter_config_last_reload_successful" 1

# --- SIGHUP: broken config -----------------------------------------------------
printf '[exporter]\nlisten = %s\ntimeout = banana\n\n[endpoint %s:25]\nprotocol = gopher\n' \
	"$LISTEN" "$A" >"$CFG"
kill -HUP "$EXP" || t_fail "kill -HUP $EXP failed"
poll 10 "mailsec_exporter_config_last_reload_successful" 0 ||
	t_fail "mailsec_exporter_config_last_reload_successful is not 0 within 10 s of SIGHUP with a broken config: $(t_metric_value "$M" mailsec_exporter_config_last_reload_successful)"
t_assert_metric "$M" "mailsec_exporter_config_last_reload_successful" 0
t_assert_metric "$M" "mailsec_probe_success{$L25}" 1
t_assert_metric "$M" "mailsec_probe_success{$L465}" 1
code=$(t_http "$T_DIR/ready" GET "$URL/-/ready")
[ "$code" = 200 ] || t_fail "/-/ready answered $code after a failed reload, want 200 (old config still serving)"

# --- SIGTERM -----------------------------------------------------------------
kill -TERM "$EXP" || t_fail "kill -TERM $EXP failed"
t_wait_exit "$EXP" 5 || t_fail "the exporter did not exit within 5 s of SIGTERM"
wait "$EXP"
rc=$?
[ "$rc" -eq 0 ] || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter exited with status $rc after SIGTERM, want 0"; }
echo "ok: SIGTERM -> exit 0"
echo "all cases passed"
