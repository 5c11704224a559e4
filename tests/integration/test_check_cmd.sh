#!/bin/sh
# `mailsec_exporter check` end to end, with no config file: a real NSD
# (127.0.10.80) serves the domains, real Postfix instances are their MX.
#   good.test     MX mx.good.test (127.0.10.81: strict Postfix, valid cert),
#                 SPF -all, DKIM selector "mail" (2048-bit RSA), DMARC reject
#   expired.test  MX mx.expired.test (127.0.10.83: expired certificate)
#   notls.test    MX mx.notls.test (127.0.10.82: no STARTTLS)
#   records.test  null MX; SPF +all; DMARC p=none; selector "mail" absent
#   nodmarc.test  null MX; SPF -all; no DMARC
#   warn.test     null MX; SPF -all; DMARC p=none: warnings only
# Each case: the exact verdict lines, the advice, the exit status; --json
# parses and has the JSON API's keys (the daemon's own /api/v1/status for
# the same target); colours only on a terminal and never with NO_COLOR.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
. "$(dirname "$0")/../lib/dovecot.sh"
t_setup check_cmd

NS=127.0.10.80 GOOD=127.0.10.81 NOTLS=127.0.10.82 EXP=127.0.10.83
NONS=127.0.10.89 DOVE=127.0.10.84	# Dovecot: not on lo (tests/lib/dovecot.sh)
CA=$T_DIR/ca
K=$T_DIR/keys
mkdir -p "$K"
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built (make)"

t_ca "$CA"
# ECDSA P-256: a 2048-bit RSA key is "phase out" for the ratings.
t_cert "$CA" good mx.good.test "DNS:mx.good.test,IP:$GOOD" 1 200 ec256
t_cert "$CA" expired mx.expired.test "DNS:mx.expired.test" 90 -3
t_cert "$CA" dove "$DOVE" "IP:$DOVE" 1 100 ec256
for a in $GOOD $NOTLS $EXP; do t_addr "$a"; done
# Suites, groups and key every rating passes (doc/ratings.md).
t_dovecot_start dv "$DOVE" "$CA/dove.chain.pem" "$CA/dove.key" "ssl_min_protocol = TLSv1.2" \
	"ssl_cipher_list = ECDHE+AESGCM:ECDHE+CHACHA20" "ssl_prefer_server_ciphers = yes" \
	"ssl_curve_list = X25519:P-256:P-384"
# "high" without the suites NCSC-NL rates phase out or insufficient (CBC
# with SHA-2 too) and the server's order: every rating sufficient or good.
t_postfix_start pf_good "$GOOD" mx.good.test +smtps \
	"smtpd_tls_security_level = may" \
	"smtpd_tls_protocols = >=TLSv1.2" "smtpd_tls_mandatory_protocols = >=TLSv1.2" \
	"smtpd_tls_ciphers = high" "smtpd_tls_mandatory_ciphers = high" \
	"smtpd_tls_exclude_ciphers = aNULL, eNULL, kRSA, kDHE, SHA1, SHA256, SHA384, CAMELLIA, ARIA, PSK, SRP, AESCCM8" \
	"tls_preempt_cipherlist = yes" \
	"smtpd_tls_cert_file = $CA/good.chain.pem" "smtpd_tls_key_file = $CA/good.key"
t_postfix_start pf_notls "$NOTLS" mx.notls.test "smtpd_tls_security_level = none"
t_postfix_start pf_expired "$EXP" mx.expired.test \
	"smtpd_tls_security_level = may" \
	"smtpd_tls_protocols = >=TLSv1.2" "smtpd_tls_mandatory_protocols = >=TLSv1.2" \
	"smtpd_tls_ciphers = high" "smtpd_tls_mandatory_ciphers = high" \
	"smtpd_tls_exclude_ciphers = aNULL, eNULL, kRSA, kDHE, SHA1, CAMELLIA, ARIA, PSK, SRP" \
	"smtpd_tls_cert_file = $CA/expired.chain.pem" "smtpd_tls_key_file = $CA/expired.key"

openssl genrsa -out "$K/mail.pem" 2048 2>/dev/null || t_fail "genrsa"
P=$(openssl rsa -in "$K/mail.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
split_txt() { printf '%s' "$1" | fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' '; }

t_zone dns good.test <<EOF
ns		IN A $NS
@		IN MX 10 mx.good.test.
mx		IN A $GOOD
@		IN TXT "v=spf1 mx -all"
_dmarc		IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"
mail._domainkey	IN TXT "v=DKIM1; k=rsa; " $(split_txt "p=$P")
EOF
t_zone dns expired.test <<EOF
ns		IN A $NS
@		IN MX 10 mx.expired.test.
mx		IN A $EXP
@		IN TXT "v=spf1 mx -all"
_dmarc		IN TXT "v=DMARC1; p=reject"
EOF
t_zone dns notls.test <<EOF
ns		IN A $NS
@		IN MX 10 mx.notls.test.
mx		IN A $NOTLS
@		IN TXT "v=spf1 mx -all"
_dmarc		IN TXT "v=DMARC1; p=reject"
EOF
t_zone dns records.test <<EOF
ns		IN A $NS
@		IN MX 0 .
@		IN TXT "v=spf1 +all"
_dmarc		IN TXT "v=DMARC1; p=none"
EOF
t_zone dns nodmarc.test <<EOF
ns		IN A $NS
@		IN MX 0 .
@		IN TXT "v=spf1 -all"
EOF
t_zone dns warn.test <<EOF
ns		IN A $NS
@		IN MX 0 .
@		IN TXT "v=spf1 -all"
_dmarc		IN TXT "v=DMARC1; p=none"
EOF
t_nsd_start dns "$NS" good.test expired.test notls.test records.test \
	nodmarc.test warn.test

# chk NAME WANT_RC ARGS...: runs check (resolver $RES, else the NSD), output
# in $T_DIR/NAME.out and .err.
chk() {
	_n=$1 _want=$2
	shift 2
	timeout 60 "$T_BIN" check --resolver "${RES:-$NS}" --ca-file "$CA/ca.crt" \
		--timeout 5s "$@" >"$T_DIR/$_n.out" 2>"$T_DIR/$_n.err" </dev/null
	_rc=$?
	if [ "$_rc" -ne "$_want" ]; then
		cat "$T_DIR/$_n.out" "$T_DIR/$_n.err" >&2
		t_fail "$_n: check $* exited $_rc, want $_want (output above)"
	fi
	echo "ok: $_n: exit $_rc"
}
# has NAME LINE: the report holds LINE exactly (leading blanks included).
has() {
	grep -qxF -- "$2" "$T_DIR/$1.out" || {
		cat "$T_DIR/$1.out" >&2
		t_fail "$1: no line \"$2\" in the report (above)"
	}
}
hasnt() {
	if grep -qF -- "$2" "$T_DIR/$1.out"; then
		cat "$T_DIR/$1.out" >&2
		t_fail "$1: the report should not hold \"$2\" (above)"
	fi
}

# --- good: everything passes, exit 0 ---------------------------------------
chk good 0 good.test --dkim-selector mail
has good "good.test: pass"
has good "  MX           pass  mx.good.test (10)"
has good "  mx.good.test ($GOOD) port 25, smtp"
has good "    STARTTLS     pass  offered"
has good "    TLS          pass  TLSv1.2 and newer only (audited)"
grep -q "^                       negotiated TLSv1.3 .*; accepts TLSv1.2, TLSv1.3; refuses TLSv1, TLSv1.1; no weak suites$" "$T_DIR/good.out" ||
	t_fail "good: TLS facts line: $(grep -A1 '    TLS  ' "$T_DIR/good.out")"
DAYS=$(( ($(t_cert_epoch "$CA/good.crt" enddate) - $(date +%s)) / 86400 ))
has good "    Certificate  pass  valid, $DAYS days left"
grep -q "^                       CN=mx.good.test, issued by CN=mailsec test CA; expires [0-9-]* ($DAYS days); chain of 2, verified; valid for mx.good.test; EC 256 bits, sha256WithRSAEncryption$" "$T_DIR/good.out" ||
	t_fail "good: certificate facts: $(grep -A1 'Certificate' "$T_DIR/good.out")"
has good "    TLS rating   pass  sufficient (NCSC-NL)"
has good "  SPF          pass  valid, ends -all"
has good "  DKIM         pass  1 key valid"
has good "  DMARC        pass  p=reject"
has good "1 target: 1 pass, 0 warn, 0 fail"
hasnt good "fix:"
# no terminal: no colours, no progress
if grep -q "$(printf '\033')" "$T_DIR/good.out" "$T_DIR/good.err"; then
	t_fail "good: escape sequences without a terminal"
fi
[ ! -s "$T_DIR/good.err" ] || t_fail "good: stderr not empty: $(cat "$T_DIR/good.err")"

# endpoints: the port picks the protocol; an address alone is port 25
chk ep 0 "$GOOD:465" "$GOOD"
has ep "$GOOD:465: pass"
has ep "  $GOOD port 465, smtps"
has ep "$GOOD:25: pass"
has ep "  $GOOD port 25, smtp"
# STARTTLS under port 25 only, not under implicit TLS
grep -c '^    STARTTLS     pass  offered$' "$T_DIR/ep.out" | grep -qx 1 ||
	t_fail "ep: want one STARTTLS line (port 25 only)"

# IMAP and POP3 by port: STARTTLS (STLS) on 143 and 110, implicit on 993, 995
chk dove 0 "$DOVE:143" "$DOVE:993" "$DOVE:110" "$DOVE:995"
has dove "  $DOVE port 143, imap"
has dove "  $DOVE port 993, imaps"
has dove "  $DOVE port 110, pop3"
has dove "  $DOVE port 995, pop3s"
[ "$(grep -c '^    STARTTLS     pass  offered$' "$T_DIR/dove.out")" -eq 2 ] ||
	t_fail "dove: want STARTTLS lines under 143 and 110 only"
[ "$(grep -c '^    Certificate  pass  valid, 99 days left$' "$T_DIR/dove.out")" -eq 4 ] ||
	t_fail "dove: want 4 certificate lines"
has dove "4 targets: 4 pass, 0 warn, 0 fail"

# --- expired certificate: exit 2 --------------------------------------------
chk expired 2 expired.test
AGO=$(( ($(date +%s) - $(t_cert_epoch "$CA/expired.crt" enddate)) / 86400 ))
has expired "expired.test: fail"
has expired "    Certificate  fail  expired $AGO days ago"
has expired "                 fix:  renew the certificate of mx.expired.test and reload the server"
has expired "    STARTTLS     pass  offered"

# --- no STARTTLS: exit 2 ------------------------------------------------------
chk notls 2 notls.test
grep -qE '^    Connection   pass  reached, [0-9]+\.[0-9]{2} s$' "$T_DIR/notls.out" ||
	t_fail "notls: connection line: $(grep Connection "$T_DIR/notls.out")"
has notls "    STARTTLS     fail  not offered by mx.notls.test ($NOTLS) port 25"
has notls "                 fix:  turn STARTTLS on with a certificate (Postfix: smtpd_tls_security_level = may and smtpd_tls_chain_files; Dovecot: ssl = yes)"
hasnt notls "    TLS   "
hasnt notls "Certificate"

# --- broken records: exit 2 ---------------------------------------------------
chk records 2 records.test --dkim-selector mail
has records "  MX           pass  null MX: the domain takes no mail"
has records "  SPF          fail  +all lets anyone send"
has records "               fix:  end the SPF record of records.test with -all (or ~all) instead of +all"
has records "  DKIM         fail  selector mail: no key"
has records "               fix:  publish the key: mail._domainkey.records.test TXT \"v=DKIM1; k=rsa; p=...\""
has records "  DMARC        warn  p=none: monitoring only"
has records "               fix:  once the reports show your mail passes, set p=quarantine (then p=reject) in _dmarc.records.test"

chk nodmarc 2 nodmarc.test
has nodmarc "  DMARC        fail  no DMARC record"
has nodmarc "               fix:  publish a DMARC record: _dmarc.nodmarc.test TXT \"v=DMARC1; p=quarantine; rua=mailto:...\""
has nodmarc "  DKIM         n/a   no dkim_selectors configured"

# --- warnings only: exit 1 -------------------------------------------------------
chk warn 1 warn.test
has warn "warn.test: warn"
has warn "1 target: 0 pass, 1 warn, 0 fail"

# several targets: the worst decides; the report keeps the order given
chk several 2 warn.test good.test nodmarc.test
has several "3 targets: 1 pass, 1 warn, 1 fail"
[ "$(grep -E '^[a-z.]+: ' "$T_DIR/several.out" | cut -d: -f1 | tr '\n' ' ')" = "warn.test good.test nodmarc.test " ] ||
	t_fail "several: targets out of order: $(grep -E '^[a-z.]+: ' "$T_DIR/several.out")"

# the README's sample (tests/out/check_cmd/sample.out)
chk sample 2 good.test notls.test records.test --dkim-selector mail
has sample "3 targets: 1 pass, 0 warn, 2 fail"

# --- could not check: exit 3 --------------------------------------------------------
if _l=$(t_listening "$NONS" 53); then t_fail "$NONS:53 must be free: $_l"; fi
RES=$NONS chk nodns 3 good.test
has nodns "  MX           fail  the DNS lookup failed"
grep -qxF "mailsec_exporter check: could not check: no usable DNS answer for any target (resolver: $NONS:53)" "$T_DIR/nodns.err" ||
	t_fail "nodns: stderr: $(cat "$T_DIR/nodns.err")"
chk badarg 3 'good.test;rm'
grep -qF 'mailsec_exporter check: "good.test;rm": bad character in target' "$T_DIR/badarg.err" ||
	t_fail "badarg: $(cat "$T_DIR/badarg.err")"
chk badport 3 good.test:2525
grep -qF 'no protocol for this port' "$T_DIR/badport.err" || t_fail "badport: $(cat "$T_DIR/badport.err")"
RES=1.2.3 chk badres 3 good.test
grep -qxF 'mailsec_exporter check: --resolver 1.2.3: "1.2.3": not a numeric ip address' "$T_DIR/badres.err" ||
	t_fail "badres: $(cat "$T_DIR/badres.err")"
chk noarg 3
chk badca 3 --ca-file "$T_DIR/none.pem" good.test

# interrupted (SIGINT) while a server says nothing: the report so far, exit 3
TARPIT=127.0.10.88
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 25)); s.listen(8)
conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept()[0])
    except OSError: pass
' "$TARPIT" &
t_pid $!
t_wait_port "$TARPIT" 25 10 || t_fail "tarpit not listening"
"$T_BIN" check --timeout 30s "$TARPIT:25" >"$T_DIR/intr.out" 2>"$T_DIR/intr.err" </dev/null &
_cp=$!
sleep 1
kill -INT "$_cp"
wait "$_cp"
_rc=$?
[ "$_rc" -eq 3 ] || t_fail "interrupted: exit $_rc, want 3"
has intr "$TARPIT:25: pending"
has intr "  not checked"
has intr "1 target: 0 pass, 0 warn, 0 fail, 1 not checked"
grep -qxF "mailsec_exporter check: interrupted before every check ended" "$T_DIR/intr.err" ||
	t_fail "interrupted: stderr: $(cat "$T_DIR/intr.err")"
echo "ok: interrupted: exit 3, the report so far"

# --- JSON: parses, the API's schema -----------------------------------------------
chk json 2 --json good.test notls.test --dkim-selector mail
python3 -m json.tool "$T_DIR/json.out" >/dev/null || t_fail "--json does not parse"
cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = 127.0.0.1:19931
timeout = 5s
resolver = $NS
ca_file = $CA/ca.crt
log_level = error
[domain good.test]
dkim_selectors = mail
[domain notls.test]
dkim_selectors = mail
EOF
"$T_BIN" --config "$T_DIR/exporter.ini" >"$T_DIR/daemon.log" 2>&1 &
t_pid $!
t_wait_port 127.0.0.1 19931 10 || t_fail "daemon not listening"
api=
for _i in $(seq 1 100); do
	api=$(curl -sf http://127.0.0.1:19931/api/v1/status) &&
		printf '%s' "$api" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["ready"] else 1)' &&
		break
	sleep 0.2
done
printf '%s' "$api" >"$T_DIR/api.json"
python3 - "$T_DIR/json.out" "$T_DIR/api.json" <<'EOF' || t_fail "--json and /api/v1/status differ (above)"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
def shape(v):
    if isinstance(v, dict):
        return {k: shape(x) for k, x in v.items()}
    if isinstance(v, list):
        return [shape(x) for x in v]
    return type(v).__name__ if v is not None else None
def walk(x, y, path):
    if isinstance(x, dict) and isinstance(y, dict):
        if set(x) != set(y):
            print(path, "keys differ:", sorted(set(x) ^ set(y))); return False
        return all(walk(x[k], y[k], path + "." + k) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return all(walk(p, q, path + "[]") for p, q in zip(x, y))
    return True
ok = a["ready"] is True and len(a["targets"]) == 2
ta = {t["name"]: t for t in a["targets"]}; tb = {t["name"]: t for t in b["targets"]}
ok = ok and set(ta) == set(tb) == {"good.test", "notls.test"}
ok = ok and ta["good.test"]["verdict"] == "pass" and ta["notls.test"]["verdict"] == "fail"
ok = ok and ta["notls.test"]["checks"]["starttls"]["verdict"] == "fail"
ok = ok and ta["good.test"]["checks"]["dkim"]["text"] == "1 key valid"
st = ta["notls.test"]["checks"]["starttls"]
ok = ok and st["finding"] == "starttls_missing" and st["advice"].startswith("turn STARTTLS on")
ok = ok and st["alert"] == "MailsecStartTLSMissing"
ok = ok and ta["good.test"]["checks"]["dmarc"]["finding"] is None and ta["good.test"]["checks"]["dmarc"]["advice"] is None
ok = ok and ta["good.test"]["checks"]["dmarc"]["alert"] is None
if not ok: print(json.dumps(ta, indent=1)[:3000])
ok = ok and walk({k: v for k, v in a.items()}, b, "$")
for n in ta:
    ok = ok and walk(ta[n], tb[n], n)
    ok = ok and ta[n]["checks"] == tb[n]["checks"]
sys.exit(0 if ok else 1)
EOF
echo "ok: --json parses and has the API's keys and verdicts"

# --- no leaks, no invalid access (valgrind), a whole run with probes and audit
# (the plain build: not under ASan, whose run of this test checks leaks itself)
if command -v valgrind >/dev/null 2>&1 && ! ldd "$T_BIN" | grep -q libasan; then
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		"$T_BIN" check --resolver "$NS" --ca-file "$CA/ca.crt" --timeout 10s \
		--dkim-selector mail good.test notls.test expired.test "$GOOD:465" \
		>"$T_DIR/vg.out" 2>"$T_DIR/vg.err" </dev/null
	_rc=$?
	[ "$_rc" -eq 2 ] || { cat "$T_DIR/vg.err" >&2; t_fail "valgrind: exit $_rc, want 2 (above)"; }
	[ ! -s "$T_DIR/vg.err" ] || { cat "$T_DIR/vg.err" >&2; t_fail "valgrind reports (above)"; }
	echo "ok: valgrind clean"
fi

# --- colours: on a terminal, never with NO_COLOR ----------------------------------------
ESC=$(printf '\033')
term() {	# NAME ENV... : check under script(1), a terminal
	_n=$1
	shift
	env "$@" script -qec "$T_BIN check --resolver $NS --ca-file $CA/ca.crt warn.test" /dev/null \
		>"$T_DIR/$_n.out" </dev/null 2>&1
}
term tty TERM=dumb
grep -q "${ESC}\[33mwarn${ESC}\[0m" "$T_DIR/tty.out" || t_fail "no colour on a terminal: $(od -c "$T_DIR/tty.out" | head)"
grep -q "checking: 1 of 1 done" "$T_DIR/tty.out" || t_fail "no progress on a terminal's stderr"
term nocolor TERM=dumb NO_COLOR=1
if grep -q "${ESC}\[3" "$T_DIR/nocolor.out"; then t_fail "colours with NO_COLOR=1"; fi
grep -q "warn.test: warn" "$T_DIR/nocolor.out" || t_fail "NO_COLOR: no report"
term emptync TERM=dumb NO_COLOR=
grep -q "${ESC}\[33mwarn" "$T_DIR/emptync.out" || t_fail "an empty NO_COLOR must not turn colours off"
echo "ok: colours on a terminal only, NO_COLOR respected"
echo "all cases passed"
