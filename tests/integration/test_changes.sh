#!/bin/sh
# Change detection (daemon/changes.c, daemon/statefile.c) end to end: NSD
# serves changes.test, a real Postfix is its MX, the daemon runs rounds
# every 2 s with a state_file.
#
#   round A   the zone as written: hashes of mx, spf, dmarc, dkim:sel and
#             cert:mx.changes.test:25, exactly the first 48 bits of the
#             SHA-256 of the record (sha256sum here), no weakening
#   edit      SPF -all -> ~all, DMARC p=reject -> p=none (pct stays), the
#             zone's serial bumped and NSD reloaded (SIGHUP); Postfix gets
#             an RSA 1024 certificate for its RSA 2048 one (same CA)
#   round B   spf and dmarc hashes are the new records', their changed
#             timestamps after the edit; mailsec_policy_weakened spf_all,
#             dmarc_policy and cert_key_smaller are 1; dmarc_pct and
#             cert_issuer have no sample; mx and dkim:sel did not change
#   restart   SIGTERM, start again: the same hashes, the same changed
#             timestamps, the weakenings still held (from the state file)
#   kill -9   the write made slow (MAILSEC_TEST_STATE_SLOW_MS) and the
#             daemon SIGKILLed while state_file.tmp is being written: the
#             state file is the old one, whole; the next start reads it
#             without a warning
#   corrupt   garbage in the state file: a warning, and the start goes on
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup changes

NS=127.0.16.30 MX=127.0.16.31 EXP=127.0.0.1:19983
CA=$T_DIR/ca
STATE=$T_DIR/state
URL=http://$EXP/metrics
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built"
if _l=$(t_listening 127.0.0.1 19983); then t_fail "$EXP is taken: $_l"; fi

t_ca "$CA"
t_cert "$CA" big mx.changes.test "DNS:mx.changes.test" 1 365 rsa2048
t_cert "$CA" small mx.changes.test "DNS:mx.changes.test" 1 365 rsa1024
cp "$CA/big.chain.pem" "$T_DIR/served.pem" && cp "$CA/big.key" "$T_DIR/served.key"
t_addr "$MX"
t_postfix_start pf "$MX" mx.changes.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $T_DIR/served.pem" "smtpd_tls_key_file = $T_DIR/served.key"
PF_CF=$T_DIR/pf/etc

SPF1='v=spf1 mx -all' SPF2='v=spf1 mx ~all'
DMARC1='v=DMARC1; p=reject' DMARC2='v=DMARC1; p=none'
DKIM='v=DKIM1; p='
zone() {	# SERIAL SPF DMARC
	{
		printf '$ORIGIN changes.test.\n$TTL 1\n'
		printf '@ IN SOA ns.changes.test. hostmaster.changes.test. %s 3600 600 86400 1\n' "$1"
		printf '@ IN NS ns.changes.test.\nns IN A %s\nmx IN A %s\n' "$NS" "$MX"
		printf '@ IN MX 10 mx.changes.test.\n'
		printf '@ IN TXT "%s"\n_dmarc IN TXT "%s"\nsel._domainkey IN TXT "%s"\n' \
			"$2" "$3" "$DKIM"
	} >"$T_DIR/dns/changes.test.zone"
}
mkdir -p "$T_DIR/dns"
zone 1 "$SPF1" "$DMARC1"
t_nsd_start dns "$NS" changes.test
NSD_PID=$_npid

cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = $EXP
interval = 2s
timeout = 2s
resolver = $NS
ca_file = $CA/ca.crt
dnssec = off
mta_sts = off
tls_rpt = off
audit = off
state_file = $STATE
weakened_hold = 1h

[domain changes.test]
dkim_selectors = sel
EOF

# h48 TEXT: the first 48 bits of SHA-256(TEXT), as a decimal.
h48() { printf '%d' "0x$(printf '%s' "$1" | sha256sum | cut -c1-12)"; }
start() {	# [env...]
	env "$@" "$T_BIN" --config "$T_DIR/exporter.ini" >>"$T_DIR/exporter.log" 2>&1 </dev/null &
	EXP_PID=$!
	t_pid "$EXP_PID"
	t_wait_port 127.0.0.1 19983 10 || t_fail "exporter not listening: $(tail -n 5 "$T_DIR/exporter.log")"
}
scrape() { curl -s --max-time 5 -o "$1" "$URL" || t_fail "scrape failed"; }
# until_metric SECS FILE 'sample' VALUE: scrapes until the sample has VALUE.
until_metric() {
	_n=$(($1 * 5))
	while :; do
		scrape "$2"
		_v=$(t_metric_value "$2" "$3") && t_num_eq "$_v" "$4" && return 0
		[ "$_n" -gt 0 ] || { t_assert_metric "$2" "$3" "$4"; exit 1; }
		sleep 0.2; _n=$((_n - 1))
	done
}
L() { echo "domain=\"changes.test\",record=\"$1\""; }
W() { echo "domain=\"changes.test\",record=\"$1\",what=\"$2\""; }
H=mailsec_record_hash C=mailsec_record_changed_timestamp_seconds P=mailsec_policy_weakened
CERT=cert:mx.changes.test:25

# --- round A -----------------------------------------------------------------
t0=$(date +%s)
start
until_metric 15 "$T_DIR/a.prom" "$H{$(L spf)}" "$(h48 "$SPF1")"
[ -s "$STATE" ] || t_fail "no state file after the first round"
t_assert_metric "$T_DIR/a.prom" "$H{$(L dmarc)}" "$(h48 "$DMARC1")"
t_assert_metric "$T_DIR/a.prom" "$H{$(L dkim:sel)}" "$(h48 "$DKIM")"
t_assert_metric "$T_DIR/a.prom" "$H{$(L mx)}" "$(h48 "10 mx.changes.test
")"
FP1=$(t_cert_fp "$CA/big.crt" | tr 'A-F' 'a-f' | tr -d :)
t_assert_metric "$T_DIR/a.prom" "$H{$(L $CERT)}" "$(h48 "$FP1
")"
t_assert_absent "$T_DIR/a.prom" "$P"
CH_MX=$(t_metric_value "$T_DIR/a.prom" "$C{$(L mx)}")
awk -v t="$CH_MX" -v a="$t0" 'BEGIN { exit !(t >= a - 1) }' || t_fail "mx first seen at $CH_MX, before $t0"

# --- the edit, round B -------------------------------------------------------
sleep 1
t1=$(date +%s)
zone 2 "$SPF2" "$DMARC2"
kill -HUP "$NSD_PID"
cp "$CA/small.chain.pem" "$T_DIR/served.pem" && cp "$CA/small.key" "$T_DIR/served.key"
t_postfix_cmd pf "$PF_CF" reload
until_metric 20 "$T_DIR/b.prom" "$P{$(W $CERT cert_key_smaller)}" 1
until_metric 20 "$T_DIR/b.prom" "$P{$(W spf spf_all)}" 1
t_assert_metric "$T_DIR/b.prom" "$P{$(W dmarc dmarc_policy)}" 1
t_assert_absent "$T_DIR/b.prom" "$P{$(W dmarc dmarc_pct)}"
t_assert_absent "$T_DIR/b.prom" "$P{$(W $CERT cert_issuer)}"
t_assert_absent "$T_DIR/b.prom" "$P{$(L mx),"
t_assert_metric "$T_DIR/b.prom" "$H{$(L spf)}" "$(h48 "$SPF2")"
t_assert_metric "$T_DIR/b.prom" "$H{$(L dmarc)}" "$(h48 "$DMARC2")"
t_assert_metric "$T_DIR/b.prom" "$H{$(L dkim:sel)}" "$(h48 "$DKIM")"
t_assert_metric "$T_DIR/b.prom" "$C{$(L mx)}" "$CH_MX"
for r in spf dmarc $CERT; do
	_c=$(t_metric_value "$T_DIR/b.prom" "$C{$(L $r)}") || t_fail "no $C for $r"
	awk -v t="$_c" -v a="$t1" 'BEGIN { exit !(t >= a) }' || t_fail "$r changed at $_c, before the edit at $t1"
	echo "ok: $r changed at $_c (edit at $t1)"
done
grep -q 'event=policy_weakened domain=changes.test record=spf what=spf_all' "$T_DIR/exporter.log" ||
	t_fail "no policy_weakened log line"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T_DIR/b.prom" >"$T_DIR/promtool.out" 2>&1 ||
		{ cat "$T_DIR/promtool.out" >&2; t_fail "promtool check metrics"; }
fi

# --- restart -----------------------------------------------------------------
t_stop_pid "$EXP_PID"
cp "$STATE" "$T_DIR/state.b"
CH_SPF=$(t_metric_value "$T_DIR/b.prom" "$C{$(L spf)}")
start
until_metric 15 "$T_DIR/c.prom" "$H{$(L spf)}" "$(h48 "$SPF2")"
t_assert_metric "$T_DIR/c.prom" "$C{$(L spf)}" "$CH_SPF"
t_assert_metric "$T_DIR/c.prom" "$C{$(L mx)}" "$CH_MX"
t_assert_metric "$T_DIR/c.prom" "$P{$(W spf spf_all)}" 1
t_assert_metric "$T_DIR/c.prom" "$P{$(W dmarc dmarc_policy)}" 1
t_assert_metric "$T_DIR/c.prom" "$P{$(W $CERT cert_key_smaller)}" 1
grep -q 'event=state_read .* records=5' "$T_DIR/exporter.log" || t_fail "the restart did not read 5 records"
t_stop_pid "$EXP_PID"

# --- kill -9 in the middle of a write ----------------------------------------
# A change to write (SPF back to -all: a strengthening), each line of the
# file written 400 ms apart: the write takes seconds, the kill comes while
# state.tmp is there.
cp "$STATE" "$T_DIR/state.before"
zone 3 "$SPF1" "$DMARC2"
kill -HUP "$NSD_PID"
start MAILSEC_TEST_STATE_SLOW_MS=400
_n=100
until [ -e "$STATE.tmp" ]; do
	[ "$_n" -gt 0 ] || t_fail "no write of the state file began"
	sleep 0.1; _n=$((_n - 1))
done
sleep 0.5
kill -KILL "$EXP_PID"
t_wait_exit "$EXP_PID" 5 || t_fail "the exporter did not die"
[ -e "$STATE.tmp" ] || t_fail "the write was over before the kill"
cmp -s "$STATE" "$T_DIR/state.before" || t_fail "the state file changed under a cut write"
echo "ok: killed mid-write: $(wc -l <"$STATE.tmp") lines in state.tmp, the state file is the old one"
mv "$T_DIR/exporter.log" "$T_DIR/exporter.log.kill"
start
until_metric 15 "$T_DIR/d.prom" "$H{$(L spf)}" "$(h48 "$SPF1")"
grep -q 'event=state_read .* records=5' "$T_DIR/exporter.log" || t_fail "the old state file was not read"
! grep -q 'event=state_corrupt' "$T_DIR/exporter.log" || t_fail "state_corrupt after the kill"
t_assert_metric "$T_DIR/d.prom" "$P{$(W spf spf_all)}" 1
_n=50
until [ ! -e "$STATE.tmp" ] && grep -q "$(h48 "$SPF1" | xargs printf '%012x')" "$STATE"; do
	[ "$_n" -gt 0 ] || t_fail "the new state was not written"
	sleep 0.1; _n=$((_n - 1))
done
echo "ok: the next write replaced state.tmp and the state file"
t_stop_pid "$EXP_PID"

# --- a corrupt state file -----------------------------------------------------
printf 'not a state file\n' >"$STATE"
mv "$T_DIR/exporter.log" "$T_DIR/exporter.log.d"
start
until_metric 15 "$T_DIR/e.prom" "$H{$(L spf)}" "$(h48 "$SPF1")"
grep -q 'level=warn event=state_corrupt' "$T_DIR/exporter.log" || t_fail "no state_corrupt warning"
t_assert_absent "$T_DIR/e.prom" "$P"
t_stop_pid "$EXP_PID"
t_log "PASS"
