#!/bin/sh
# `make demo` (deploy/demo/demo.sh) as a user runs it, without a terminal:
#   (a) with 127.0.0.1:9925 taken, it says so and starts nothing;
#   (b) `make demo` in its own process group: it prints the status page's
#       address and the commands to try; /metrics shows the real findings of
#       its servers, exact values (the expired certificate, TLS 1.0 on the
#       seed's Postfix, the SPF permerror, the revoked and the 512-bit DKIM
#       keys, the missing DMARC...) and promtool accepts it; the status page
#       and the JSON API give each domain its verdict.  Then SIGINT to the
#       process group, as Ctrl-C in a terminal sends it: every process the
#       demo started (Postfix, Dovecot, NSD, the exporter, and all their
#       children, recorded with their start times while it ran) is gone,
#       the addresses it put on lo are removed, its ports are free;
#       A second demo started meanwhile is refused and changes nothing;
#   (c) the script alone, stopped by SIGTERM to its pid: the same.
# A background job of a non-interactive shell starts with SIGINT ignored
# (POSIX), and a shell cannot trap a signal ignored at its start: the demo
# is started with `env --default-signal=INT`, as a terminal would have it.
. "$(dirname "$0")/../lib/common.sh"
t_setup demo_test

D=$T_ROOT/tests/out/demo		# the demo's own files (deploy/demo/demo.sh)
URL=http://127.0.0.1:9925
ADDRS="127.0.53.10 127.0.53.11 127.0.53.12"
OUT=$T_DIR/metrics.prom
DEMO=

# The demo is stopped by SIGINT to its process group on any exit, as a
# person would stop it, and waited for (its cleanup takes a few seconds).
stop_demo() {
	_st=$?
	if [ -n "$DEMO" ] && t_running "$DEMO"; then
		kill -INT "-$DEMO" 2>/dev/null
		t_wait_exit "$DEMO" 60 || kill -TERM "-$DEMO" 2>/dev/null
	fi
	(exit "$_st")
	t_cleanup
}
trap stop_demo EXIT

# (The demo checks its other ports itself, after stopping what an earlier
# run killed by SIGKILL may have left.)
if _l=$(t_listening 127.0.0.1 9925); then t_fail "127.0.0.1:9925 must be free for the demo: $_l"; fi

# demo_start LOG CMD...: CMD in the background, in a process group of its
# own (setsid, no fork: the pid is the group's id), SIGINT at its default.
demo_start() {
	_log=$1
	shift
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL --default-signal=INT setsid "$@" \
		>"$_log" 2>&1 </dev/null &
	DEMO=$!
	t_pid "$DEMO"
	sleep 0.2
	_pg=$(sed 's/.*) //' "/proc/$DEMO/stat" 2>/dev/null | awk '{print $3}')
	[ "$_pg" = "$DEMO" ] || t_fail "the demo (pid $DEMO) is not its own process group ($_pg)"
}
# demo_wait_banner LOG: until the demo has printed its last line.
demo_wait_banner() {
	_n=1200
	until grep -q '^Press Ctrl-C' "$1"; do
		t_running "$DEMO" || { cat "$1" >&2; t_fail "the demo exited before it was up (output above)"; }
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || { cat "$1" >&2; t_fail "the demo is not up after 120 s (output above)"; }
		sleep 0.1
	done
}
# demo_procs: "pid:starttime" of every process the demo started: its
# servers' masters (from their pid files), the exporter, the demo's own
# process group, and all their descendants.
demo_procs() {
	_roots=$DEMO
	for _f in "$D"/pf_*/queue/pid/master.pid "$D/dns/nsd.pid" "$D/dovecot/run/master.pid" \
		"$D/exporter.pid"; do
		_p=$(tr -dc 0-9 <"$_f" 2>/dev/null)
		[ -n "$_p" ] && _roots="$_roots $_p"
	done
	ps -eo pid=,ppid=,pgid= | awk -v r="$_roots" -v g="$DEMO" '
		BEGIN { n = split(r, x, " "); for (i = 1; i <= n; i++) keep[x[i]] = 1 }
		{ par[$1] = $2; pids[++m] = $1; if ($3 == g) keep[$1] = 1 }
		END {
			do { added = 0
			     for (i = 1; i <= m; i++)
			         if (!(pids[i] in keep) && (par[pids[i]] in keep)) { keep[pids[i]] = 1; added = 1 }
			} while (added)
			for (p in keep) print p }' |
	while read -r _p; do
		_st=$(t_starttime "$_p") && t_running "$_p" && echo "$_p:$_st:$(tr -d '\n' </proc/"$_p"/comm)"
	done
}
# demo_gone PROCS: every process of PROCS has exited, every address is off
# lo, every port is free.
demo_gone() {
	_left=
	for _e in $1; do
		_p=${_e%%:*} _r=${_e#*:}
		[ "$(t_starttime "$_p" 2>/dev/null)" = "${_r%%:*}" ] && t_running "$_p" && _left="$_left $_e"
	done
	[ -z "$_left" ] || t_fail "still running after the demo stopped:$_left"
	echo "ok: all $(echo $1 | wc -w) processes the demo started are gone"
	for a in $ADDRS; do
		ip -o addr show dev lo | awk '{print $4}' | grep -qxF "$a/32" &&
			t_fail "$a is still on lo after the demo stopped"
	done
	echo "ok: $ADDRS removed from lo"
	for a in 127.0.0.1:9925 127.0.53.53:53 127.0.53.10:25 127.0.53.20:993; do
		if _l=$(t_listening "${a%:*}" "${a##*:}"); then t_fail "$a still listened on: $_l"; fi
	done
	echo "ok: its ports are free"
}

# --- (a) a port taken ------------------------------------------------------------
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9925)); s.listen(1); print("up", flush=True); time.sleep(60)' \
	>"$T_DIR/squatter.out" 2>&1 &
SQ=$!
t_pid "$SQ"
t_wait_port 127.0.0.1 9925 10 || t_fail "the test's listener on 9925 did not start"
sh "$T_ROOT/deploy/demo/demo.sh" >"$T_DIR/taken.out" 2>&1 </dev/null
rc=$?
[ "$rc" = 1 ] || { cat "$T_DIR/taken.out" >&2; t_fail "(a) the demo exited $rc with 9925 taken, want 1"; }
grep -q 'these ports are taken' "$T_DIR/taken.out" && grep -q '127.0.0.1:9925/tcp' "$T_DIR/taken.out" ||
	{ cat "$T_DIR/taken.out" >&2; t_fail "(a) no clear message naming 127.0.0.1:9925 (above)"; }
for a in $ADDRS; do
	ip -o addr show dev lo | awk '{print $4}' | grep -qxF "$a/32" && t_fail "(a) $a was added anyway"
done
t_stop_pid "$SQ" 5
wait "$SQ" 2>/dev/null
echo "ok: (a) with 9925 taken: exit 1, and says:"
sed 's/^/    /' "$T_DIR/taken.out"

# --- (b) make demo, Ctrl-C --------------------------------------------------------
T0=$(date +%s)
demo_start "$T_DIR/demo.out" make --no-print-directory -C "$T_ROOT" demo
demo_wait_banner "$T_DIR/demo.out"
t_log "(b) the demo is up after $(( $(date +%s) - T0 )) s"
grep -qxF "Status page:  $URL/" "$T_DIR/demo.out" || t_fail "(b) the status page's address is not printed"
grep -qF "curl -s $URL/metrics" "$T_DIR/demo.out" || t_fail "(b) the curl command is not printed"
grep -qE "mailsec_exporter check --resolver 127\.0\.53\.53 --ca-file $D/ca/ca.crt good\.example" \
	"$T_DIR/demo.out" || t_fail "(b) the check command is not printed"
echo "ok: (b) prints the status page, curl and check commands"
# A second demo while this one runs: refused, and this one left alone.
sh "$T_ROOT/deploy/demo/demo.sh" >"$T_DIR/second.out" 2>&1 </dev/null
rc=$?
[ "$rc" = 1 ] && grep -q 'another demo is running' "$T_DIR/second.out" ||
	{ cat "$T_DIR/second.out" >&2; t_fail "(b) a second demo exited $rc without saying one runs (above)"; }
echo "ok: (b) a second demo: $(cat "$T_DIR/second.out")"

# The TLS audit may finish after the first round: wait for it.
n=60
while :; do
	[ "$(t_http "$OUT" GET "$URL/metrics")" = 200 ] &&
		grep -q '^mailsec_tls_version_accepted{domain="weak.example"' "$OUT" &&
		grep -q '^mailsec_tls_version_accepted{domain="broken.example"' "$OUT" &&
		grep -q '^mailsec_tls_version_accepted{domain="good.example",host="mail.good.example",address="127.0.53.20",port="995"' "$OUT" &&
		break
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "(b) no audit results after 30 s"
	sleep 0.5
done

l() { echo "domain=\"$1\",host=\"$2\",address=\"$3\",port=\"$4\",protocol=\"$5\""; }
GOOD=$(l good.example mx.good.example 127.0.53.10 25 smtp)
SUB=$(l good.example mx.good.example 127.0.53.10 587 submission)
WEAK=$(l weak.example mx.weak.example 127.0.53.11 25 smtp)
BROKEN=$(l broken.example mx.broken.example 127.0.53.12 25 smtp)
m() { t_assert_metric "$OUT" "$1" "$2"; }
# every endpoint answers, with STARTTLS or implicit TLS
for e in "$GOOD" "$SUB" "$WEAK" "$BROKEN" \
	"$(l good.example mail.good.example 127.0.53.20 143 imap)" \
	"$(l good.example mail.good.example 127.0.53.20 993 imaps)" \
	"$(l good.example mail.good.example 127.0.53.20 110 pop3)" \
	"$(l good.example mail.good.example 127.0.53.20 995 pop3s)"; do
	m "mailsec_probe_success{$e}" 1
	m "mailsec_starttls_offered{$e}" 1
done
# broken.example: the expired certificate, its reason and its date
m "mailsec_cert_verified{$BROKEN}" 0
m "mailsec_cert_verify_error_info{$BROKEN,error=\"certificate has expired\"}" 1
m "mailsec_cert_not_after_timestamp_seconds{$BROKEN}" "$(t_cert_epoch "$D/ca/expired.crt" enddate)"
m "mailsec_cert_verified{$GOOD}" 1
m "mailsec_cert_verified{$WEAK}" 1
m "mailsec_cert_not_after_timestamp_seconds{$GOOD}" "$(t_cert_epoch "$D/ca/good.crt" enddate)"
# weak.example: the seed's Postfix accepts TLS 1.0 and 1.1, not 1.3, and static RSA
m "mailsec_tls_version_accepted{$WEAK,version=\"TLSv1\"}" 1
m "mailsec_tls_version_accepted{$WEAK,version=\"TLSv1.1\"}" 1
m "mailsec_tls_version_accepted{$WEAK,version=\"TLSv1.2\"}" 1
m "mailsec_tls_version_accepted{$WEAK,version=\"TLSv1.3\"}" 0
m "mailsec_tls_weak_cipher_accepted{$WEAK,class=\"static_rsa\"}" 1
# good.example: the strict one, 1.2 and 1.3 only, no static RSA
m "mailsec_tls_version_accepted{$GOOD,version=\"TLSv1\"}" 0
m "mailsec_tls_version_accepted{$GOOD,version=\"TLSv1.1\"}" 0
m "mailsec_tls_version_accepted{$GOOD,version=\"TLSv1.3\"}" 1
m "mailsec_tls_weak_cipher_accepted{$GOOD,class=\"static_rsa\"}" 0
m "mailsec_tls_version_accepted{$(l good.example mail.good.example 127.0.53.20 993 imaps),version=\"TLSv1\"}" 0
m "mailsec_plaintext_auth_offered{$(l good.example mail.good.example 127.0.53.20 143 imap)}" 0
# The NCSC-NL ratings (doc/ratings.md): the seed's Postfix insufficient for
# versions and suites; good.example sufficient at worst (TLS 1.2 accepted)
m "mailsec_tls_rating{$WEAK,check=\"version\"}" 0
m "mailsec_tls_rating{$WEAK,check=\"cipher\"}" 0
m "mailsec_tls_rating_worst{$WEAK}" 0
m "mailsec_tls_rating{$GOOD,check=\"version\"}" 2
m "mailsec_tls_rating_worst{$GOOD}" 2
m "mailsec_tls_rating_worst{$(l good.example mail.good.example 127.0.53.20 993 imaps)}" 2
# SPF
m 'mailsec_spf_valid{domain="good.example"}' 1
m 'mailsec_spf_all_qualifier_info{domain="good.example",qualifier="fail"}' 1
m 'mailsec_spf_check_host_result_info{domain="good.example",address="127.0.53.10",source="mx",result="pass"}' 1
m 'mailsec_spf_valid{domain="weak.example"}' 1
m 'mailsec_spf_all_qualifier_info{domain="weak.example",qualifier="neutral"}' 1
m 'mailsec_spf_valid{domain="broken.example"}' 0
m 'mailsec_spf_error_info{domain="broken.example",reason="include_target_missing"}' 1
# DKIM: RSA 2048 and Ed25519, RSA 1024 and a revoked key, RSA 512
m 'mailsec_dkim_valid{domain="good.example",selector="mail"}' 1
m 'mailsec_dkim_key_size{domain="good.example",selector="mail",key_type="rsa"}' 2048
m 'mailsec_dkim_valid{domain="good.example",selector="ed"}' 1
m 'mailsec_dkim_key_size{domain="good.example",selector="ed",key_type="ed25519"}' 256
m 'mailsec_dkim_valid{domain="weak.example",selector="mail"}' 1
m 'mailsec_dkim_key_size{domain="weak.example",selector="mail",key_type="rsa"}' 1024
m 'mailsec_dkim_revoked{domain="weak.example",selector="old"}' 1
m 'mailsec_dkim_error_info{domain="weak.example",selector="old",reason="revoked"}' 1
m 'mailsec_dkim_valid{domain="broken.example",selector="mail"}' 0
m 'mailsec_dkim_key_size{domain="broken.example",selector="mail",key_type="rsa"}' 512
m 'mailsec_dkim_error_info{domain="broken.example",selector="mail",reason="key_too_short"}' 1
# DMARC: reject, none, missing
m 'mailsec_dmarc_policy{domain="good.example"}' 2
m 'mailsec_dmarc_policy{domain="weak.example"}' 0
m 'mailsec_dmarc_record_present{domain="broken.example"}' 0
m 'mailsec_dmarc_error_info{domain="broken.example",reason="no_record"}' 1
t_assert_absent "$OUT" 'mailsec_dmarc_policy{domain="broken.example"}'
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$OUT" >"$T_DIR/promtool.out" 2>&1 ||
		t_fail "(b) promtool check metrics: $(cat "$T_DIR/promtool.out")"
	echo "ok: promtool check metrics"
fi

# The status page and the JSON API: a verdict per domain, worst first.
[ "$(t_http "$T_DIR/index.html" GET "$URL/")" = 200 ] || t_fail "(b) GET / failed"
for dom in good.example weak.example broken.example; do
	grep -qF "$dom" "$T_DIR/index.html" || t_fail "(b) the status page does not show $dom"
done
[ "$(t_http "$T_DIR/status.json" GET "$URL/api/v1/status")" = 200 ] || t_fail "(b) GET /api/v1/status failed"
python3 - "$T_DIR/status.json" <<'EOF' || t_fail "(b) /api/v1/status (above)"
import json, sys
d = json.load(open(sys.argv[1]))
v = {t["name"]: t for t in d["targets"]}
assert sorted(v) == ["broken.example", "good.example", "weak.example"], sorted(v)
assert v["good.example"]["verdict"] == "pass", v["good.example"]
assert v["weak.example"]["verdict"] == "fail", v["weak.example"]
assert v["broken.example"]["verdict"] == "fail", v["broken.example"]
c = v["broken.example"]["checks"]
assert c["certificate"]["verdict"] == "fail" and "expired" in c["certificate"]["text"], c
assert c["spf"]["verdict"] == "fail" and c["dkim"]["verdict"] == "fail" and c["dmarc"]["verdict"] == "fail", c
c = v["weak.example"]["checks"]
assert c["tls"]["verdict"] == "fail" and "TLSv1" in c["tls"]["text"], c
assert c["certificate"]["verdict"] == "pass" and c["dmarc"]["verdict"] == "warn", c
assert len(v["good.example"]["endpoints"]) == 6, v["good.example"]["endpoints"]
print("ok: verdicts: good.example pass, weak.example fail (%s), broken.example fail (%s)"
      % (v["weak.example"]["reason"], v["broken.example"]["reason"]))
EOF

# The README's screenshot (doc/img/demo-status.png) is this one.
CHROME=$(command -v chromium || command -v chromium-browser || :)
if [ -n "$CHROME" ]; then
	timeout -k 5 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-dev-shm-usage --user-data-dir="$T_DIR/chrome" --hide-scrollbars \
		--screenshot="$T_DIR/demo-status.png" --window-size=1280,340 "$URL/" \
		>/dev/null 2>"$T_DIR/chrome.log" </dev/null || t_fail "(b) chromium --screenshot failed"
	[ "$(head -c 4 "$T_DIR/demo-status.png" | od -An -c | tr -d ' ')" = '211PNG' ] ||
		t_fail "(b) $T_DIR/demo-status.png is not a PNG"
	echo "ok: screenshot of the status page in $T_DIR/demo-status.png"
fi

# `mailsec_exporter check` on the demo's domains: the verdicts, the exit status
"$T_BIN" check --resolver 127.0.53.53 --ca-file "$D/ca/ca.crt" --dkim-selector mail \
	good.example weak.example broken.example >"$T_DIR/check.out" 2>&1 </dev/null
rc=$?
[ "$rc" = 2 ] || { cat "$T_DIR/check.out" >&2; t_fail "(b) check on the demo exited $rc, want 2 (above)"; }
for l in "good.example: pass" "weak.example: fail" "broken.example: fail" \
	"    TLS          fail  accepts TLSv1, TLSv1.1" \
	"  SPF          warn  ends without -all or ~all" \
	"  DMARC        warn  p=none: monitoring only" \
	"    Certificate  fail  expired 3 days ago" \
	"    TLS rating   pass  sufficient (NCSC-NL)" \
	"  DMARC        fail  no DMARC record" \
	"3 targets: 1 pass, 0 warn, 2 fail"; do
	grep -qxF "$l" "$T_DIR/check.out" ||
		{ cat "$T_DIR/check.out" >&2; t_fail "(b) check on the demo: no line \"$l\" (above)"; }
done
"$T_BIN" check --resolver 127.0.53.53 --ca-file "$D/ca/ca.crt" --dkim-selector mail \
	good.example >"$T_DIR/check-good.out" 2>&1 </dev/null ||
	{ cat "$T_DIR/check-good.out" >&2; t_fail "(b) check good.example exited $?, want 0"; }
echo "ok: check on the demo's domains: the verdicts, exit 2 (good.example alone: 0)"

PROCS=$(demo_procs)
for c in master nsd dovecot mailsec_exporte; do
	printf '%s\n' $PROCS | grep -q ":$c" || t_fail "(b) no '$c' among the demo's processes: $PROCS"
done
[ "$(printf '%s\n' $PROCS | grep -c ':master$')" = 3 ] || t_fail "(b) not 3 Postfix masters: $PROCS"
echo "ok: the demo runs $(echo $PROCS | wc -w) processes"
t_log "(b) SIGINT to the demo's process group (Ctrl-C)"
kill -INT "-$DEMO" || t_fail "(b) kill -INT -$DEMO failed"
t_wait_exit "$DEMO" 60 || t_fail "(b) make demo still runs 60 s after SIGINT"
wait "$DEMO"
rc=$?
t_log "(b) make demo exited $rc"
demo_gone "$PROCS"
if grep -E 'ignored SIGTERM|exited by itself|cleanup: ip addr del' "$T_DIR/demo.out"; then
	t_fail "(b) the demo did not stop cleanly (above)"
fi
if grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$D/exporter.log"; then
	t_fail "(b) the exporter reported memory errors (above)"
fi

# --- (c) the script alone, SIGTERM ------------------------------------------------
demo_start "$T_DIR/demo-term.out" sh "$T_ROOT/deploy/demo/demo.sh"
demo_wait_banner "$T_DIR/demo-term.out"
PROCS=$(demo_procs)
[ "$(printf '%s\n' $PROCS | grep -c ':master$')" = 3 ] || t_fail "(c) not 3 Postfix masters: $PROCS"
t_log "(c) SIGTERM to the script (pid $DEMO) only"
kill -TERM "$DEMO"
t_wait_exit "$DEMO" 60 || t_fail "(c) the demo still runs 60 s after SIGTERM"
wait "$DEMO"
rc=$?
[ "$rc" = 143 ] || t_fail "(c) the demo exited $rc on SIGTERM, want 143"
demo_gone "$PROCS"
grep -E 'ignored SIGTERM|exited by itself' "$T_DIR/demo-term.out" && t_fail "(c) not a clean stop (above)"
DEMO=
echo "all cases passed"
