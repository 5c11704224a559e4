#!/bin/sh
# Scale-out as a user runs it: one Prometheus, two exporters, targets shared
# out by Prometheus' own hashmod relabelling over /probe.  Every target is
# probed by exactly one exporter, together they cover all of them, and the
# real alert rules (their `for:` shortened) fire for the expired certificate.
#   127.0.10.240  Postfix, valid certificate
#   127.0.10.241  Postfix, expired certificate
#   127.0.10.242-245  nothing listens
. "$(dirname "$0")/../lib/common.sh"
t_setup sharding

A0=127.0.10.240 A1=127.0.10.241
E0=127.0.0.1:19990 E1=127.0.0.1:19991 P=127.0.0.1:19091
CA=$T_DIR/ca
TARGETS="127.0.10.240:25 127.0.10.241:25 127.0.10.242:25 127.0.10.243:25 127.0.10.244:25 127.0.10.245:25"

t_ca "$CA"
t_cert "$CA" good "$A0" "IP:$A0" 1 90
t_cert "$CA" expired "$A1" "IP:$A1" 90 -3
t_addr "$A0"
t_addr "$A1"
t_postfix_start pf_good "$A0" good.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/good.chain.pem" "smtpd_tls_key_file = $CA/good.key"
t_postfix_start pf_expired "$A1" expired.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/expired.chain.pem" "smtpd_tls_key_file = $CA/expired.key"

for i in 0 1; do
	eval "listen=\$E$i"
	cat >"$T_DIR/exporter$i.ini" <<EOF
[exporter]
listen = $listen
timeout = 3s
ca_file = $CA/ca.crt
probe_allow = 127.0.10.240/29
[module smtp]
kind = endpoint
protocol = smtp
EOF
	"$T_BIN" --config "$T_DIR/exporter$i.ini" >"$T_DIR/exporter$i.log" 2>&1 &
	t_pid $!
done
t_wait_port 127.0.0.1 19990 10 || t_fail "exporter 0 not listening"
t_wait_port 127.0.0.1 19991 10 || t_fail "exporter 1 not listening"

# The real rules with every `for:` cut to 0s, so the test need not wait.
sed 's/^\([[:space:]]*for:\).*/\1 0s/' deploy/prometheus/alerts.yml >"$T_DIR/alerts.yml"
{
	cat <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ["$T_DIR/alerts.yml"]
scrape_configs:
  - job_name: mailsec_probe
    metrics_path: /probe
    params: {module: [smtp]}
    static_configs:
      - targets:
EOF
	for t in $TARGETS; do echo "          - $t"; done
	cat <<EOF
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - source_labels: [__param_target]
        modulus: 2
        target_label: __tmp_shard
        action: hashmod
      - source_labels: [__tmp_shard]
        regex: "0"
        target_label: __address__
        replacement: $E0
      - source_labels: [__tmp_shard]
        regex: "1"
        target_label: __address__
        replacement: $E1
EOF
} >"$T_DIR/prometheus.yml"
promtool check config "$T_DIR/prometheus.yml" >"$T_DIR/promcheck.log" 2>&1 ||
	t_fail "promtool check config: $(cat "$T_DIR/promcheck.log")"
prometheus --config.file="$T_DIR/prometheus.yml" --storage.tsdb.path="$T_DIR/prom" \
	--web.listen-address="$P" >"$T_DIR/prometheus.log" 2>&1 &
t_pid $!
t_wait_port 127.0.0.1 19091 20 || t_fail "prometheus did not start: $(tail -n 5 "$T_DIR/prometheus.log")"

query() { curl -s -G "http://$P/api/v1/query" --data-urlencode "query=$1"; }

# Wait until every target has been scraped through /probe.
n=0
until [ "$(query 'count(mailsec_check_success{job="mailsec_probe"})' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')" = 6 ]; do
	n=$((n + 1)); [ "$n" -lt 60 ] || t_fail "not every target was scraped in 30 s"
	sleep 0.5
done
echo "ok: all 6 targets scraped"

# Each target went to exactly one exporter: the one Prometheus' hashmod
# picked (read back from its targets API), and the exporters' own logs say
# the same; the two logs together hold every target.
curl -s "http://$P/api/v1/targets" >"$T_DIR/targets.json"
for t in $TARGETS; do
	url=$(python3 - "$T_DIR/targets.json" "$t" <<'PY'
import json, sys
ts = [x for x in json.load(open(sys.argv[1]))["data"]["activeTargets"]
      if x["labels"].get("instance") == sys.argv[2]]
print(len(ts), ts[0]["scrapeUrl"] if ts else "")
PY
)
	case $url in
	"1 http://$E0/probe?"*) want=0 other=1 ;;
	"1 http://$E1/probe?"*) want=1 other=0 ;;
	*) t_fail "$t: not exactly one scrape target through an exporter: $url" ;;
	esac
	grep -q "event=probe_start target=${t%:25} " "$T_DIR/exporter$want.log" ||
		t_fail "$t: exporter $want never probed it"
	if grep -q "event=probe_start target=${t%:25} " "$T_DIR/exporter$other.log"; then
		t_fail "$t: probed by both exporters"
	fi
	echo "ok: $t probed by exporter $want only"
done
[ "$(grep -c 'event=probe_start' "$T_DIR/exporter0.log")" -gt 0 ] &&
[ "$(grep -c 'event=probe_start' "$T_DIR/exporter1.log")" -gt 0 ] ||
	t_fail "one exporter got no target: the shards are not spread"

query 'mailsec_probe_success{instance="127.0.10.240:25"}' | grep -q '"1"\]' ||
	t_fail "the good target is not mailsec_probe_success 1: $(query 'mailsec_probe_success')"
echo "ok: mailsec_probe_success 1 for the good target"

# The expired certificate fires the real alert.
n=0
until curl -s "http://$P/api/v1/alerts" | python3 -c '
import json, sys
a = json.load(sys.stdin)["data"]["alerts"]
sys.exit(0 if any(x["labels"]["alertname"] == "MailsecCertExpired" and
    x["labels"].get("instance") == "127.0.10.241:25" and x["state"] == "firing"
    for x in a) else 1)'; do
	n=$((n + 1)); [ "$n" -lt 40 ] || t_fail "MailsecCertExpired never fired: $(curl -s "http://$P/api/v1/alerts")"
	sleep 0.5
done
echo "ok: MailsecCertExpired firing for 127.0.10.241:25"
curl -s "http://$P/api/v1/alerts" | python3 -c '
import json, sys
a = json.load(sys.stdin)["data"]["alerts"]
sys.exit(1 if any(x["labels"]["alertname"].startswith("MailsecCert") and
    x["labels"].get("instance") == "127.0.10.240:25" for x in a) else 0)' ||
	t_fail "a certificate alert fired for the valid certificate"
echo "ok: no certificate alert for the valid certificate"
echo "all cases passed"
