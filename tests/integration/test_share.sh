#!/bin/sh
# share = on: one handshake per server (address, port, protocol, SNI name)
# serves every domain whose MX points there; share = off probes per domain.
# Postfix on 127.0.31.41 answers for two names (one certificate for both):
#   a1..a4.share.test  MX mx.share.test
#   b.share.test       MX alias.share.test (same address, another SNI name)
#   c.share.test       MX mx.share.test and alias.share.test
# 7 endpoint results, 2 distinct servers.  Counted twice: Postfix's own log
# (connect from, TLS connection established) and the exporter's counters.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup share

NS=127.0.31.53 M=127.0.31.41
CA=$T_DIR/ca
LOG=$T_DIR/pf/maillog

t_ca "$CA"
t_cert "$CA" mx mx.share.test "DNS:mx.share.test,DNS:alias.share.test" 1 30
t_addr "$M"
t_postfix_start pf "$M" mx.share.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/mx.chain.pem" "smtpd_tls_key_file = $CA/mx.key"
t_zone dns share.test <<EOF
ns	IN A $NS
mx	IN A $M
alias	IN A $M
a1	IN MX 10 mx.share.test.
a2	IN MX 10 mx.share.test.
a3	IN MX 10 mx.share.test.
a4	IN MX 10 mx.share.test.
b	IN MX 10 alias.share.test.
c	IN MX 10 mx.share.test.
c	IN MX 20 alias.share.test.
EOF
t_nsd_start dns "$NS" share.test

# pf_count PATTERN: lines of Postfix's log with it.
pf_count() { grep -c "$1" "$LOG" 2>/dev/null || true; }
# Postfix's log is written by postlogd: wait until every connection so far
# is logged, its disconnect too.
pf_settle() {
	_n=100
	while [ "$_n" -gt 0 ]; do
		[ "$(pf_count ']: connect from ')" = "$(pf_count ']: disconnect from ')" ] &&
			[ "$(pf_count ']: connect from ')" = "${1:-$(pf_count ']: connect from ')}" ] && return 0
		sleep 0.1; _n=$((_n - 1))
	done
}

# The one connection t_postfix_start made (t_wait_port) is logged first.
pf_settle 1

# run NAME SHARE AUDIT WANT: one --once round; sets CONN and TLS to the
# connections and handshakes Postfix saw during it (WANT connections are
# waited for in the log, which postlogd writes late under load).
run() {
	cat >"$T_DIR/$1.ini" <<EOF
[exporter]
listen = 127.0.0.1:19931
timeout = 5s
resolver = $NS
ca_file = $CA/ca.crt
dnssec = off
mta_sts = off
tls_rpt = off
audit = $3
share = $2

[domain a1.share.test]
records = off
[domain a2.share.test]
records = off
[domain a3.share.test]
records = off
[domain a4.share.test]
records = off
[domain b.share.test]
records = off
[domain c.share.test]
records = off
EOF
	pf_settle
	_c0=$(pf_count ']: connect from ') _t0=$(pf_count 'TLS connection established from')
	"$T_BIN" --config "$T_DIR/$1.ini" --once >"$T_DIR/$1.prom" 2>"$T_DIR/$1.stderr" ||
		t_fail "$1: --once failed: $(tail -n 5 "$T_DIR/$1.stderr")"
	pf_settle $(( _c0 + $4 ))
	CONN=$(( $(pf_count ']: connect from ') - _c0 ))
	TLS=$(( $(pf_count 'TLS connection established from') - _t0 ))
}

l() { echo "domain=\"$1\",host=\"$2\",address=\"$M\",port=\"25\",protocol=\"smtp\""; }

# every domain's own series, from the shared or its own handshake
check_series() {
	for d in a1 a2 a3 a4 c; do
		t_assert_metric "$T_DIR/$1.prom" "mailsec_probe_success{$(l $d.share.test mx.share.test)}" 1
		t_assert_metric "$T_DIR/$1.prom" "mailsec_cert_hostname_match{$(l $d.share.test mx.share.test)}" 1
		t_assert_metric "$T_DIR/$1.prom" "mailsec_cert_not_after_timestamp_seconds{$(l $d.share.test mx.share.test)}" \
			"$(t_cert_epoch "$CA/mx.crt" enddate)"
	done
	for d in b c; do
		t_assert_metric "$T_DIR/$1.prom" "mailsec_probe_success{$(l $d.share.test alias.share.test)}" 1
		t_assert_metric "$T_DIR/$1.prom" "mailsec_cert_verified{$(l $d.share.test alias.share.test)}" 1
	done
	for d in a1 a2 a3 a4 b c; do
		t_assert_metric "$T_DIR/$1.prom" "mailsec_check_success{target=\"$d.share.test\",kind=\"domain\"}" 1
	done
	t_assert_metric "$T_DIR/$1.prom" 'mailsec_exporter_probes_total{protocol="smtp"}' 7
}

run on on off 2
check_series on
[ "$CONN" = 2 ] || t_fail "share = on: Postfix saw $CONN connections, want 2 (the distinct servers)"
[ "$TLS" = 2 ] || t_fail "share = on: Postfix saw $TLS TLS handshakes, want 2"
t_assert_metric "$T_DIR/on.prom" 'mailsec_exporter_probes_shared_total{protocol="smtp"}' 5
echo "ok: share = on: 2 handshakes for 7 endpoint results"

run off off off 7
check_series off
[ "$CONN" = 7 ] || t_fail "share = off: Postfix saw $CONN connections, want 7"
[ "$TLS" = 7 ] || t_fail "share = off: Postfix saw $TLS TLS handshakes, want 7"
t_assert_metric "$T_DIR/off.prom" 'mailsec_exporter_probes_shared_total{protocol="smtp"}' 0
echo "ok: share = off: one probe per domain and MX host"

# The MX hygiene of a1..a4 (the same MX host, answered alike) is one block
# with share = on (collectors/mxhyg.c, mxhyg_result_intern): fewer bytes,
# and every domain still has its own series, as with share = off.
hyg() { t_metric_value "$T_DIR/$1.prom" 'mailsec_exporter_result_bytes{part="mx_hygiene"}'; }
HON=$(hyg on) && HOFF=$(hyg off) || t_fail "no mailsec_exporter_result_bytes{part=\"mx_hygiene\"}"
[ "${HON%.*}" -gt 0 ] && [ "${HON%.*}" -lt "${HOFF%.*}" ] ||
	t_fail "MX hygiene bytes: share = on $HON, off $HOFF: want fewer, not none"
for d in a1 a2 a3 a4; do
	P="mailsec_mx_ipv6_addresses{domain=\"$d.share.test\",host=\"mx.share.test\"}"
	V=$(t_metric_value "$T_DIR/off.prom" "$P") || t_fail "share = off: no $P"
	t_assert_metric "$T_DIR/on.prom" "$P" "$V"
done
echo "ok: MX hygiene shared between a1..a4: $HON bytes (share = off: $HOFF)"

# The audit likewise: once per server, every domain gets its results.
run audit on on 24
check_series audit
A=$(t_metric_value "$T_DIR/audit.prom" "mailsec_tls_audit_handshakes{$(l a1.share.test mx.share.test)}") ||
	t_fail "no mailsec_tls_audit_handshakes for a1.share.test"
[ "$A" -gt 2 ] || t_fail "audit: $A handshakes, want several"
for d in a2 a3 a4 c; do
	t_assert_metric "$T_DIR/audit.prom" "mailsec_tls_audit_handshakes{$(l $d.share.test mx.share.test)}" "$A"
	t_assert_metric "$T_DIR/audit.prom" "mailsec_tls_version_accepted{$(l $d.share.test mx.share.test),version=\"TLSv1.2\"}" 1
	t_assert_metric "$T_DIR/audit.prom" "mailsec_tls_version_accepted{$(l $d.share.test mx.share.test),version=\"TLSv1.3\"}" 1
done
for d in b c; do
	t_assert_metric "$T_DIR/audit.prom" "mailsec_tls_audit_handshakes{$(l $d.share.test alias.share.test)}" "$A"
done
[ "$CONN" = $(( 2 * (1 + A) )) ] ||
	t_fail "share = on, audit: Postfix saw $CONN connections, want $(( 2 * (1 + A) )) (2 servers x (1 + $A))"
echo "ok: share = on, audit = on: $CONN connections (2 servers x (1 probe + $A audit handshakes))"
