#!/bin/sh
# A hostile or broken resolver: tests/hostile/dns.py on 127.0.10.150:53
# (UDP and TCP) answers by name: SERVFAIL, REFUSED, NXDOMAIN, no answer at
# all, junk, TC=1 over UDP (the answer only over TCP), a 64 KB TXT, a CNAME
# loop, an SPF include tree built to explode (1111 records) and SPF
# includes that time out.  The exporter must report each rcode exactly,
# read the TCP-only answers, keep every lookup within the probe timeout,
# and bound the SPF evaluation: the RFC 7208 limits are reported and the
# responder sees a bounded number of queries.
. "$(dirname "$0")/../lib/common.sh"
t_setup dns_faults

NS=127.0.10.150
Z=faults.test
CFG=$T_DIR/exporter.ini
OUT=$T_DIR/metrics.prom
QLOG=$T_DIR/queries.log
TIMEOUT_S=2

command -v python3 >/dev/null || t_fail "python3 is needed"
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built"
t_addr "$NS"
if _l=$(t_listening "$NS" 53); then t_fail "$NS:53 is taken: $_l"; fi
python3 "$T_ROOT/tests/hostile/dns.py" --listen "$NS" --log "$QLOG" \
	>"$T_DIR/dns.out" 2>&1 &
DNS_PID=$!
t_pid "$DNS_PID"
_n=100
until grep -q '^ready' "$T_DIR/dns.out"; do
	t_running "$DNS_PID" || { cat "$T_DIR/dns.out" >&2; t_fail "dns.py died"; }
	[ "$_n" -gt 0 ] || t_fail "dns.py not ready after 10 s"
	sleep 0.1; _n=$((_n - 1))
done

cat >"$CFG" <<EOF
[exporter]
timeout = ${TIMEOUT_S}s
resolver = $NS
audit = off
log_level = debug

[domain servfail.$Z]
dkim_selectors = sel
[domain refused.$Z]
[domain nx.$Z]
[domain timeout.$Z]
[domain garbage.$Z]
[domain tc.$Z]
[domain tcsilent.$Z]
[domain big.$Z]
[domain loop.$Z]
[domain boom.$Z]
spf_expect_pass = 192.0.2.1
[domain tmo.$Z]
[domain ok.$Z]
dkim_selectors = sel

# endpoints by name: why the host gave no address is the probe's cause
[endpoint nx.$Z:25]
[endpoint servfail.$Z:25]
[endpoint refused.$Z:25]
[endpoint timeout.$Z:25]
EOF
start=$(date +%s.%N)
timeout 60 "$T_BIN" --config "$CFG" --once >"$OUT" 2>"$T_DIR/stderr" ||
	t_fail "--once failed ($?): $(tail -n 5 "$T_DIR/stderr")"
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
t_log "--once took ${elapsed}s"

m() { t_assert_metric "$OUT" "$1" "$2"; }
rcode() {	# DOMAIN RECORD RCODE: the lookup failed with exactly that rcode
	m "mailsec_dns_error_info{domain=\"$1\",record=\"$2\",rcode=\"$3\"}" 1
	_all=$(t_metric_lines "$OUT" mailsec_dns_error_info | grep -c "domain=\"$1\",record=\"$2\",")
	[ "$_all" = 1 ] || t_fail "$1 $2: $_all dns_error_info samples, want 1"
}
# within(METRIC_SAMPLE, MAX): the sample's value is at most MAX seconds
within() {
	_v=$(t_metric_value "$OUT" "$1") || t_fail "no sample $1"
	awk -v v="$_v" -v m="$2" 'BEGIN { exit !(v <= m) }' || t_fail "$1 = $_v, over $2"
	echo "ok: $1 $_v <= $2"
}

# --- rcodes ------------------------------------------------------------------
for rc in servfail refused; do
	rcode "$rc.$Z" mx "$rc"
	m "mailsec_dns_lookup_success{domain=\"$rc.$Z\",record=\"mx\"}" 0
	m "mailsec_check_success{target=\"$rc.$Z\",kind=\"domain\"}" 0
done
# a failed lookup is not a missing record: DKIM and DMARC say nothing of
# the record, only why (the lookup metrics carry the rcode)
m "mailsec_dkim_error_info{domain=\"servfail.$Z\",selector=\"sel\",reason=\"dns_error\"}" 1
t_assert_absent "$OUT" "mailsec_dkim_valid{domain=\"servfail.$Z\","
t_assert_absent "$OUT" "mailsec_dkim_record_present{domain=\"servfail.$Z\","
m "mailsec_dmarc_error_info{domain=\"servfail.$Z\",reason=\"dns_error\"}" 1
t_assert_absent "$OUT" "mailsec_dmarc_record_present{domain=\"servfail.$Z\"}"
t_assert_absent "$OUT" "mailsec_dmarc_valid{domain=\"servfail.$Z\"}"
m "mailsec_spf_temperror{domain=\"servfail.$Z\"}" 1
rcode "nx.$Z" mx nxdomain
m "mailsec_dns_lookup_success{domain=\"nx.$Z\",record=\"mx\"}" 1
rcode "timeout.$Z" mx timeout
m "mailsec_dns_lookup_success{domain=\"timeout.$Z\",record=\"mx\"}" 0
rcode "garbage.$Z" mx error
# A lookup nobody answers ends within the probe timeout (+ slack: c-ares
# gets timeout/3, then 2*timeout/3 for its retry), and so does the check:
# the MX lookup, then the records in parallel.
within "mailsec_dns_lookup_duration_seconds{domain=\"timeout.$Z\",record=\"mx\"}" "$TIMEOUT_S.3"
within "mailsec_dns_lookup_duration_seconds{domain=\"timeout.$Z\",record=\"spf\"}" "$TIMEOUT_S.3"
within "mailsec_check_duration_seconds{target=\"timeout.$Z\",kind=\"domain\"}" "$((TIMEOUT_S * 2)).5"
# the control
m "mailsec_mx_null{domain=\"ok.$Z\"}" 1
m "mailsec_spf_valid{domain=\"ok.$Z\"}" 1
m "mailsec_dmarc_valid{domain=\"ok.$Z\"}" 1
m "mailsec_dns_error_info{domain=\"ok.$Z\",record=\"dkim\",rcode=\"nodata\",selector=\"sel\"}" 1

# --- TC=1: retried over TCP, and read ----------------------------------------
grep -q "proto=udp name=tc.$Z type=TXT action=truncated" "$QLOG" || t_fail "tc: no truncated UDP answer was sent"
grep -q "proto=tcp name=tc.$Z type=TXT action=tcp_answer" "$QLOG" || t_fail "tc: not retried over TCP"
m "mailsec_mx_null{domain=\"tc.$Z\"}" 1
m "mailsec_spf_valid{domain=\"tc.$Z\"}" 1
m "mailsec_spf_record_bytes{domain=\"tc.$Z\"}" "$(printf 'v=spf1 ip4:192.0.2.0/24 -all' | wc -c)"
m "mailsec_dmarc_policy{domain=\"tc.$Z\"}" 2

# TC=1, then a TCP server that never answers: a timeout, bounded the same
grep -q "proto=tcp name=tcsilent.$Z type=MX action=drop" "$QLOG" || t_fail "tcsilent: not asked over TCP"
rcode "tcsilent.$Z" mx timeout
within "mailsec_dns_lookup_duration_seconds{domain=\"tcsilent.$Z\",record=\"mx\"}" "$TIMEOUT_S.3"

# --- a 64 KB TXT over TCP: read whole, then refused by the SPF bounds --------
grep -q "proto=tcp name=big.$Z type=TXT action=answer" "$QLOG" || t_fail "big: not asked over TCP"
BIG_LEN=$(python3 -B -c "import sys; sys.path.insert(0, '$T_ROOT/tests/hostile'); import dns; print(len(dns.BIG))")
m "mailsec_spf_record_present{domain=\"big.$Z\"}" 1
m "mailsec_spf_record_bytes{domain=\"big.$Z\"}" "$BIG_LEN"
m "mailsec_spf_valid{domain=\"big.$Z\"}" 0
t_metric_lines "$OUT" mailsec_spf_error_info | grep "domain=\"big.$Z\"" || t_fail "big: no spf_error_info"

# --- endpoints whose host gives no address: the cause says why --------------
for hc in nx:nxdomain servfail:servfail refused:dns_refused timeout:dns_timeout; do
	m "mailsec_probe_error_info{domain=\"\",host=\"${hc%%:*}.$Z\",address=\"\",port=\"25\",protocol=\"smtp\",step=\"resolve\",reason=\"dns\",cause=\"${hc#*:}\"}" 1
done

# --- a CNAME loop: no records, no hang ------------------------------------------
# (the A and AAAA answers hold only CNAMEs: the host has no address)
rcode "loop.$Z" mx nodata
m "mailsec_mx_implicit{domain=\"loop.$Z\"}" 1
m "mailsec_probe_error_info{domain=\"loop.$Z\",host=\"loop.$Z\",address=\"\",port=\"25\",protocol=\"smtp\",step=\"resolve\",reason=\"dns\",cause=\"no_address\"}" 1
m "mailsec_spf_record_present{domain=\"loop.$Z\"}" 0
within "mailsec_check_duration_seconds{target=\"loop.$Z\",kind=\"domain\"}" 1

# --- the SPF include tree built to explode --------------------------------------
m "mailsec_spf_record_present{domain=\"boom.$Z\"}" 1
m "mailsec_spf_valid{domain=\"boom.$Z\"}" 0
m "mailsec_spf_error_info{domain=\"boom.$Z\",reason=\"too_many_dns_lookups\"}" 1
# check_host() stops at the term that crosses the limit of 10 (RFC 7208 4.6.4)
m "mailsec_spf_check_host_result_info{domain=\"boom.$Z\",address=\"192.0.2.1\",source=\"config\",result=\"permerror\"}" 1
lookups=$(t_metric_value "$OUT" "mailsec_spf_dns_lookups{domain=\"boom.$Z\"}")
boomq=$(grep -c "name=[0-9-]*\.\{0,1\}boom\.$Z type=TXT" "$QLOG")
t_log "boom: mailsec_spf_dns_lookups $lookups, the responder saw $boomq TXT queries for the tree (1111 records)"
# the walk counts on to its own bound (SPF_WALK_MAX_LOOKUPS 200) and stops;
# check_host() asks at most 11; the top record once per evaluator.
awk -v l="$lookups" 'BEGIN { exit !(l > 10 && l <= 201) }' || t_fail "boom: spf_dns_lookups $lookups, want 11..201"
[ "$boomq" -le 215 ] || t_fail "boom: the responder saw $boomq queries, over 215"
[ "$(grep -c "name=[0-9]*-[0-9]*-[0-9]*\.boom\.$Z" "$QLOG")" -le 200 ] || t_fail "boom: too deep"

# --- SPF includes that time out ---------------------------------------------
m "mailsec_spf_record_present{domain=\"tmo.$Z\"}" 1
t_metric_lines "$OUT" mailsec_spf_error_info | grep "domain=\"tmo.$Z\"" || t_fail "tmo: no spf_error_info"
# a temperror is not a permerror: validity unknown (no mailsec_spf_valid)
m "mailsec_spf_temperror{domain=\"tmo.$Z\"}" 1
m "mailsec_spf_error_info{domain=\"tmo.$Z\",reason=\"dns_timeout\"}" 1
t_assert_absent "$OUT" "mailsec_spf_valid{domain=\"tmo.$Z\"}"
# the same when the domain's own TXT lookup times out
m "mailsec_spf_temperror{domain=\"timeout.$Z\"}" 1
t_assert_absent "$OUT" "mailsec_spf_valid{domain=\"timeout.$Z\"}"
m "mailsec_spf_temperror{domain=\"ok.$Z\"}" 0
within "mailsec_check_duration_seconds{target=\"tmo.$Z\",kind=\"domain\"}" "$((TIMEOUT_S * 2)).5"

# the whole round: every check in parallel, each bounded
awk -v e="$elapsed" -v t="$TIMEOUT_S" 'BEGIN { exit !(e < 3 * t + 2) }' ||
	t_fail "the round took ${elapsed}s"
grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T_DIR/stderr" && t_fail "sanitizer report (above)"
promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
echo "all cases passed"
