#!/bin/sh
# /probe end to end, and a listener safe to expose.
#   Postfix (STARTTLS, cert from the test CA)  127.0.10.80:25
#   nothing listens                              127.0.10.81:25
#   a server that accepts and never speaks       127.0.10.82:25
#   exporter A (plain HTTP, no auth)             127.0.0.1:19980
#   exporter B (HTTPS, basic auth)               127.0.0.1:19981
#   Prometheus scraping /probe through A         127.0.0.1:19090
# Cases: success with the exact certificate expiry; connection refused;
# 403 outside probe_allow and for loopback not explicitly allowed; 400 for
# an unknown module, a missing or bad target, a bad timeout header; the
# timeout header minus the offset; 20 probes at once while the schedule
# goes on; a client that goes away (the check is cancelled); an oversized
# request header; HTTPS with the CA, TLS 1.1 refused; 401 without or with
# wrong credentials, 200 with the right ones (hash from --hash-password);
# 503 past probe_max_concurrent; Prometheus with the relabelling of
# deploy/prometheus/prometheus-probe.yml.
. "$(dirname "$0")/../lib/common.sh"
t_setup probe

A=127.0.10.80 DEAD=127.0.10.81 HOLE=127.0.10.82
URL=http://127.0.0.1:19980
SURL=https://127.0.0.1:19981
PROM=127.0.0.1:19090
CA=$T_DIR/ca
OUT=$T_DIR/out

for p in 19980 19981 19090; do
	if _l=$(t_listening 127.0.0.1 $p); then t_fail "port 127.0.0.1:$p is taken: $_l"; fi
done
for h in $DEAD $HOLE; do
	if _l=$(t_listening $h 25); then t_fail "$h:25 must be free: $_l"; fi
done

# --- servers -------------------------------------------------------------------
t_ca "$CA"
t_cert "$CA" mail "$A" "IP:$A,DNS:mail80.test" 1 200
t_cert "$CA" web localhost "IP:127.0.0.1,DNS:localhost" 1 30
t_addr "$A"
t_addr "$DEAD"
t_addr "$HOLE"
t_postfix_start pf "$A" mail80.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/mail.chain.pem" "smtpd_tls_key_file = $CA/mail.key"

# Accepts connections and holds them, silent, for 120 s at most.
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 25))
s.listen(64)
s.settimeout(1)
held, end = [], time.time() + 120
while time.time() < end:
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
' "$HOLE" >"$T_DIR/hole.log" 2>&1 </dev/null &
t_pid $!
t_wait_port "$HOLE" 25 10 || t_fail "the silent server on $HOLE:25 did not start"

[ -x "$T_BIN" ] || t_fail "$T_BIN is not built (make)"

# --- exporter A ------------------------------------------------------------------
cat >"$T_DIR/a.ini" <<EOF
[exporter]
listen = 127.0.0.1:19980
timeout = 5s
ca_file = $CA/ca.crt
log_level = info
audit = off
probe_allow = $A/32, $DEAD/32
probe_allow = $HOLE/32

; scheduled probing goes on beside /probe
[endpoint $A:25]
interval = 2s

[module smtp_starttls]
kind = endpoint
protocol = smtp

[module slow]
kind = endpoint
protocol = smtp
timeout = 30s
EOF
"$T_BIN" --config "$T_DIR/a.ini" --check-config >"$T_DIR/a.check" 2>&1 ||
	t_fail "a.ini: $(cat "$T_DIR/a.check")"
"$T_BIN" --config "$T_DIR/a.ini" >"$T_DIR/a.log" 2>&1 </dev/null &
EXP=$!
t_pid "$EXP"
n=40
until [ "$(t_http "$T_DIR/ready" GET "$URL/-/ready")" = 200 ]; do
	t_running "$EXP" || { tail -n 20 "$T_DIR/a.log" >&2; t_fail "exporter A exited (log above)"; }
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "exporter A not ready after 20 s"
	sleep 0.5
done
t_log "exporter A ready"

L80="domain=\"\",host=\"$A\",address=\"$A\",port=\"25\",protocol=\"smtp\""
L81="domain=\"\",host=\"$DEAD\",address=\"$DEAD\",port=\"25\",protocol=\"smtp\""

# probe TARGET MODULE [curl args...] -> status on stdout, body in $OUT
probe() {
	_t=$1 _m=$2
	shift 2
	curl -s -o "$OUT" -D "$OUT.headers" -w '%{http_code}' --max-time 20 "$@" \
		"$URL/probe?target=$_t&module=$_m" 2>/dev/null || :
}
expect() {	# what, got, want
	[ "$2" = "$3" ] || t_fail "$1: HTTP $2, want $3 ($(head -c 300 "$OUT" 2>/dev/null))"
	echo "ok: $1 -> $2"
}

code=$(probe "$A:25" smtp_starttls)
expect "/probe $A:25" "$code" 200
t_assert_metric "$OUT" "mailsec_probe_success{$L80}" 1
t_assert_metric "$OUT" "mailsec_check_success{target=\"$A:25\",kind=\"endpoint\"}" 1
t_assert_metric "$OUT" "mailsec_starttls_offered{$L80}" 1
t_assert_metric "$OUT" "mailsec_cert_verified{$L80}" 1
t_assert_metric "$OUT" "mailsec_cert_not_after_timestamp_seconds{$L80}" \
	"$(t_cert_epoch "$CA/mail.crt" enddate)"
t_assert_metric "$OUT" "mailsec_probe_timeout_seconds" 5
t_assert_absent "$OUT" "mailsec_exporter_build_info"
# The whole check unlabelled, as blackbox's probe_success and
# probe_duration_seconds.
t_assert_metric "$OUT" "mailsec_probe_success" 1
d=$(t_metric_value "$OUT" "mailsec_probe_duration_seconds") ||
	t_fail "no unlabelled mailsec_probe_duration_seconds"
awk -v d="$d" 'BEGIN { exit !(d > 0 && d < 5) }' || t_fail "unlabelled probe duration $d, want 0 < d < 5"
echo "ok: unlabelled mailsec_probe_duration_seconds $d"
t_assert_absent "$OUT" "mailsec_probe_duration_seconds{$L80,phase=\"resolve\"}"
t_assert_absent "$OUT" "mailsec_probe_duration_seconds{$L80,phase=\"total\"}"
t_metric_value "$OUT" "mailsec_probe_endpoint_duration_seconds{$L80}" >/dev/null ||
	t_fail "no mailsec_probe_endpoint_duration_seconds{$L80}"
promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
ct=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$OUT.headers" | tr -d '\r')
case $ct in "text/plain; version=0.0.4"*) ;; *) t_fail "/probe Content-Type '$ct'" ;; esac

code=$(probe "$DEAD:25" smtp_starttls)
expect "/probe $DEAD:25 (nothing listens)" "$code" 200
t_assert_metric "$OUT" "mailsec_probe_success{$L81}" 0
t_assert_metric "$OUT" "mailsec_probe_error_info{$L81,step=\"connect\",reason=\"conn\",cause=\"refused\"}" 1
t_assert_metric "$OUT" "mailsec_check_success{target=\"$DEAD:25\",kind=\"endpoint\"}" 0
t_assert_metric "$OUT" "mailsec_probe_success" 0

# debug=true: the probe's log lines (debug level too, though A logs at info)
# and the metrics it would have returned, as text.
code=$(probe "$DEAD:25" smtp_starttls --get --data debug=true)
expect "/probe $DEAD:25 debug=true" "$code" 200
ct=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$OUT.headers" | tr -d '\r')
case $ct in "text/plain; charset=utf-8") ;; *) t_fail "debug Content-Type '$ct'" ;; esac
head -n 1 "$OUT" | grep -qx 'Logs for the probe:' || t_fail "debug answer starts with $(head -n 1 "$OUT")"
grep -q "event=probe_start target=$DEAD " "$OUT" || t_fail "debug: no probe_start line"
grep -q "event=session_state target=$DEAD .*to=" "$OUT" || t_fail "debug: no session_state (debug) line"
grep -q "event=probe_failed target=$DEAD .*reason=conn" "$OUT" || t_fail "debug: no probe_failed line"
grep -q "event=probe_done target=$DEAD:25 " "$OUT" || t_fail "debug: no probe_done line"
grep -q "target=$A" "$OUT" && t_fail "debug: lines of another target: $(grep "target=$A" "$OUT" | head -n 2)"
grep -qx 'Metrics that would have been returned:' "$OUT" || t_fail "debug: no metrics part"
sed '1,/^Metrics that would have been returned:$/d' "$OUT" >"$OUT.metrics"
t_assert_metric "$OUT.metrics" "mailsec_probe_error_info{$L81,step=\"connect\",reason=\"conn\",cause=\"refused\"}" 1
promtool check metrics <"$OUT.metrics" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics (debug): $(cat "$T_DIR/promtool.out")"
echo "ok: debug=true has the probe's log and its metrics"
code=$(probe "$DEAD:25" smtp_starttls --get --data debug=yes)
expect "/probe debug=yes" "$code" 400

# A target without a port gets the protocol's.
code=$(probe "$A" smtp_starttls)
expect "/probe $A (default port)" "$code" 200
t_assert_metric "$OUT" "mailsec_probe_success{$L80}" 1

code=$(probe 127.0.0.1:25 smtp_starttls)
expect "/probe 127.0.0.1:25 (loopback, not allowed)" "$code" 403
grep -q "loopback" "$OUT" || t_fail "403 body does not say why: $(cat "$OUT")"
code=$(probe 198.51.100.1:25 smtp_starttls)
expect "/probe 198.51.100.1:25 (not in probe_allow)" "$code" 403
code=$(probe "$A:25" nosuchmodule)
expect "/probe unknown module" "$code" 400
grep -q 'unknown module "nosuchmodule"' "$OUT" || t_fail "400 body: $(cat "$OUT")"
code=$(curl -s -o "$OUT" -w '%{http_code}' "$URL/probe?module=smtp_starttls")
expect "/probe without target" "$code" 400
code=$(curl -s -o "$OUT" -w '%{http_code}' "$URL/probe?target=$A:25")
expect "/probe without module" "$code" 400
for t in 'a%00b' 'a..b' '%5B::1' "$A:0" "$A:65536" 'a%20b' "$A:25&target=$A:25"; do
	code=$(probe "$t" smtp_starttls)
	expect "/probe target=$t" "$code" 400
done
[ "$(wc -l <"$OUT")" -eq 1 ] || t_fail "a 400 body is not one line: $(cat "$OUT")"

code=$(probe "$A:25" smtp_starttls -H 'X-Prometheus-Scrape-Timeout-Seconds: 1.5')
expect "/probe with a 1.5 s scrape timeout" "$code" 200
t_assert_metric "$OUT" "mailsec_probe_timeout_seconds" 1
t_assert_metric "$OUT" "mailsec_probe_success{$L80}" 1
code=$(probe "$A:25" smtp_starttls -H 'X-Prometheus-Scrape-Timeout-Seconds: 1e9')
expect "/probe with timeout 1e9" "$code" 400
code=$(probe "$A:25" smtp_starttls -H 'X-Prometheus-Scrape-Timeout-Seconds: 3600')
expect "/probe with a 1 h scrape timeout" "$code" 200
t_assert_metric "$OUT" "mailsec_probe_timeout_seconds" 5	# capped

# A silent server: the probe's own deadline ends it.
code=$(probe "$HOLE:25" slow -H 'X-Prometheus-Scrape-Timeout-Seconds: 1.5')
expect "/probe silent server" "$code" 200
t_assert_metric "$OUT" "mailsec_probe_timeout_seconds" 1
grep -q "^mailsec_probe_error_info{.*reason=\"timeout\",cause=\"timeout\"} 1" "$OUT" ||
	t_fail "silent server: no reason=\"timeout\": $(grep -v '^#' "$OUT")"

# --- 20 at once, while the schedule goes on -----------------------------------------
M=$T_DIR/metrics.prom
t_http "$M" GET "$URL/metrics" >/dev/null
before=$(t_metric_value "$M" "mailsec_probe_last_run_timestamp_seconds{$L80}") ||
	t_fail "no scheduled result for $A:25 in /metrics"
i=0 pids=
while [ $i -lt 20 ]; do
	curl -s -o "$T_DIR/par.$i" -w '%{http_code}' --max-time 20 \
		"$URL/probe?target=$A:25&module=smtp_starttls" >"$T_DIR/par.$i.code" 2>/dev/null &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p"; done
i=0
while [ $i -lt 20 ]; do
	[ "$(cat "$T_DIR/par.$i.code")" = 200 ] || t_fail "parallel probe $i: HTTP $(cat "$T_DIR/par.$i.code")"
	t_assert_metric "$T_DIR/par.$i" "mailsec_probe_success{$L80}" 1 >/dev/null
	i=$((i + 1))
done
echo "ok: 20 parallel /probe requests, all 200 with success 1"
n=20
while :; do
	t_http "$M" GET "$URL/metrics" >/dev/null
	after=$(t_metric_value "$M" "mailsec_probe_last_run_timestamp_seconds{$L80}")
	awk -v a="$after" -v b="$before" 'BEGIN { exit !(a > b) }' && break
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "the scheduled probe of $A:25 did not run again in 10 s ($before -> $after)"
	sleep 0.5
done
t_assert_metric "$M" "mailsec_probe_success{$L80}" 1
echo "ok: the scheduled probe ran on ($before -> $after)"

# --- the client goes away ------------------------------------------------------------
curl -s -o /dev/null --max-time 1 -H 'X-Prometheus-Scrape-Timeout-Seconds: 25' \
	"$URL/probe?target=$HOLE:25&module=slow" 2>/dev/null
rc=$?
[ "$rc" = 28 ] || t_fail "curl --max-time 1 against the silent server ended with $rc, want 28 (timeout)"
n=30
until grep -q "event=probe_cancelled target=$HOLE:25" "$T_DIR/a.log"; do
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "no probe_cancelled for $HOLE:25 within 3 s of the client leaving"
	sleep 0.1
done
echo "ok: the check was cancelled when its client went away"
n=40
while :; do
	t_http "$M" GET "$URL/metrics" >/dev/null
	[ "$(t_metric_value "$M" mailsec_exporter_probes_in_flight)" = 0 ] && break
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "probes still in flight 10 s after the cancel: $(t_metric_value "$M" mailsec_exporter_probes_in_flight)"
	sleep 0.25
done
echo "ok: no probe left in flight"

# --- limits ------------------------------------------------------------------------
big=$(head -c 40000 /dev/zero | tr '\0' 'x')
code=$(curl -s -o "$OUT" -w '%{http_code}' --max-time 10 -H "X-Big: $big" "$URL/metrics" 2>/dev/null)
case $code in 200|"") t_fail "a 40 kB header answered '$code', want it refused" ;; esac
echo "ok: a 40 kB request header -> $code"
code=$(curl -s -o "$OUT" -w '%{http_code}' -X POST --data x "$URL/probe")
expect "POST /probe" "$code" 413
code=$(curl -s -o "$OUT" -w '%{http_code}' -X DELETE "$URL/metrics")
expect "DELETE /metrics" "$code" 405
code=$(curl -s -o "$OUT" -w '%{http_code}' --path-as-is "$URL/../../etc/passwd")
expect "GET /../../etc/passwd" "$code" 404
t_running "$EXP" || t_fail "exporter A died"

# --- exporter B: HTTPS and basic auth -------------------------------------------------
HASH=$(printf 'test password\n' | "$T_BIN" --hash-password) ||
	t_fail "--hash-password failed"
case $HASH in '$2b$12$'*) ;; *) t_fail "--hash-password printed '$HASH'" ;; esac
echo "ok: --hash-password -> ${HASH%"${HASH#???????????}"}..."
cat >"$T_DIR/b.ini" <<EOF
[exporter]
listen = 127.0.0.1:19981
timeout = 5s
ca_file = $CA/ca.crt
log_level = debug
audit = off
probe_allow = $A/32, $HOLE/32
probe_max_concurrent = 2
basic_auth_users = prometheus:$HASH
tls_cert_file = $CA/web.chain.pem
tls_key_file = $CA/web.key

[module smtp_starttls]
kind = endpoint
protocol = smtp

[module slow]
kind = endpoint
protocol = smtp
timeout = 30s
EOF
"$T_BIN" --config "$T_DIR/b.ini" >"$T_DIR/b.log" 2>&1 </dev/null &
EXPB=$!
t_pid "$EXPB"
t_wait_port 127.0.0.1 19981 10 || { tail -n 20 "$T_DIR/b.log" >&2; t_fail "exporter B does not listen"; }

scurl() {	# curl args... -> status
	curl -s -o "$OUT" -D "$OUT.headers" -w '%{http_code}' --max-time 20 \
		--cacert "$CA/ca.crt" "$@" 2>"$OUT.err" || :
}
code=$(scurl "$SURL/metrics")
expect "https /metrics without credentials" "$code" 401
grep -qi '^WWW-Authenticate: Basic realm="mailsec_exporter"' "$OUT.headers" ||
	t_fail "401 without WWW-Authenticate: $(cat "$OUT.headers")"
code=$(scurl -u 'prometheus:wrong password' "$SURL/metrics")
expect "https /metrics with a wrong password" "$code" 401
code=$(scurl -u 'nobody:test password' "$SURL/metrics")
expect "https /metrics as an unknown user" "$code" 401
code=$(scurl -H 'Authorization: Basic !!!' "$SURL/metrics")
expect "https /metrics with a malformed header" "$code" 401
t1=$(curl -s -o /dev/null -w '%{time_total}' --cacert "$CA/ca.crt" -u 'prometheus:test password' "$SURL/metrics")
code=$(scurl -u 'prometheus:test password' "$SURL/metrics")
expect "https /metrics with the right password" "$code" 200
t2=$(curl -s -o /dev/null -w '%{time_total}' --cacert "$CA/ca.crt" -u 'prometheus:test password' "$SURL/metrics")
echo "ok: first authenticated request ${t1}s (bcrypt), later ${t2}s (remembered)"
code=$(scurl -u 'prometheus:test password' "$SURL/")
expect "https / with the right password" "$code" 200
code=$(scurl -u 'prometheus:test password' "$SURL/probe?target=$A:25&module=smtp_starttls")
expect "https /probe with the right password" "$code" 200
t_assert_metric "$OUT" "mailsec_probe_success{$L80}" 1
code=$(scurl "$SURL/-/healthy")
expect "https /-/healthy without credentials" "$code" 401
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:19981/metrics" 2>/dev/null)
[ "$code" != 200 ] || t_fail "plain HTTP on the HTTPS port answered 200"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$SURL/metrics" 2>/dev/null)
[ "$code" = 000 ] || t_fail "HTTPS without the CA answered $code, want a verification failure"
if openssl s_client -connect 127.0.0.1:19981 -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -CAfile "$CA/ca.crt" \
	</dev/null >"$T_DIR/tls11.out" 2>&1; then
	t_fail "TLS 1.1 handshake with the listener succeeded"
fi
echo "ok: TLS 1.1 refused"

# probe_max_concurrent = 2: two silent probes hold the slots, a third is 503.
pids=
for i in 1 2; do
	curl -s -o "$T_DIR/slow.$i" -w '%{http_code}' --max-time 20 --cacert "$CA/ca.crt" \
		-u 'prometheus:test password' -H 'X-Prometheus-Scrape-Timeout-Seconds: 3.5' \
		"$SURL/probe?target=$HOLE:25&module=slow" >"$T_DIR/slow.$i.code" 2>/dev/null &
	pids="$pids $!"
done
sleep 1
code=$(scurl -u 'prometheus:test password' "$SURL/probe?target=$A:25&module=smtp_starttls")
expect "a third /probe past probe_max_concurrent = 2" "$code" 503
grep -q "probe_max_concurrent" "$OUT" || t_fail "503 body: $(cat "$OUT")"
for p in $pids; do wait "$p"; done
for i in 1 2; do
	[ "$(cat "$T_DIR/slow.$i.code")" = 200 ] || t_fail "slow probe $i: HTTP $(cat "$T_DIR/slow.$i.code")"
	t_assert_metric "$T_DIR/slow.$i" "mailsec_probe_timeout_seconds" 3
done
code=$(scurl -u 'prometheus:test password' "$SURL/probe?target=$A:25&module=smtp_starttls")
expect "/probe once the slots are free" "$code" 200

kill -TERM "$EXPB" && t_wait_exit "$EXPB" 5 || t_fail "exporter B did not stop on SIGTERM"
wait "$EXPB"; rc=$?
[ "$rc" = 0 ] || { tail -n 20 "$T_DIR/b.log" >&2; t_fail "exporter B exited $rc"; }

# --- exporter C: the same through --web.config.file (web-config.yml) -------------
# with min_version TLS13: a TLS 1.2 handshake is refused too.
sed -e '/^basic_auth_users/d' -e '/^tls_/d' "$T_DIR/b.ini" >"$T_DIR/c.ini"
cat >"$T_DIR/web.yml" <<EOF
# exporter-toolkit's web-config.yml, as blackbox_exporter reads it
tls_server_config:
  cert_file: $CA/web.chain.pem
  key_file: $CA/web.key
  min_version: TLS13
basic_auth_users:
  prometheus: '$HASH'
EOF
"$T_BIN" --config.file="$T_DIR/b.ini" --web.config.file="$T_DIR/web.yml" --config.check \
	>"$T_DIR/both.out" 2>&1 && t_fail "INI TLS keys and a web config at once passed --config.check"
grep -q "web.yml:3: cert_file: .*b.ini sets tls_cert_file and tls_key_file already" "$T_DIR/both.out" ||
	t_fail "both at once: $(cat "$T_DIR/both.out")"
echo "ok: the INI's TLS keys and a web config at once -> a config error"
"$T_BIN" --config.file="$T_DIR/c.ini" --web.config.file="$T_DIR/web.yml" >"$T_DIR/c.log" 2>&1 </dev/null &
EXPC=$!
t_pid "$EXPC"
t_wait_port 127.0.0.1 19981 10 || { tail -n 20 "$T_DIR/c.log" >&2; t_fail "exporter C does not listen"; }
code=$(scurl "$SURL/metrics")
expect "web.config.file: https /metrics without credentials" "$code" 401
code=$(scurl -u 'prometheus:test password' "$SURL/probe?target=$A:25&module=smtp_starttls")
expect "web.config.file: https /probe with the right password" "$code" 200
t_assert_metric "$OUT" "mailsec_probe_success{$L80}" 1
code=$(scurl --tls-max 1.2 -u 'prometheus:test password' "$SURL/metrics")
[ "$code" = 000 ] || t_fail "web.config.file min_version TLS13: a TLS 1.2 client got HTTP $code"
echo "ok: web.config.file: TLS 1.2 refused with min_version TLS13"
kill -TERM "$EXPC" && t_wait_exit "$EXPC" 5 || t_fail "exporter C did not stop on SIGTERM"

# --- Prometheus through the standard relabelling ----------------------------------------
command -v prometheus >/dev/null 2>&1 || t_fail "prometheus not found (Debian package prometheus)"
cat >"$T_DIR/targets.yml" <<EOF
- targets: ['$A:25']
  labels:
    module: smtp_starttls
EOF
sed -e "s#replacement: 127.0.0.1:9925 .*#replacement: 127.0.0.1:19980#" \
    -e "s#targets: \\[127.0.0.1:9925\\]#targets: [127.0.0.1:19980]#" \
    -e "s#files: \\[mailsec-probe-targets.yml\\]#files: [$T_DIR/targets.yml]#" \
    -e "s#scrape_interval: 5m .*#scrape_interval: 1s#" \
    -e "s#scrape_timeout: 30s .*#scrape_timeout: 1s#" \
    "$T_ROOT/deploy/prometheus/prometheus-probe.yml" >"$T_DIR/prometheus.yml"
grep -q "127.0.0.1:19980" "$T_DIR/prometheus.yml" && grep -q "$T_DIR/targets.yml" "$T_DIR/prometheus.yml" ||
	t_fail "could not adapt deploy/prometheus/prometheus-probe.yml"
promtool check config "$T_DIR/prometheus.yml" >"$T_DIR/promtool.cfg" 2>&1 ||
	t_fail "promtool check config: $(cat "$T_DIR/promtool.cfg")"
prometheus --config.file="$T_DIR/prometheus.yml" --storage.tsdb.path="$T_DIR/prom" \
	--web.listen-address="$PROM" --log.level=warn >"$T_DIR/prometheus.log" 2>&1 </dev/null &
PROMPID=$!
t_pid "$PROMPID"
q="mailsec_probe_success{instance=\"$A:25\",module=\"smtp_starttls\"}"
n=50
while :; do
	t_running "$PROMPID" || { tail -n 20 "$T_DIR/prometheus.log" >&2; t_fail "prometheus exited (log above)"; }
	curl -s -G --max-time 5 "http://$PROM/api/v1/query" --data-urlencode "query=$q" \
		>"$T_DIR/query.json" 2>/dev/null || :
	grep -q '"value":\[[0-9.]*,"1"\]' "$T_DIR/query.json" && break
	n=$((n - 1))
	[ "$n" -gt 0 ] || t_fail "Prometheus has no $q = 1 after 25 s: $(cat "$T_DIR/query.json"); targets: $(curl -s "http://$PROM/api/v1/targets" | head -c 1500)"
	sleep 0.5
done
echo "ok: Prometheus: $q = 1"
curl -s -G "http://$PROM/api/v1/query" --data-urlencode \
	"query=mailsec_probe_timeout_seconds{instance=\"$A:25\"}" >"$T_DIR/query2.json"
grep -q '"value":\[[0-9.]*,"0.5"\]' "$T_DIR/query2.json" ||
	t_fail "mailsec_probe_timeout_seconds from Prometheus (1 s scrape timeout - 0.5 s): $(cat "$T_DIR/query2.json")"
echo "ok: Prometheus: the probe ran with 1 s - 0.5 s"

kill -TERM "$EXP" && t_wait_exit "$EXP" 5 || t_fail "exporter A did not stop on SIGTERM"
wait "$EXP"; rc=$?
[ "$rc" = 0 ] || { tail -n 20 "$T_DIR/a.log" >&2; t_fail "exporter A exited $rc"; }
echo "all cases passed"
