#!/bin/sh
# No silent misses, end to end: a domain whose DNS dies pages.  A real NSD
# serves broken.test (MX mx.broken.test -> Postfix with a certificate that
# expires in 10 days), the exporter checks the domain every 2 s, and a real
# Prometheus evaluates deploy/prometheus/alerts.yml (every `for:` cut to 0s).
# Then NSD is stopped: the MX lookup fails, the domain's endpoint series go
# away, and
#   - MailsecMXLookupFailing fires for the domain,
#   - MailsecCertExpiringSoon stays firing (last_over_time in the rule),
#   - MailsecCheckFailing does not (the MX alert names the failure).
#   127.0.10.200  Postfix (mx.broken.test)
#   127.0.10.201  NSD
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup dns_alert

MX=127.0.10.200 NS=127.0.10.201
EXP=127.0.0.1:19970 P=127.0.0.1:19092
CA=$T_DIR/ca
for hp in "$EXP" "$P"; do
	if _l=$(t_listening "${hp%:*}" "${hp##*:}"); then t_fail "$hp is taken: $_l"; fi
done
command -v prometheus >/dev/null 2>&1 || t_fail "prometheus not found (Debian package prometheus)"

t_ca "$CA"
t_cert "$CA" soon mx.broken.test "DNS:mx.broken.test" 1 10
t_addr "$MX"
t_postfix_start pf_mx "$MX" mx.broken.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/soon.chain.pem" "smtpd_tls_key_file = $CA/soon.key"
t_zone dns broken.test <<EOF
@	IN MX 10 mx.broken.test.
ns	IN A $NS
mx	IN A $MX
EOF
t_nsd_start dns "$NS" broken.test
NSD_PID=$_npid

cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = $EXP
interval = 2s
timeout = 2s
resolver = $NS
ca_file = $CA/ca.crt
# The answer cache would keep the MX (TTL 300) past NSD's end: the test
# is about the lookup failing, so answers are kept 1 s at most.
dns_cache_max_ttl = 1s

[domain broken.test]
EOF
"$T_BIN" --config "$T_DIR/exporter.ini" >"$T_DIR/exporter.log" 2>&1 </dev/null &
t_pid $!
t_wait_port 127.0.0.1 19970 10 || t_fail "exporter not listening: $(tail -n 5 "$T_DIR/exporter.log")"

sed 's/^\([[:space:]]*for:\).*/\1 0s/' deploy/prometheus/alerts.yml >"$T_DIR/alerts.yml"
cat >"$T_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ["$T_DIR/alerts.yml"]
scrape_configs:
  - job_name: mailsec
    static_configs:
      - targets: ["$EXP"]
EOF
promtool check config "$T_DIR/prometheus.yml" >"$T_DIR/promcheck.log" 2>&1 ||
	t_fail "promtool check config: $(cat "$T_DIR/promcheck.log")"
prometheus --config.file="$T_DIR/prometheus.yml" --storage.tsdb.path="$T_DIR/prom" \
	--web.listen-address="$P" --log.level=warn >"$T_DIR/prometheus.log" 2>&1 </dev/null &
t_pid $!
t_wait_port 127.0.0.1 19092 20 || t_fail "prometheus did not start: $(tail -n 5 "$T_DIR/prometheus.log")"

# firing NAME LABEL=VALUE...: true when an alert NAME with those labels fires.
firing() {
	curl -s --max-time 5 "http://$P/api/v1/alerts" | python3 -c '
import json, sys
want = dict(kv.split("=", 1) for kv in sys.argv[2:])
a = json.load(sys.stdin)["data"]["alerts"]
sys.exit(0 if any(x["labels"]["alertname"] == sys.argv[1] and x["state"] == "firing" and
    all(x["labels"].get(k) == v for k, v in want.items()) for x in a) else 1)' "$@"
}
# wait_firing SECS NAME LABEL=VALUE...
wait_firing() {
	_n=$(( $1 * 2 )); shift
	until firing "$@"; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || t_fail "$1 never fired ($*): $(curl -s "http://$P/api/v1/alerts")"
		sleep 0.5
	done
}

# --- DNS up --------------------------------------------------------------------
wait_firing 30 MailsecCertExpiringSoon domain=broken.test host=mx.broken.test address="$MX"
echo "ok: MailsecCertExpiringSoon firing for mx.broken.test while its DNS works"
firing MailsecMXLookupFailing domain=broken.test &&
	t_fail "MailsecMXLookupFailing fires while NSD answers"
firing MailsecCheckFailing target=broken.test &&
	t_fail "MailsecCheckFailing fires while the check passes"
echo "ok: no DNS or check alert while NSD answers"

# --- DNS down ------------------------------------------------------------------
t_log "stopping NSD (pid $NSD_PID)"
t_stop_pid "$NSD_PID" || t_fail "NSD needed SIGKILL"
wait_firing 40 MailsecMXLookupFailing domain=broken.test record=mx
echo "ok: MailsecMXLookupFailing firing for broken.test"
grep -q 'event=mx_failed target=broken.test' "$T_DIR/exporter.log" ||
	t_fail "the exporter did not log mx_failed"
# The exporter's own answer: the lookup failed, no endpoint is left.
curl -s "http://$EXP/metrics" >"$T_DIR/metrics.prom"
t_assert_metric "$T_DIR/metrics.prom" 'mailsec_dns_lookup_success{domain="broken.test",record="mx"}' 0
t_assert_metric "$T_DIR/metrics.prom" 'mailsec_check_success{target="broken.test",kind="domain"}' 0
t_assert_absent "$T_DIR/metrics.prom" 'mailsec_probe_success{domain="broken.test",'
t_assert_absent "$T_DIR/metrics.prom" 'mailsec_cert_not_after_timestamp_seconds{domain="broken.test",'
echo "ok: the exporter exports the failed lookup and no endpoint of broken.test"
firing MailsecCertExpiringSoon domain=broken.test host=mx.broken.test ||
	t_fail "MailsecCertExpiringSoon resolved when the probe stopped: $(curl -s "http://$P/api/v1/alerts")"
echo "ok: MailsecCertExpiringSoon still firing without a certificate series"
firing MailsecCheckFailing target=broken.test &&
	t_fail "MailsecCheckFailing fires beside MailsecMXLookupFailing"
echo "ok: MailsecCheckFailing left to the MX alert"
echo "all cases passed"
