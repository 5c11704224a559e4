#!/bin/sh
# DANE for SMTP (RFC 7672) in the probe's own handshake: zones signed here
# (ldns-signzone) and served by a real NSD, the exporter validating them
# itself through dnssec_forwarder with the test's trust anchors, and real
# Postfix instances whose certificates the TLSA records pin.  Each case has
# its exact metrics, and each is cross-checked with openssl s_client's own
# DANE (-dane_tlsa_domain, -dane_tlsa_rrdata).
#
# Loopback only: NSD on 127.0.64.53, Postfix on 127.0.64.1-3.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup dane

NS=127.0.64.53
FULL=127.0.64.1		# leaf + CA: the CA is presented
LEAF=127.0.64.2		# the leaf alone
EXPD=127.0.64.3		# an expired leaf + CA
OUT=$T_DIR/metrics.prom
for a in $NS $FULL $LEAF $EXPD; do t_addr "$a"; done

CA=$T_DIR/ca
t_ca "$CA" ec256
# One name list for the certificates: the MX hosts that use DANE-TA must
# be in them (DANE-EE ignores names).
SANS="DNS:mx-ta.d.test,DNS:mx-tanp.d.test,DNS:mx-ee.d.test"
t_cert "$CA" full mx-ee.d.test "$SANS" 1 300 ec256
t_cert "$CA" leaf mx-ee.d.test "$SANS" 1 300 ec256
t_cert "$CA" expd mx-ee.d.test "$SANS" 30 -2 ec256
t_cert "$CA" other mx-ee.d.test "$SANS" 1 300 ec256	# a next key

spki() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | "$2" | cut -d' ' -f1; }
cert() { openssl x509 -in "$1" -outform DER | "$2" | cut -d' ' -f1; }
EE311=$(spki "$CA/full.crt" sha256sum)
EE312=$(spki "$CA/full.crt" sha512sum)
EE301=$(cert "$CA/full.crt" sha256sum)
NEXT311=$(spki "$CA/other.crt" sha256sum)
LEAF311=$(spki "$CA/leaf.crt" sha256sum)
EXP311=$(spki "$CA/expd.crt" sha256sum)
TA201=$(cert "$CA/ca.crt" sha256sum)
WRONG=$(printf '%064d' 0 | tr 0 b)
WRONG512=$(printf '%0128d' 0 | tr 0 c)

pf() {
	t_postfix_start "$1" "$2" "$1.d.test" $5 "smtpd_tls_security_level = may" \
		"smtpd_tls_cert_file = $3" "smtpd_tls_key_file = $4"
}
pf full "$FULL" "$CA/full.chain.pem" "$CA/full.key" "+submission +smtps"
pf leaf "$LEAF" "$CA/leaf.crt" "$CA/leaf.key"
pf expd "$EXPD" "$CA/expd.chain.pem" "$CA/expd.key"

# A domain per case: DOMAIN MX-HOST ADDRESS [TLSA rdata...].
ZONE=$T_DIR/d.test.body
DOMAINS=
case_zone() {
	_d=$1 _h=$2 _a=$3
	shift 3
	DOMAINS="$DOMAINS $_d"
	printf '%s IN MX 10 %s.d.test.\n%s IN A %s\n' "$_d" "$_h" "$_h" "$_a" >>"$ZONE"
	for _r in "$@"; do
		printf '_25._tcp.%s IN TLSA %s\n' "$_h" "$_r" >>"$ZONE"
	done
}
: >"$ZONE"
case_zone ee311 mx-ee "$FULL" "3 1 1 $EE311"
case_zone ee311bad mx-eebad "$FULL" "3 1 1 $WRONG"
case_zone ee301 mx-ee301 "$FULL" "3 0 1 $EE301"
case_zone ta mx-ta "$FULL" "2 0 1 $TA201"
case_zone tanp mx-tanp "$LEAF" "2 0 1 $TA201"
case_zone taname mx-taname "$FULL" "2 0 1 $TA201"
case_zone expired mx-expd "$EXPD" "3 1 1 $EXP311"
case_zone pkix mx-pkix "$FULL" "0 0 1 $TA201" "1 1 1 $EE311"
case_zone agility mx-agil "$FULL" "3 1 1 $EE311" "3 1 2 $WRONG512"
case_zone roll mx-roll "$FULL" "3 1 1 $EE311" "3 1 1 $NEXT311"
case_zone badlen mx-badlen "$FULL" "3 1 1 abcdef0123" "3 1 2 $EE311"
case_zone none mx-none "$FULL"
# 465 and 587 use their own names: _465._tcp matches, _587._tcp does not,
# and port 25 has none
DOMAINS="$DOMAINS ports"
printf 'ports IN MX 10 mx-ports.d.test.\nmx-ports IN A %s\n_465._tcp.mx-ports IN TLSA 3 1 1 %s\n_587._tcp.mx-ports IN TLSA 3 1 1 %s\n' \
	"$FULL" "$EE311" "$WRONG" >>"$ZONE"
# An MX host that is a CNAME: the records at the expanded name count first
# (the alias's own, wrong, record is not used).
DOMAINS="$DOMAINS cname"
printf 'cname IN MX 10 mx-alias.d.test.\nmx-alias IN CNAME mx-ee.d.test.\n_25._tcp.mx-alias IN TLSA 3 1 1 %s\n' \
	"$WRONG" >>"$ZONE"
# 500 records, none of them right: bounded at 64 kept, no crash.  (No
# right one among them: the validator may hand the set over in any order,
# so which 64 are kept is not fixed.)
DOMAINS="$DOMAINS big"
printf 'big IN MX 10 mx-big.d.test.\nmx-big IN A %s\n' "$FULL" >>"$ZONE"
i=0
while [ $i -lt 500 ]; do
	printf '_25._tcp.mx-big IN TLSA 3 1 1 %064x\n' $i
	i=$((i + 1))
done >>"$ZONE"
{ printf 'ns IN A %s\n' "$NS"; cat "$ZONE"; } | t_zone dns d.test
t_zone dns plain.test <<EOF
ns		IN A $NS
@		IN MX 10 mx.plain.test.
mx		IN A $FULL
_25._tcp.mx	IN TLSA 3 1 1 $EE311
EOF
t_zone dns bogus.test <<EOF
ns		IN A $NS
@		IN MX 10 mx.bogus.test.
mx		IN A $FULL
_25._tcp.mx	IN TLSA 3 1 1 $EE311
EOF
t_zone_sign dns d.test
t_zone_sign dns bogus.test expired
t_nsd_start dns "$NS" d.test plain.test bogus.test

{
	cat <<EOF
[exporter]
timeout = 5s
resolver = $NS
ca_file = $CA/ca.crt
dnssec_trust_anchor_file = $T_DIR/dns/trust-anchors
dnssec_forwarder = $NS
audit = off
EOF
	for d in $DOMAINS; do
		printf '\n[domain %s.d.test]\nrecords = off\nmta_sts = off\ntls_rpt = off\n' "$d"
		[ "$d" = ports ] && echo "smtp_ports = 25, 465, 587"
	done
	for d in plain.test bogus.test; do
		printf '\n[domain %s]\nrecords = off\nmta_sts = off\ntls_rpt = off\n' "$d"
	done
} >"$T_DIR/exporter.ini"
start=$(date +%s)
"$T_BIN" --config "$T_DIR/exporter.ini" --once >"$OUT" 2>"$T_DIR/stderr" ||
	t_fail "--once failed: $(tail -n 5 "$T_DIR/stderr")"
t_log "--once took $(( $(date +%s) - start )) s"

E='port="25",protocol="smtp"'
L() { printf 'domain="%s.d.test",host="%s.d.test",address="%s",%s' "$1" "$2" "$3" "$E"; }
m() { t_assert_metric "$OUT" "$1" "$2"; }
# dane CASE HOST ADDR APPLICABLE VALID ROLLOVER REASON: the endpoint's DANE
# series (VALID/ROLLOVER "-": absent; REASON "-": no error_info).
dane() {
	_l=$(L "$1" "$2" "$3")
	m "mailsec_dane_applicable{$_l}" "$4"
	if [ "$5" = - ]; then t_assert_absent "$OUT" "mailsec_dane_valid{$_l}"
	else m "mailsec_dane_valid{$_l}" "$5"; fi
	if [ "$6" = - ]; then t_assert_absent "$OUT" "mailsec_dane_rollover_ready{$_l}"
	else m "mailsec_dane_rollover_ready{$_l}" "$6"; fi
	if [ "$7" = - ]; then t_assert_absent "$OUT" "mailsec_dane_error_info{$_l,"
	else
		m "mailsec_dane_error_info{$_l,reason=\"$7\"}" 1
		[ "$(grep -c "^mailsec_dane_error_info{$_l," "$OUT")" = 1 ] ||
			t_fail "$1: more than one reason"
	fi
}
# rec CASE HOST ADDR U S M RESULT COUNT
rec() {
	m "mailsec_dane_tlsa_records{$(L "$1" "$2" "$3"),usage=\"$4\",selector=\"$5\",matching_type=\"$6\",result=\"$7\"}" "$8"
}
# xcheck ADDR TLSA-DOMAIN ok|fail RDATA...: openssl s_client's own DANE
# verdict on the same server and records ("DANE TLSA u s m ... matched"
# only when DANE, not PKIX, authenticated; DANE-TA also names the peer).
xcheck() {
	_xa=$1 _xd=$2 _xw=$3
	shift 3
	set -- "$@" --
	for _r in "$@"; do
		[ "$_r" = -- ] && break
		set -- "$@" -dane_tlsa_rrdata "$_r"
		shift
	done
	shift
	t_sclient "$T_DIR/xcheck.out" "$_xa" 25 smtp "$_xd" -dane_tlsa_domain "$_xd" \
		-dane_ee_no_namechecks "$@"
	if [ "$_xw" = ok ]; then
		grep -q '^Verification: OK' "$T_DIR/xcheck.out" &&
			grep -q '^DANE TLSA .* matched' "$T_DIR/xcheck.out" ||
			t_fail "s_client does not verify $_xd by DANE: $(grep -i verif "$T_DIR/xcheck.out")"
	else
		grep -q '^Verification error' "$T_DIR/xcheck.out" ||
			t_fail "s_client verifies $_xd by DANE: $(grep -i verif "$T_DIR/xcheck.out")"
	fi
	echo "ok: s_client $_xd $_xw"
}

# 3 1 1 of the served key; a lone record: not ready for a rollover
dane ee311 mx-ee "$FULL" 1 1 0 -
rec ee311 mx-ee "$FULL" 3 1 1 matches 1
xcheck "$FULL" mx-ee.d.test ok "3 1 1 $EE311"
# DANE does not change the PKIX verdict (the CA is in ca_file)
m "mailsec_cert_verified{$(L ee311 mx-ee "$FULL")}" 1
# 3 1 1 of another key
dane ee311bad mx-eebad "$FULL" 1 0 0 no_match
rec ee311bad mx-eebad "$FULL" 3 1 1 no_match 1
xcheck "$FULL" mx-eebad.d.test fail "3 1 1 $WRONG"
# 3 0 1 of the full certificate
dane ee301 mx-ee301 "$FULL" 1 1 0 -
rec ee301 mx-ee301 "$FULL" 3 0 1 matches 1
xcheck "$FULL" mx-ee301.d.test ok "3 0 1 $EE301"
# 2 0 1 of the CA the server presents: a CA survives a leaf change
dane ta mx-ta "$FULL" 1 1 1 -
rec ta mx-ta "$FULL" 2 0 1 matches 1
xcheck "$FULL" mx-ta.d.test ok "2 0 1 $TA201"
# 2 0 1 of a CA the server does not present
dane tanp mx-tanp "$LEAF" 1 0 0 ta_not_presented
rec tanp mx-tanp "$LEAF" 2 0 1 no_match 1
xcheck "$LEAF" mx-tanp.d.test fail "2 0 1 $TA201"
# DANE-TA checks the name: the MX host is not in the certificate
dane taname mx-taname "$FULL" 1 0 1 name_mismatch
rec taname mx-taname "$FULL" 2 0 1 matches 1
xcheck "$FULL" mx-taname.d.test fail "2 0 1 $TA201"
# DANE-EE on an expired certificate: valid (RFC 7672 3.1.1), PKIX not
dane expired mx-expd "$EXPD" 1 1 0 -
m "mailsec_cert_verified{$(L expired mx-expd "$EXPD")}" 0
xcheck "$EXPD" mx-expd.d.test ok "3 1 1 $EXP311"
# only usages 0 and 1: present but unusable, not a pass
dane pkix mx-pkix "$FULL" 0 - - unusable
rec pkix mx-pkix "$FULL" 0 0 1 unusable 1
rec pkix mx-pkix "$FULL" 1 1 1 unusable 1
# a matching SHA-256 beside a wrong SHA-512: judged on the SHA-512 one
dane agility mx-agil "$FULL" 1 0 0 no_match
rec agility mx-agil "$FULL" 3 1 1 unusable 1
rec agility mx-agil "$FULL" 3 1 2 no_match 1
xcheck "$FULL" mx-agil.d.test fail "3 1 1 $EE311" "3 1 2 $WRONG512"
# the next key published beside the current one: ready
dane roll mx-roll "$FULL" 1 1 1 -
rec roll mx-roll "$FULL" 3 1 1 matches 1
rec roll mx-roll "$FULL" 3 1 1 no_match 1
xcheck "$FULL" mx-roll.d.test ok "3 1 1 $EE311" "3 1 1 $NEXT311"
# digests of the wrong length are unusable; the SHA-512 slot holds a
# SHA-256 digest: nothing usable
dane badlen mx-badlen "$FULL" 0 - - unusable
rec badlen mx-badlen "$FULL" 3 1 1 unusable 1
rec badlen mx-badlen "$FULL" 3 1 2 unusable 1
# secure denial of TLSA: no DANE, and that is a secure answer
dane none mx-none "$FULL" 0 - - no_tlsa
t_assert_absent "$OUT" "mailsec_dane_tlsa_records{$(L none mx-none "$FULL"),"
# the CNAMEd MX host: the expanded name's records
dane cname mx-alias "$FULL" 1 1 0 -
rec cname mx-alias "$FULL" 3 1 1 matches 1
# each port its own TLSA name
P='domain="ports.d.test",host="mx-ports.d.test",address="'$FULL'"'
m "mailsec_dane_error_info{$P,port=\"25\",protocol=\"smtp\",reason=\"no_tlsa\"}" 1
m "mailsec_dane_valid{$P,port=\"465\",protocol=\"smtps\"}" 1
m "mailsec_dane_tlsa_records{$P,port=\"465\",protocol=\"smtps\",usage=\"3\",selector=\"1\",matching_type=\"1\",result=\"matches\"}" 1
m "mailsec_dane_valid{$P,port=\"587\",protocol=\"submission\"}" 0
m "mailsec_dane_error_info{$P,port=\"587\",protocol=\"submission\",reason=\"no_match\"}" 1
# 500 records: 64 kept, the matching one past the cap is not among them
dane big mx-big "$FULL" 1 0 0 no_match
rec big mx-big "$FULL" 3 1 1 no_match 64
# TLSA in an unsigned zone: insecure, DANE does not apply
m "mailsec_dane_applicable{domain=\"plain.test\",host=\"mx.plain.test\",address=\"$FULL\",$E}" 0
m "mailsec_dane_error_info{domain=\"plain.test\",host=\"mx.plain.test\",address=\"$FULL\",$E,reason=\"insecure\"}" 1
t_assert_absent "$OUT" "mailsec_dane_valid{domain=\"plain.test\","
# expired signatures: bogus, never "no TLSA"
m "mailsec_dane_error_info{domain=\"bogus.test\",host=\"mx.bogus.test\",address=\"$FULL\",$E,reason=\"bogus\"}" 1
m 'mailsec_dnssec_secure{domain="bogus.test",name="bogus.test"}' 0

# The DANE path under valgrind (the plain build; an ASan one skips it):
# the lookups, the handshake with records, the 500-record set, a CNAME.
if command -v valgrind >/dev/null 2>&1 && ! ldd "$T_BIN" | grep -q libasan; then
	awk '/^\[domain / { keep = ($0 ~ /^\[domain (ee311|ta|agility|big|cname|tanp|bogus)\./) }
		!/^\[domain / && !keep && d { next } /^\[domain / { d = 1; if (!keep) next } { print }' \
		"$T_DIR/exporter.ini" | sed 's/^timeout = .*/timeout = 15s/' >"$T_DIR/vg.ini"
	valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30 \
		"$T_BIN" --config "$T_DIR/vg.ini" --once >"$T_DIR/vg.prom" 2>"$T_DIR/vg.log" ||
		{ tail -n 40 "$T_DIR/vg.log" >&2; t_fail "--once under valgrind failed"; }
	grep -q 'ERROR SUMMARY: 0 errors' "$T_DIR/vg.log" ||
		{ tail -n 40 "$T_DIR/vg.log" >&2; t_fail "valgrind errors"; }
	t_assert_metric "$T_DIR/vg.prom" "mailsec_dane_valid{$(L ta mx-ta "$FULL")}" 1
	t_assert_metric "$T_DIR/vg.prom" "mailsec_dane_valid{$(L cname mx-alias "$FULL")}" 1
	echo "ok: valgrind clean"
fi

# The check command (the report's DANE line per endpoint, its exit
# status) and its JSON: the same verdicts.
timeout 60 "$T_BIN" check --resolver "$NS" --ca-file "$CA/ca.crt" \
	--trust-anchor "$T_DIR/dns/trust-anchors" --dnssec-forwarder "$NS" \
	--timeout 5s ee311bad.d.test roll.d.test ee311.d.test plain.test none.d.test \
	>"$T_DIR/check.out" 2>"$T_DIR/check.err" </dev/null
rc=$?
[ "$rc" = 2 ] || t_fail "check exited $rc, want 2: $(cat "$T_DIR/check.err")"
for l in "    DANE         fail  mismatch (no_match): no matching DANE TLSA records" \
	"    DANE         pass  valid (DANE-EE at depth 0)" \
	"                       1x 3 1 1 matches, 1x 3 1 1 no_match" \
	"    DANE         warn  valid, but no record for a next key: a key change breaks DANE" \
	"    DANE         n/a   insecure: the zone is not signed, DANE does not apply" \
	"    DANE         n/a   none: no TLSA records (securely denied)"; do
	grep -qxF -- "$l" "$T_DIR/check.out" ||
		{ cat "$T_DIR/check.out" >&2; t_fail "no report line \"$l\""; }
done
echo "ok: check report"
timeout 60 "$T_BIN" check --json --resolver "$NS" --ca-file "$CA/ca.crt" \
	--trust-anchor "$T_DIR/dns/trust-anchors" --dnssec-forwarder "$NS" \
	--timeout 5s ee311bad.d.test roll.d.test ee311.d.test plain.test none.d.test \
	>"$T_DIR/check.json" 2>"$T_DIR/check.err" </dev/null
python3 - "$T_DIR/check.json" <<'PY' || t_fail "the JSON API's DANE"
import json, sys
doc = json.load(open(sys.argv[1]))
t = {x["name"]: x for x in doc["targets"]}
want = {"ee311bad.d.test": ("fail", "dane_mismatch", "no_match", False),
        "roll.d.test": ("pass", None, None, True),
        "ee311.d.test": ("warn", "dane_rollover_not_ready", None, True),
        "plain.test": ("n/a", None, "insecure", None),
        "none.d.test": ("n/a", None, "no_tlsa", None)}
for name, (v, f, reason, valid) in want.items():
    d = t[name]["checks"]["dane"]
    e = t[name]["endpoints"][0]["dane"]
    got = (d["verdict"], d["finding"], e["reason"], e["valid"])
    if got != (v, f, reason, valid):
        sys.exit("%s: %r, want %r" % (name, got, (v, f, reason, valid)))
e = t["roll.d.test"]["endpoints"][0]["dane"]
assert e["rollover_ready"] is True and e["tlsa_dnssec"] == "secure", e
print("ok: JSON dane")
PY

# A validator that gets no answer (a forwarder that reads and never
# replies): the lookup times out, the reason is "dns", never "no TLSA",
# and the probe still runs, once the bounded wait is over.
SILENT=127.0.64.54
t_addr "$SILENT"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((sys.argv[1], 53)); t.listen(16)
while True:
	s.recv(4096)
' "$SILENT" &
t_pid $!
t_wait_port "$SILENT" 53 5 || t_fail "the silent forwarder does not listen"
sed -e "s/^dnssec_forwarder = .*/dnssec_forwarder = $SILENT/" -e "s/^timeout = .*/timeout = 2s/" \
	"$T_DIR/exporter.ini" | awk '/^\[domain / { keep = ($0 == "[domain ee311.d.test]") } !/^\[domain / && !keep && d { next } /^\[domain / { d = 1; if (!keep) next } { print }' \
	>"$T_DIR/silent.ini"
start=$(date +%s)
"$T_BIN" --config "$T_DIR/silent.ini" --once >"$T_DIR/silent.prom" 2>"$T_DIR/silent.err" ||
	t_fail "--once (silent validator) failed: $(tail -n 5 "$T_DIR/silent.err")"
took=$(( $(date +%s) - start ))
t_log "--once with a silent validator took $took s"
[ "$took" -le 8 ] || t_fail "the wait for the validator is not bounded: $took s"
t_assert_metric "$T_DIR/silent.prom" "mailsec_dane_applicable{$(L ee311 mx-ee "$FULL")}" 0
t_assert_metric "$T_DIR/silent.prom" "mailsec_dane_error_info{$(L ee311 mx-ee "$FULL"),reason=\"dns\"}" 1
t_assert_metric "$T_DIR/silent.prom" "mailsec_probe_success{$(L ee311 mx-ee "$FULL")}" 1

promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
	t_fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
echo "all cases passed"
