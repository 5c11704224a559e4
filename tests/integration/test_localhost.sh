#!/bin/sh
# "localhost" is the loopback addresses (RFC 6761 6.3), never a DNS
# question: [endpoint localhost:PORT] probes 127.0.0.1 and ::1.  Nothing
# listens on port 2526 there, so both rows fail with reason conn (a DNS
# lookup would have failed them with reason dns, and no address).
. "$(dirname "$0")/../lib/common.sh"
t_setup localhost

OUT=$T_DIR/metrics.prom
for a in 127.0.0.1 ::1; do
	if _l=$(t_listening "$a" 2526); then t_fail "$a:2526 is taken: $_l"; fi
done
cat >"$T_DIR/exporter.ini" <<INI
[exporter]
timeout = 3s
resolver = 127.0.0.1:1
audit = off
[endpoint localhost:2526]
protocol = smtp
INI
"$T_BIN" --config "$T_DIR/exporter.ini" --once >"$OUT" 2>"$T_DIR/stderr" ||
	t_fail "--once failed: $(tail -n 5 "$T_DIR/stderr")"
for a in 127.0.0.1 ::1; do
	t_assert_metric "$OUT" "mailsec_probe_error_info{domain=\"\",host=\"localhost\",address=\"$a\",port=\"2526\",protocol=\"smtp\",step=\"connect\",reason=\"conn\",cause=\"refused\"}" 1
done
t_assert_absent "$OUT" 'mailsec_probe_error_info{domain="",host="localhost",address="",'
echo "all cases passed"
