#!/bin/sh
# The DNS answer cache and the per-domain budget, end to end, with the
# questions counted where they arrive: a real NSD (nsd-control stats) on
# 127.0.37.53, cross-checked with the exporter's own
# mailsec_exporter_dns_queries_total.
#   A. --once, two domains sharing the SPF include tree _spf.inc.test
#      (three TXT and one A): the tree is asked once, not once per domain.
#   B. the daemon, every 1 s: the domains' own records (TTL 300) are asked
#      once; the include tree (TTL 1) again after its TTL ran out.
#   C. a hostile domain whose SPF walk wants 13 TXT, with
#      dns_budget_per_domain = 11: it ends with reason dns_budget; the
#      other domain of the round (11 questions) is not touched.
# Every domain has a null MX: nothing is probed.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup dns_cache

NS=127.0.37.53
EXP=127.0.0.1:19937
if _l=$(t_listening 127.0.0.1 19937); then t_fail "$EXP is taken: $_l"; fi

t_zone dns share.test <<EOF
ns		IN A $NS
a		IN MX 0 .
a		IN TXT "v=spf1 include:_spf.inc.test -all"
_dmarc.a	IN TXT "v=DMARC1; p=reject"
b		IN MX 0 .
b		IN TXT "v=spf1 include:_spf.inc.test -all"
_dmarc.b	IN TXT "v=DMARC1; p=reject"
evil		IN MX 0 .
evil		IN TXT "v=spf1 $(for i in $(seq 1 6); do printf 'include:e%d.share.test ' "$i"; done)" "$(for i in $(seq 7 12); do printf 'include:e%d.share.test ' "$i"; done)-all"
_dmarc.evil	IN TXT "v=DMARC1; p=reject"
$(for i in $(seq 1 12); do echo "e$i IN TXT \"v=spf1 ip4:198.51.100.$i -all\""; done)
EOF
t_zone dns inc.test <<EOF
_spf	1 IN TXT "v=spf1 include:_s1.inc.test include:_s2.inc.test -all"
_s1	1 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_s2	1 IN TXT "v=spf1 a:h.inc.test -all"
h	1 IN A 192.0.2.7
EOF
T_NSD_CONTROL=1 t_nsd_start dns "$NS" share.test inc.test

stat() { t_nsd_stat dns "$1"; }
reset_stats() { nsd-control -c "$T_DIR/dns/nsd.conf" stats >/dev/null ||
	t_fail "nsd-control stats (reset) failed"; }
# NSD's count of one type against the exporter's sum over its records.
cross_check() {	# FILE NSD_TYPE RECORD...
	_f=$1 _t=$2
	shift 2
	_sum=0
	for _r in "$@"; do
		_v=$(t_metric_value "$_f" "mailsec_exporter_dns_queries_total{record=\"$_r\"}") ||
			t_fail "no mailsec_exporter_dns_queries_total{record=\"$_r\"}"
		_sum=$((_sum + _v))
	done
	_n=$(stat "num.type.$_t")
	[ "$_n" -eq "$_sum" ] ||
		t_fail "NSD was asked $_n $_t, the exporter counts $_sum sent ($*)"
	echo "ok: NSD $_t $_n = exporter's $*"
}

common="timeout = 5s
resolver = $NS
dnssec = off"

# --- A: one round, two domains, one include tree ------------------------------
cat >"$T_DIR/a.ini" <<EOF
[exporter]
$common
[domain a.share.test]
[domain b.share.test]
EOF
reset_stats
"$T_BIN" --config "$T_DIR/a.ini" --once >"$T_DIR/a.prom" 2>"$T_DIR/a.log" ||
	t_fail "A: --once failed: $(tail -n 5 "$T_DIR/a.log")"
m() { t_assert_metric "$T_DIR/a.prom" "$1" "$2"; }
m 'mailsec_spf_valid{domain="a.share.test"}' 1
m 'mailsec_spf_valid{domain="b.share.test"}' 1
m 'mailsec_spf_dns_lookups{domain="a.share.test"}' 4
m 'mailsec_spf_dns_lookups{domain="b.share.test"}' 4
# Each domain: MX, its SPF TXT, _dmarc, _mta-sts, _smtp._tls, the A and
# AAAA of mta-sts.<domain> (7); the tree once: _spf, _s1, _s2 (TXT), h (A).
# Unshared it would be 2 * 11 = 22.
m 'mailsec_exporter_dns_queries_total{record="mx"}' 2
m 'mailsec_exporter_dns_queries_total{record="spf"}' 5
m 'mailsec_exporter_dns_queries_total{record="dmarc"}' 2
m 'mailsec_exporter_dns_queries_total{record="mta_sts"}' 2
m 'mailsec_exporter_dns_queries_total{record="tls_rpt"}' 2
m 'mailsec_exporter_dns_queries_total{record="a"}' 3
m 'mailsec_exporter_dns_queries_total{record="aaaa"}' 2
[ "$(stat num.queries)" -eq 18 ] || t_fail "A: NSD got $(stat num.queries) questions, want 18 (the include tree once)"
[ "$(stat num.type.MX)" -eq 2 ] || t_fail "A: NSD got $(stat num.type.MX) MX, want 2"
[ "$(stat num.type.TXT)" -eq 11 ] || t_fail "A: NSD got $(stat num.type.TXT) TXT, want 11"
[ "$(stat num.type.A)" -eq 3 ] || t_fail "A: NSD got $(stat num.type.A) A, want 3"
[ "$(stat num.type.AAAA)" -eq 2 ] || t_fail "A: NSD got $(stat num.type.AAAA) AAAA, want 2"
cross_check "$T_DIR/a.prom" TXT spf dmarc dkim mta_sts tls_rpt
cross_check "$T_DIR/a.prom" A a
cross_check "$T_DIR/a.prom" AAAA aaaa
if [ -z "${MAILSEC_TEST_DNS:-}" ]; then
	# The second domain's four: from the cache, or joined in flight.
	h=$(t_metric_value "$T_DIR/a.prom" mailsec_exporter_dns_cache_hits_total)
	j=$(t_metric_value "$T_DIR/a.prom" mailsec_exporter_dns_queries_joined_total)
	[ $((h + j)) -eq 4 ] || t_fail "A: hits $h + joined $j, want 4"
	echo "ok: the second domain's 4 shared questions: $h cached, $j joined"
fi
# Kept: every answer, the NXDOMAINs (with their SOA) too.
e=$(t_metric_value "$T_DIR/a.prom" mailsec_exporter_dns_cache_entries)
[ "$e" -eq 18 ] || t_fail "A: $e cache entries, want 18"
b=$(t_metric_value "$T_DIR/a.prom" mailsec_exporter_dns_cache_bytes)
[ "$b" -gt 0 ] || t_fail "A: cache bytes $b"
echo "ok: A: 18 questions for two domains sharing an include tree (22 unshared)"

# The cache off: the same round, each domain asks for itself (joined
# questions in flight still count once).
cat >"$T_DIR/off.ini" <<EOF
[exporter]
$common
dns_cache_max_ttl = 0
[domain a.share.test]
EOF
reset_stats
"$T_BIN" --config "$T_DIR/off.ini" --once >"$T_DIR/off.prom" 2>"$T_DIR/off.log" ||
	t_fail "off: --once failed: $(tail -n 5 "$T_DIR/off.log")"
t_assert_metric "$T_DIR/off.prom" 'mailsec_exporter_dns_cache_entries' 0
[ "$(stat num.queries)" -eq 11 ] || t_fail "off: NSD got $(stat num.queries), want 11"

# --- B: TTLs over rounds --------------------------------------------------------
cat >"$T_DIR/b.ini" <<EOF
[exporter]
$common
listen = $EXP
interval = 1s
[domain a.share.test]
EOF
reset_stats
"$T_BIN" --config "$T_DIR/b.ini" >"$T_DIR/b.log" 2>&1 &
PID=$!
t_pid "$PID"
t_wait_port 127.0.0.1 19937 10 || t_fail "B: the exporter is not listening"
sleep 4.5
curl -s "http://$EXP/metrics" >"$T_DIR/b1.prom" || t_fail "B: scrape failed"
n_mx=$(stat num.type.MX) n_txt=$(stat num.type.TXT) n_a=$(stat num.type.A)
curl -s "http://$EXP/metrics" >"$T_DIR/b2.prom" || t_fail "B: scrape failed"
t_stop_pid "$PID" || t_fail "B: the exporter needed SIGKILL"
v() { t_metric_value "$1" "mailsec_exporter_dns_queries_total{record=\"$2\"}"; }
# The domain's own (TTL 300): asked in the first round only.
[ "$n_mx" -eq 1 ] || t_fail "B: NSD got $n_mx MX in 4.5 s of 1 s rounds, want 1 (TTL 300)"
[ "$(v "$T_DIR/b2.prom" mx)" -eq 1 ] || t_fail "B: exporter sent $(v "$T_DIR/b2.prom" mx) MX, want 1"
for r in dmarc mta_sts tls_rpt aaaa; do
	[ "$(v "$T_DIR/b2.prom" "$r")" -eq 1 ] ||
		t_fail "B: $r sent $(v "$T_DIR/b2.prom" "$r") times, want 1 (TTL 300)"
done
# The tree (TTL 1): again in later rounds.  spf = the domain's TXT once +
# 3 per round the tree had expired; a = mta-sts.<domain>'s once + 1 per
# such round.
spf1=$(v "$T_DIR/b1.prom" spf) spf2=$(v "$T_DIR/b2.prom" spf)
a1=$(($(v "$T_DIR/b1.prom" a) - 1)) a2=$(($(v "$T_DIR/b2.prom" a) - 1))
[ "$a1" -ge 3 ] || t_fail "B: the include tree's A asked $a1 times in 4.5 s, want >= 3 (TTL 1 s, rounds every 1 s)"
# (a scrape may fall inside a walk: between 3 a and 3 (a + 1))
[ $((spf1 - 1)) -ge $((3 * a1)) ] && [ $((spf1 - 1)) -le $((3 * a1 + 3)) ] ||
	t_fail "B: spf $spf1, a $a1: want spf - 1 within 3 a .. 3 a + 3"
[ "$n_txt" -ge $((spf1 + 3)) ] && [ "$n_txt" -le $((spf2 + 3)) ] ||
	t_fail "B: NSD TXT $n_txt not within the exporter's count $spf1..$spf2 (+3: dmarc, mta_sts, tls_rpt)"
[ "$n_a" -ge $((a1 + 1)) ] && [ "$n_a" -le $((a2 + 1)) ] ||
	t_fail "B: NSD A $n_a not within the exporter's $((a1 + 1))..$((a2 + 1))"
echo "ok: B: MX, DMARC, MTA-STS, TLS-RPT asked once (TTL 300); the include tree $a1 times (TTL 1 s); NSD agrees"

# --- C: a budget-exceeding domain ------------------------------------------------
cat >"$T_DIR/c.ini" <<EOF
[exporter]
$common
dns_budget_per_domain = 11
dns_cache_max_ttl = 0
[domain evil.share.test]
[domain a.share.test]
EOF
reset_stats
"$T_BIN" --config "$T_DIR/c.ini" --once >"$T_DIR/c.prom" 2>"$T_DIR/c.log" ||
	t_fail "C: --once failed: $(tail -n 5 "$T_DIR/c.log")"
c() { t_assert_metric "$T_DIR/c.prom" "$1" "$2"; }
c 'mailsec_spf_error_info{domain="evil.share.test",reason="dns_budget"}' 1
t_assert_absent "$T_DIR/c.prom" 'mailsec_spf_valid{domain="evil.share.test"}'
c 'mailsec_dmarc_valid{domain="evil.share.test"}' 1
c 'mailsec_spf_valid{domain="a.share.test"}' 1
t_assert_absent "$T_DIR/c.prom" 'mailsec_spf_error_info{domain="a.share.test",'
grep -q 'event=dns_budget .*target=evil.share.test budget=11' "$T_DIR/c.log" ||
	t_fail "C: no dns_budget log line for evil.share.test: $(grep dns_budget "$T_DIR/c.log")"
refused=$(t_metric_value "$T_DIR/c.prom" mailsec_exporter_dns_budget_refused_total)
[ "$refused" -eq 1 ] || t_fail "C: dns_budget_refused_total $refused, want 1 (the walk stops at its first refused include)"
# evil: 11 sent (its 7, and 4 of the walk's 13 TXT), the rest not.
[ "$(stat num.queries)" -eq 22 ] ||
	t_fail "C: NSD got $(stat num.queries), want 22 (evil's 11 + a's 11)"
echo "ok: C: evil.share.test stopped at its budget of 11 with reason dns_budget ($refused not sent); a.share.test unaffected"
t_cleanup
