#!/bin/sh
# MTA-STS policy hosts that misbehave (tests/hostile/https.py): one that
# stalls, one that trickles a byte a second, an endless chunked body, a
# reset mid-body, a gzip body nobody asked for, and a good one beside them.
# Each must end with its own reason within the check's timeout, the body
# capped, and the exporter unhurt.
#
# Loopback only: NSD 127.0.62.53, the peer on 127.0.62.1-6:443.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup mta_sts_hostile

NS=127.0.62.53
OUT=$T_DIR/metrics.prom
CA=$T_DIR/ca
CASES="stall trickle chunked reset_body gzip good"
t_addr "$NS"
t_ca "$CA"
SANS=
for c in $CASES; do SANS="$SANS${SANS:+,}DNS:mta-sts.$(echo "$c" | tr _ -).hostile.test"; done
t_cert "$CA" web mta-sts.good.hostile.test "$SANS" 1 365

{
	echo "ns IN A $NS"
	i=0
	for c in $CASES; do
		i=$((i + 1)); d=$(echo "$c" | tr _ -)
		echo "$d IN MX 0 ."
		echo "_mta-sts.$d IN TXT \"v=STSv1; id=$i\""
		echo "mta-sts.$d IN A 127.0.62.$i"
	done
} | t_zone dns hostile.test
t_nsd_start dns "$NS" hostile.test

args= i=0
for c in $CASES; do
	i=$((i + 1)); t_addr "127.0.62.$i"
	args="$args --case $c@127.0.62.$i:443"
done
# shellcheck disable=SC2086
python3 "$T_ROOT/tests/hostile/https.py" --cert "$CA/web.chain.pem" --key "$CA/web.key" \
	--log "$T_DIR/peer.log" $args >"$T_DIR/peer.out" 2>&1 &
PEER_PID=$!
t_pid "$PEER_PID"
n=100
until grep -q ready "$T_DIR/peer.out" 2>/dev/null; do
	t_running "$PEER_PID" || { cat "$T_DIR/peer.out" >&2; t_fail "https.py died"; }
	[ "$n" -gt 0 ] || t_fail "https.py not ready after 10 s"
	sleep 0.1; n=$((n - 1))
done

{
	printf '[exporter]\ntimeout = 3s\nresolver = %s\nca_file = %s\naudit = off\nlog_level = debug\n' "$NS" "$CA/ca.crt"
	for c in $CASES; do printf '[domain %s.hostile.test]\nrecords = off\ntls_rpt = off\n' "$(echo "$c" | tr _ -)"; done
} >"$T_DIR/exporter.ini"
start=$(date +%s)
"$T_BIN" --config "$T_DIR/exporter.ini" --once >"$OUT" 2>"$T_DIR/stderr" ||
	t_fail "--once failed: $(tail -n 5 "$T_DIR/stderr")"
took=$(( $(date +%s) - start ))
# every fetch runs at once: the round takes the timeout, not five of them
[ "$took" -le 8 ] || t_fail "the round took ${took}s with a 3 s timeout"

m() { t_assert_metric "$OUT" "$1" "$2"; }
m 'mailsec_mta_sts_policy_fetch_success{domain="stall.hostile.test"}' 0
m 'mailsec_mta_sts_error_info{domain="stall.hostile.test",reason="fetch_timeout"}' 1
m 'mailsec_mta_sts_policy_fetch_success{domain="trickle.hostile.test"}' 0
m 'mailsec_mta_sts_error_info{domain="trickle.hostile.test",reason="fetch_timeout"}' 1
m 'mailsec_mta_sts_error_info{domain="chunked.hostile.test",reason="too_large"}' 1
m 'mailsec_mta_sts_error_info{domain="reset-body.hostile.test",reason="fetch_conn"}' 1
m 'mailsec_mta_sts_error_info{domain="gzip.hostile.test",reason="fetch_protocol"}' 1
m 'mailsec_mta_sts_policy_valid{domain="good.hostile.test"}' 1
m 'mailsec_mta_sts_mode_info{domain="good.hostile.test",mode="enforce"}' 1
# The stall and the trickle each took the 3 s timeout in the exposition $1.
stalls_took_timeout() {
	for c in stall trickle; do
		v=$(t_metric_value "$1" "mailsec_mta_sts_policy_fetch_duration_seconds{domain=\"$c.hostile.test\"}") ||
			t_fail "$1: no fetch duration for $c"
		awk -v v="$v" 'BEGIN { exit !(v >= 2.5 && v <= 4) }' ||
			t_fail "$1: $c's fetch took ${v}s, expected its own 3 s timeout"
	done
}
stalls_took_timeout "$OUT"
# the endless body was cut at the 64 KiB cap (too_large above) and the
# exporter stayed small while it came
grep -q 'case=chunked event=connect' "$T_DIR/peer.log" || t_fail "the chunked case saw no connection"
rss=$(sed -n 's/^process_resident_memory_bytes //p' "$OUT")
[ -n "$rss" ] && awk -v r="$rss" 'BEGIN { exit !(r < 64 * 1024 * 1024) }' ||
	t_fail "resident memory ${rss} bytes after the hostile fetches"
grep -E 'case=gzip event=request' "$T_DIR/peer.log" >/dev/null || t_fail "the gzip case saw no request"
promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
m 'mailsec_exporter_mta_sts_fetches_in_flight' 0
m 'mailsec_exporter_mta_sts_fetches_waiting' 0

# --- one fetch slot (mta_sts_max_in_flight = 1): the fetches run one after
# another, so the two that stall take a timeout each, and each still gets
# its whole timeout, counted from its own start, not from the wait
OUT1=$T_DIR/metrics-one-slot.prom
sed 's/^audit = off$/audit = off\nmta_sts_max_in_flight = 1/' "$T_DIR/exporter.ini" >"$T_DIR/one-slot.ini"
grep -q '^mta_sts_max_in_flight = 1$' "$T_DIR/one-slot.ini" || t_fail "one-slot.ini has no mta_sts_max_in_flight"
start=$(date +%s)
"$T_BIN" --config "$T_DIR/one-slot.ini" --once >"$OUT1" 2>"$T_DIR/stderr-one-slot" ||
	t_fail "--once with one slot failed: $(tail -n 5 "$T_DIR/stderr-one-slot")"
took=$(( $(date +%s) - start ))
[ "$took" -ge 6 ] || t_fail "one slot: the round took ${took}s, expected two 3 s timeouts one after the other"
[ "$took" -le 14 ] || t_fail "one slot: the round took ${took}s"
t_assert_metric "$OUT1" 'mailsec_mta_sts_error_info{domain="stall.hostile.test",reason="fetch_timeout"}' 1
t_assert_metric "$OUT1" 'mailsec_mta_sts_error_info{domain="trickle.hostile.test",reason="fetch_timeout"}' 1
t_assert_metric "$OUT1" 'mailsec_mta_sts_error_info{domain="chunked.hostile.test",reason="too_large"}' 1
t_assert_metric "$OUT1" 'mailsec_mta_sts_policy_valid{domain="good.hostile.test"}' 1
stalls_took_timeout "$OUT1"
echo "all cases passed"
