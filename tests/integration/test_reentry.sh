#!/bin/sh
# "A completion may run inside the call that started it", end to end: the
# exporter runs with the test resolver mode (MAILSEC_TEST_DNS=sync, see
# doc/hostile.md), where a repeated question is answered from a short cache
# inside dns_query(), as c-ares does on a cache hit (1.23) or a failed send.
#   big.test  imap_hosts = nx.big.test (no address: NXDOMAIN, then cached)
#             MX 0 nx.big.test, then 40 MX with long names (no address): the
#             MX answer does not fit 1232 bytes and comes back over TCP, after
#             nx.big.test's A and AAAA are in the cache.  mx_cb then sends the
#             lookups of nx.big.test, both answered inside the call, with no
#             address and nothing else left: the run's last count drops inside
#             the MX handler's loop, which must not end (or free) the run
#             before the loop is over (records are off, so nothing else holds it).
# Run it against the ASan build (MAILSEC_BIN) to see a use-after-free.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup reentry

NS=127.0.19.53
OUT=$T_DIR/metrics.prom
LONG=a-long-label-that-makes-the-mx-answer-too-big-for-udp

{
	echo "@	IN MX 0 nx.big.test."
	i=1
	while [ "$i" -le 40 ]; do
		printf '@	IN MX 10 mx%02d-%s.big.test.\n' "$i" "$LONG"
		i=$((i + 1))
	done
	echo "ns	IN A $NS"
} | t_zone dns big.test
t_nsd_start dns "$NS" big.test

cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = 127.0.0.1:19927
timeout = 5s
resolver = $NS
log_level = debug

[domain big.test]
records = off
imap_hosts = nx.big.test
EOF
MAILSEC_TEST_DNS=sync,ttl=60000,every=0 "$T_BIN" --config "$T_DIR/exporter.ini" --once \
	>"$OUT" 2>"$T_DIR/stderr" ||
	t_fail "--once failed: $(grep -m 5 -E 'ERROR|SUMMARY|#[0-4] ' "$T_DIR/stderr"; tail -n 3 "$T_DIR/stderr")"
grep -q 'event=dns_test_mode' "$T_DIR/stderr" || t_fail "the test resolver mode is not on"
inside=$(sed -n 's/.*event=dns_test_summary .*answered_inside=\([0-9]*\).*/\1/p' "$T_DIR/stderr")
[ "${inside:-0}" -ge 2 ] ||
	t_fail "expected answers inside the call, got '${inside}': $(grep dns_test "$T_DIR/stderr")"
echo "ok: $inside answers came inside dns_query()"

t_assert_metric "$OUT" 'mailsec_mx_records{domain="big.test"}' 41
t_assert_metric "$OUT" 'mailsec_dns_lookup_success{domain="big.test",record="mx"}' 1
# every MX host probed (up to the 16 the exporter takes), each failed at resolve
n=$(grep -c '^mailsec_probe_success{domain="big.test",host="mx[0-9]*-' "$OUT")
[ "$n" -eq 15 ] || t_fail "expected 15 long-named MX rows, got $n"
echo "ok: 15 long-named MX hosts probed after nx.big.test"
t_assert_metric "$OUT" 'mailsec_check_success{target="big.test",kind="domain"}' 0
promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
echo "all cases passed"
