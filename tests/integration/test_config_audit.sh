#!/bin/sh
# The configuration audit against real servers:
#   (a) a Postfix started with the seed's TLS settings verbatim (only the
#       /etc/postfix/ paths moved to this test's dir): audit-config --json
#       gives exactly the expected set of findings, and exits 1 (critical:
#       submission without encrypt);
#   (b) a Dovecot started with the seed's 10-ssl.conf: the expected set;
#   (c) a hardened Postfix: no critical and no warning finding;
#   (d) the daemon with [config postfix ...] and [config dovecot ...]:
#       mailsec_config_* on /metrics (promtool-clean), the status page;
#   (e) drift: main.cf tightened (>=TLSv1.2) but Postfix not reloaded: the
#       exporter's own probe still sees TLSv1 accepted: drift 1;
#   (f) the advice applied (the lines audit-config printed) makes the
#       findings go away, for Postfix and Dovecot; a hardened Dovecot has
#       no critical or warning finding;
#   (g) a postconf that hangs and one that prints garbage: the audit falls
#       back to the files and says so; the daemon keeps running.
# Addresses: 127.0.10.81 - 127.0.10.89.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/dovecot.sh"
t_setup config_audit
LC_ALL=C; export LC_ALL
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built"
SEED=$(cd "$T_ROOT/.." && pwd)/shared/reference/seed-configs
[ -r "$SEED/postfix-main.cf.tls" ] || SEED=/work/shared/reference/seed-configs
[ -r "$SEED/postfix-main.cf.tls" ] || t_fail "no seed configs in $SEED"

A1=127.0.10.81 A2=127.0.10.82 A5=127.0.10.85
t_addr $A1
t_addr $A2

# The seed's files: a self-signed (snakeoil) certificate, 4096-bit DH.
C="$T_DIR/certs"
mkdir -p "$C"
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=mail.test" -days 365 \
	-keyout "$C/ssl-cert-snakeoil.key" -out "$C/ssl-cert-snakeoil.pem" 2>/dev/null ||
	t_fail "openssl req failed"
cp /usr/share/dovecot/dh.pem "$C/dh4096.pem"
chmod 644 "$C"/*

# Findings as sorted "severity check service" lines.
findings() {
	jq -r '.configs[] | .findings[] | "\(.severity) \(.check) \(.service)"' "$1" | sort
}
expect_set() {	# FILE WANT-FILE
	findings "$1" >"$1.got"
	if ! diff -u "$2" "$1.got" >"$1.diff"; then
		cat "$1.diff" >&2
		t_fail "findings of $1 differ from the expected set (diff above)"
	fi
	echo "ok: exactly the $(wc -l <"$2") expected findings in $1"
}

# (a) The seed's Postfix.
SEEDPF=$(sed "s#/etc/postfix/#$C/#g" "$SEED/postfix-main.cf.tls")
OLDIFS=$IFS IFS='
'
# shellcheck disable=SC2086
t_postfix_start pf1 $A1 mail1.test +submission $SEEDPF
IFS=$OLDIFS
PF1="$T_DIR/pf1/etc"
rc=0
"$T_BIN" audit-config --postfix "$PF1" --json >"$T_DIR/a.json" || rc=$?
[ "$rc" = 1 ] || t_fail "audit-config on the seed Postfix exited $rc, want 1 (a critical finding)"
jq -e '.configs[0].method == "postconf" and .configs[0].read_success' "$T_DIR/a.json" >/dev/null ||
	t_fail "not read with postconf: $(jq -c '.configs[0] | {method, tool_error}' "$T_DIR/a.json")"
# The service names are the master.cf ones t_postfix_start writes.
cat >"$T_DIR/a.want" <<EOF2
critical submission_no_encrypt $A1:587/inet
info cert_self_signed $A1:25/inet
info ciphers_cbc $A1:25/inet
info ciphers_cbc $A1:587/inet
info ciphers_cbc smtp/unix
info ciphers_sha1 $A1:25/inet
info ciphers_sha1 $A1:587/inet
info ciphers_sha1 smtp/unix
info server_cipher_order all
warning cert_self_signed $A1:587/inet
warning ciphers_static_rsa $A1:25/inet
warning ciphers_static_rsa $A1:587/inet
warning ciphers_static_rsa smtp/unix
warning outbound_tls_opportunistic smtp/unix
warning protocols_legacy_tls $A1:25/inet
warning protocols_legacy_tls $A1:587/inet
warning protocols_legacy_tls smtp/unix
warning protocols_no_tls13 $A1:25/inet
warning protocols_no_tls13 $A1:587/inet
warning protocols_no_tls13 smtp/unix
EOF2
LC_ALL=C sort -o "$T_DIR/a.want" "$T_DIR/a.want"
expect_set "$T_DIR/a.json" "$T_DIR/a.want"
jq -e --arg l "$(grep -n '^smtpd_tls_protocols' "$PF1/main.cf" | cut -d: -f1)" \
	'[.configs[0].findings[] | select(.check == "protocols_legacy_tls" and .setting == "smtpd_tls_protocols")][0] |
	 (.line == ($l | tonumber)) and (.advice == "main.cf: smtpd_tls_protocols = >=TLSv1.2")' "$T_DIR/a.json" >/dev/null ||
	t_fail "protocols finding: wrong line or advice: $(jq -c '[.configs[0].findings[] | select(.check == "protocols_legacy_tls")][0]' "$T_DIR/a.json")"
echo "ok: file:line and the advice line of smtpd_tls_protocols"
# The same without postconf: the files alone give the same findings.
"$T_BIN" audit-config --postfix "$PF1" --postconf none --json >"$T_DIR/a2.json" || :
jq -e '.configs[0].method == "files"' "$T_DIR/a2.json" >/dev/null || t_fail "--postconf none: not read from the files"
expect_set "$T_DIR/a2.json" "$T_DIR/a.want"

# (b) The seed's Dovecot 10-ssl.conf, included verbatim.
cp "$SEED/dovecot-10-ssl.conf" "$T_DIR/10-ssl.conf"
t_dovecot_start dc1 $A5 "$C/ssl-cert-snakeoil.pem" "$C/ssl-cert-snakeoil.key" \
	"!include $T_DIR/10-ssl.conf"
DC1="$T_DIR/dc1/dovecot.conf"
rc=0
"$T_BIN" audit-config --dovecot "$DC1" --json >"$T_DIR/b.json" || rc=$?
[ "$rc" = 0 ] || t_fail "audit-config on the seed Dovecot exited $rc, want 0 (no critical)"
cat >"$T_DIR/b.want" <<EOF2
info ciphers_cbc all
info ciphers_sha1 all
warning cert_self_signed all
warning cipher_list_names_3des all
warning ciphers_static_rsa all
warning obsolete_setting all
warning obsolete_setting all
EOF2
LC_ALL=C sort -o "$T_DIR/b.want" "$T_DIR/b.want"
expect_set "$T_DIR/b.json" "$T_DIR/b.want"
jq -e '.configs[0].method == "doveconf" and (.configs[0].version | startswith("2.3"))' "$T_DIR/b.json" >/dev/null ||
	t_fail "Dovecot not read with doveconf: $(jq -c '.configs[0] | {method, version, tool_error}' "$T_DIR/b.json")"
jq -e '[.configs[0].findings[] | select(.check == "obsolete_setting") | .setting] | sort == ["ssl_dh_parameters_length", "ssl_protocols"]' \
	"$T_DIR/b.json" >/dev/null || t_fail "obsolete settings not both named"

# (c) A hardened Postfix: a CA-signed certificate, >=TLSv1.2, no kRSA.
t_ca "$T_DIR/ca"
t_cert "$T_DIR/ca" good $A2 "IP:$A2,DNS:mail2.test" 1 365
t_postfix_start pf2 $A2 mail2.test \
	"smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $T_DIR/ca/good.chain.pem" "smtpd_tls_key_file = $T_DIR/ca/good.key" \
	"smtpd_tls_protocols = >=TLSv1.2" "smtpd_tls_mandatory_protocols = >=TLSv1.2" \
	"smtpd_tls_exclude_ciphers = aNULL, kRSA" "tls_preempt_cipherlist = yes" \
	"smtp_tls_security_level = dane" "smtp_dns_support_level = dnssec" \
	"smtp_tls_mandatory_protocols = >=TLSv1.2" "smtp_tls_mandatory_exclude_ciphers = aNULL, kRSA"
"$T_BIN" audit-config --postfix "$T_DIR/pf2/etc" --json >"$T_DIR/c.json" ||
	t_fail "audit-config on the hardened Postfix exited non-zero: $(findings "$T_DIR/c.json")"
bad=$(findings "$T_DIR/c.json" | grep -v '^info ' || :)
[ -z "$bad" ] || t_fail "the hardened Postfix has critical/warning findings: $bad"
echo "ok: hardened Postfix: no critical or warning finding ($(findings "$T_DIR/c.json" | wc -l) info)"

# (d) The daemon, with hostile sections beside the real ones: a postconf
# that hangs, a Dovecot include loop, a missing directory, a 10 MB main.cf.
printf '#!/bin/sh\nsleep 60\n' >"$T_DIR/postconf-hang"
printf '#!/bin/sh\nhead -c 100000 /dev/urandom\n' >"$T_DIR/postconf-junk"
chmod 755 "$T_DIR/postconf-hang" "$T_DIR/postconf-junk"
mkdir -p "$T_DIR/loop" "$T_DIR/big"
printf '!include b.conf\nssl = yes\n' >"$T_DIR/loop/dovecot.conf"
printf '!include dovecot.conf\n' >"$T_DIR/loop/b.conf"
head -c 10485760 /dev/zero | tr '\0' 'a' >"$T_DIR/big/main.cf"
PORT=9981 URL=http://127.0.0.1:9981
cat >"$T_DIR/exporter.ini" <<EOF2
[exporter]
listen = 127.0.0.1:$PORT
interval = 5s
audit_interval = 1m
[endpoint $A1:25]
audit = on
[config postfix seed]
path = $PF1
endpoints = $A1:25
[config dovecot seed]
path = $DC1
[config postfix hang]
path = $PF1
tool = $T_DIR/postconf-hang
timeout = 1s
[config dovecot loop]
path = $T_DIR/loop/dovecot.conf
[config postfix missing]
path = $T_DIR/no/such/dir
[config postfix big]
path = $T_DIR/big
tool = none
EOF2
"$T_BIN" --config "$T_DIR/exporter.ini" >"$T_DIR/exporter.log" 2>&1 </dev/null &
EXP=$!
t_pid "$EXP"
M="$T_DIR/metrics"
wait_metric() {	# 'name{labels}' VALUE SECS
	_n=$(( $3 * 2 ))
	while :; do
		if [ "$(t_http "$M" GET "$URL/metrics")" = 200 ] && v=$(t_metric_value "$M" "$1") &&
			t_num_eq "$v" "$2"; then
			echo "ok: $1 $v"; return 0
		fi
		t_running "$EXP" || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter exited"; }
		[ "$_n" -gt 0 ] || { t_metric_lines "$M" "${1%%\{*}" >&2; t_fail "no $1 = $2 after $3 s"; }
		sleep 0.5; _n=$((_n - 1))
	done
}
wait_metric "mailsec_config_read_success{server=\"postfix\",instance=\"seed\"}" 1 20
t_assert_metric "$M" "mailsec_config_read_success{server=\"dovecot\",instance=\"seed\"}" 1
t_assert_metric "$M" "mailsec_config_findings{server=\"postfix\",instance=\"seed\",severity=\"critical\"}" 1
t_assert_metric "$M" "mailsec_config_findings{server=\"postfix\",instance=\"seed\",severity=\"warning\"}" 11
t_assert_metric "$M" "mailsec_config_findings{server=\"dovecot\",instance=\"seed\",severity=\"critical\"}" 0
t_assert_metric "$M" "mailsec_config_finding{server=\"postfix\",instance=\"seed\",service=\"$A1:587/inet\",setting=\"smtpd_tls_security_level\",check=\"submission_no_encrypt\",severity=\"critical\"}" 1
t_assert_metric "$M" "mailsec_config_cert_not_after_timestamp_seconds{server=\"postfix\",instance=\"seed\",file=\"$C/ssl-cert-snakeoil.pem\"}" \
	"$(t_cert_epoch "$C/ssl-cert-snakeoil.pem" enddate)"
t_assert_metric "$M" "mailsec_config_finding{server=\"dovecot\",instance=\"seed\",service=\"all\",setting=\"ssl_protocols\",check=\"obsolete_setting\",severity=\"warning\"}" 1
grep -q '^mailsec_config_last_run_timestamp_seconds ' "$M" || t_fail "no mailsec_config_last_run_timestamp_seconds"
# The hostile sections: a finding or a clear error each, the daemon runs on.
wait_metric "mailsec_config_read_success{server=\"postfix\",instance=\"hang\"}" 1 20
t_assert_metric "$M" "mailsec_config_findings{server=\"postfix\",instance=\"hang\",severity=\"critical\"}" 1
t_assert_metric "$M" "mailsec_config_read_success{server=\"postfix\",instance=\"missing\"}" 0
t_assert_metric "$M" "mailsec_config_read_success{server=\"postfix\",instance=\"big\"}" 0
t_assert_metric "$M" "mailsec_config_finding{server=\"dovecot\",instance=\"loop\",service=\"all\",setting=\"\",check=\"read_error\",severity=\"warning\"}" 1
grep -q 'config_tool_failed.*instance=hang.*did not finish in time' "$T_DIR/exporter.log" ||
	t_fail "no log line saying the hanging postconf was cut off"
grep -q 'include loop' "$T_DIR/status.html" 2>/dev/null || :
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$EXP/status")
[ "$rss" -lt 200000 ] || t_fail "exporter RSS $rss kB after the hostile configs"
echo "ok: hanging postconf, include loop, missing dir, 10 MB main.cf: each reported, RSS $rss kB"
# The probe's audit of the seed Postfix: TLSv1 accepted, as configured.
wait_metric "mailsec_config_drift{server=\"postfix\",instance=\"seed\",endpoint=\"$A1:25\",check=\"tls_versions\"}" 0 90
t_assert_metric "$M" "mailsec_config_drift{server=\"postfix\",instance=\"seed\",endpoint=\"$A1:25\",check=\"certificate\"}" 0
t_assert_metric "$M" "mailsec_config_drift{server=\"postfix\",instance=\"seed\",endpoint=\"$A1:25\",check=\"starttls\"}" 0
if command -v promtool >/dev/null 2>&1; then
	grep -E '^(# (HELP|TYPE) )?mailsec_config_' "$M" | promtool check metrics >"$T_DIR/promtool.out" 2>&1 ||
		{ cat "$T_DIR/promtool.out" >&2; t_fail "promtool check metrics: mailsec_config_* not clean"; }
	echo "ok: promtool check metrics clean for mailsec_config_*"
fi
code=$(t_http "$T_DIR/status.html" GET "$URL/")
[ "$code" = 200 ] || t_fail "status page: $code"
grep -q 'submission_no_encrypt' "$T_DIR/status.html" || t_fail "status page has no configuration section with the findings"
grep -q 'Configuration: dovecot seed' "$T_DIR/status.html" || t_fail "status page: no section for the Dovecot config"
echo "ok: status page shows the configuration findings"

# (e) Drift: tighten main.cf, do not reload Postfix; the exporter rereads
# its config sections on SIGHUP.
sed -i 's/^smtpd_tls_protocols = .*/smtpd_tls_protocols = >=TLSv1.2/' "$PF1/main.cf"
kill -HUP "$EXP"
wait_metric "mailsec_config_drift{server=\"postfix\",instance=\"seed\",endpoint=\"$A1:25\",check=\"tls_versions\"}" 1 20
echo "ok: main.cf edited but not reloaded: drift seen against the running server"

# (f) The advice applied: the protocol findings are gone.
"$T_BIN" audit-config --postfix "$PF1" --json >"$T_DIR/f.json" || :
jq -r '.configs[0].findings[] | select(.check | startswith("protocols")) | select(.service != "smtp/unix") | .advice' "$T_DIR/f.json" >"$T_DIR/f.left"
[ ! -s "$T_DIR/f.left" ] || t_fail "protocol findings left after the advice: $(cat "$T_DIR/f.left")"
jq -r '.configs[0].findings[] | select(.severity != "info") | .advice' "$T_DIR/a.json" | grep '^main.cf: ' |
	sed 's/^main.cf: //' | sort -u >"$T_DIR/advice.lines"
cp "$PF1/main.cf" "$T_DIR/main.cf.fixed"
while IFS= read -r l; do
	name=${l%% =*}
	grep -v "^$name *=" "$T_DIR/main.cf.fixed" >"$T_DIR/main.cf.tmp"; mv "$T_DIR/main.cf.tmp" "$T_DIR/main.cf.fixed"
	printf '%s\n' "$l" >>"$T_DIR/main.cf.fixed"
done <"$T_DIR/advice.lines"
mkdir -p "$T_DIR/fixed" && cp "$T_DIR/main.cf.fixed" "$T_DIR/fixed/main.cf" && cp "$PF1/master.cf" "$T_DIR/fixed/master.cf"
"$T_BIN" audit-config --postfix "$T_DIR/fixed" --json >"$T_DIR/f2.json" || :
for ck in protocols_legacy_tls protocols_no_tls13 ciphers_static_rsa; do
	left=$(jq -r --arg c $ck '.configs[0].findings[] | select(.check == $c) | .service' "$T_DIR/f2.json")
	[ -z "$left" ] || t_fail "advice for $ck applied, still found on: $left"
done
echo "ok: the advice lines ($(wc -l <"$T_DIR/advice.lines")) applied make their findings go away"

# The same for Dovecot: the seed's 10-ssl.conf with the advice applied
# (the obsolete lines deleted, the cipher list replaced by the advice's).
cp "$T_DIR/10-ssl.conf" "$T_DIR/10-ssl.conf.orig"
adv=$(jq -r '.configs[0].findings[] | select(.check == "cipher_list_names_3des") | .advice' "$T_DIR/b.json")
case $adv in *": ssl_cipher_list = "*) ;; *) t_fail "cipher_list_names_3des advice is not a line: $adv" ;; esac
grep -v '^ssl_protocols\|^ssl_dh_parameters_length\|^ssl_cipher_list' "$T_DIR/10-ssl.conf.orig" >"$T_DIR/10-ssl.conf"
printf '%s\n' "ssl_cipher_list = ${adv#*: ssl_cipher_list = }" >>"$T_DIR/10-ssl.conf"
"$T_BIN" audit-config --dovecot "$DC1" --json >"$T_DIR/f3.json" || :
for ck in obsolete_setting cipher_list_names_3des ciphers_static_rsa; do
	left=$(jq -r --arg c $ck '.configs[0].findings[] | select(.check == $c) | .setting' "$T_DIR/f3.json")
	[ -z "$left" ] || t_fail "Dovecot advice for $ck applied, still found: $left"
done
echo "ok: the Dovecot advice applied makes its findings go away"
# A hardened Dovecot: a CA certificate, Dovecot's defaults, server order.
sed -e "s#^ssl_cert = .*#ssl_cert = <$T_DIR/ca/good.chain.pem#" \
    -e "s#^ssl_key = .*#ssl_key = <$T_DIR/ca/good.key#" \
    -e "s#^!include .*#ssl_prefer_server_ciphers = yes#" "$DC1" >"$T_DIR/hardened-dovecot.conf"
"$T_BIN" audit-config --dovecot "$T_DIR/hardened-dovecot.conf" --json >"$T_DIR/f4.json" ||
	t_fail "audit-config on the hardened Dovecot exited non-zero: $(findings "$T_DIR/f4.json")"
bad=$(findings "$T_DIR/f4.json" | grep -v '^info ' || :)
[ -z "$bad" ] || t_fail "the hardened Dovecot has critical/warning findings: $bad"
jq -e '.configs[0].method == "doveconf"' "$T_DIR/f4.json" >/dev/null || t_fail "hardened Dovecot not read with doveconf"
echo "ok: hardened Dovecot: no critical or warning finding ($(findings "$T_DIR/f4.json" | wc -l) info)"

# (g) A postconf that hangs, one that prints garbage: files instead.
start=$(date +%s)
"$T_BIN" audit-config --postfix "$PF1" --postconf "$T_DIR/postconf-hang" --timeout 2 --json >"$T_DIR/g1.json" || :
[ $(( $(date +%s) - start )) -lt 10 ] || t_fail "a hanging postconf was not cut off"
jq -e '.configs[0].method == "files" and (.configs[0].tool_error | test("did not finish in time"))' "$T_DIR/g1.json" >/dev/null ||
	t_fail "hanging postconf: $(jq -c '.configs[0] | {method, tool_error}' "$T_DIR/g1.json")"
"$T_BIN" audit-config --postfix "$PF1" --postconf "$T_DIR/postconf-junk" --json >"$T_DIR/g2.json" || :
jq -e '.configs[0].method == "files" and (.configs[0].tool_error | test("not postconf output"))' "$T_DIR/g2.json" >/dev/null ||
	t_fail "garbage postconf: $(jq -c '.configs[0] | {method, tool_error}' "$T_DIR/g2.json")"
echo "ok: a hanging and a garbage-printing postconf: the files are read instead, and it says why"
t_running "$EXP" || t_fail "the exporter died"
echo "PASS test_config_audit"
