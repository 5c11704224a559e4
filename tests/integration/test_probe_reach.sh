#!/bin/sh
# Where /probe may make the exporter connect (issue 19, item 3; doc/probe.md).
#   NSD serving reach.test                        127.0.22.53
#   listeners that log every connection (tattle)   127.0.0.1:25, [::1]:25,
#     [64:ff9b::7f00:1]:25 (NAT64 of 127.0.0.1), [2002:7f00:1::1]:25 (6to4
#     of 127.0.0.1), 127.0.22.25:25 and 127.0.22.25:8080
#   exporter (probe_allow = *.reach.test, 127.0.22.0/24)  127.0.0.1:19984
# Cases, each checked against the listeners' log (nothing may connect where
# it is refused):
# - a domain under the allowed *.reach.test whose MX resolves to 127.0.0.1,
#   ::1, 64:ff9b::7f00:1, ::ffff:127.0.0.1 or 2002:7f00:1::1: 403 with the
#   reason, nothing connected;
# - an endpoint name under *.reach.test whose A is 127.0.0.1: the same;
# - an allowed host on a port outside probe_allow_ports (8080): 403;
# - the listed 127.0.22.0/24: allowed, as an address, a name, or an MX.
# Every case runs and the failures are counted, so that a run against an
# old build shows each case that fails.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup probe_reach

NS=127.0.22.53 OK=127.0.22.25
NAT64=64:ff9b::7f00:1 SIXTOFOUR=2002:7f00:1::1
LISTEN=127.0.0.1:19984
URL=http://$LISTEN
SEEN=$T_DIR/seen.log
OUT=$T_DIR/out

command -v python3 >/dev/null || t_fail "python3 is needed"
command -v nsd >/dev/null || t_fail "nsd is needed (Debian package nsd)"
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built"
for a in "127.0.0.1 25" "$OK 25" "$OK 8080" "127.0.0.1 19984"; do
	# shellcheck disable=SC2086
	if _l=$(t_listening $a); then t_fail "$a is taken: $_l"; fi
done

t_addr "$NS"
t_addr "$OK"
t_addr "$NAT64"
t_addr "$SIXTOFOUR"

t_zone ns reach.test <<EOF
ns          IN A     $NS
lo4         IN MX 10 mx-lo4
mx-lo4      IN A     127.0.0.1
lo6         IN MX 10 mx-lo6
mx-lo6      IN AAAA  ::1
nat64       IN MX 10 mx-nat64
mx-nat64    IN AAAA  $NAT64
mapped      IN MX 10 mx-mapped
mx-mapped   IN AAAA  ::ffff:127.0.0.1
sixtofour   IN MX 10 mx-6to4
mx-6to4     IN AAAA  $SIXTOFOUR
mixed       IN MX 10 mx-ok
mixed       IN MX 20 mx-lo4
ok          IN MX 10 mx-ok
mx-ok       IN A     $OK
EOF
t_nsd_start ns "$NS" reach.test

: >"$SEEN"
python3 "$T_ROOT/tests/hostile/tattle.py" "$SEEN" 100 127.0.0.1:25 '[::1]:25' \
	"[$NAT64]:25" "[$SIXTOFOUR]:25" "$OK:25" "$OK:8080" >"$T_DIR/tattle.out" 2>&1 </dev/null &
t_pid $!
n=50
until grep -q ready "$T_DIR/tattle.out"; do
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "the listeners did not start: $(cat "$T_DIR/tattle.out")"
	sleep 0.1
done

cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = $LISTEN
timeout = 3s
resolver = $NS
log_level = debug
audit = off
probe_allow = *.reach.test, 127.0.22.0/24

[module smtp]
kind = endpoint
protocol = smtp

[module domain]
kind = domain
smtp_ports = 25
records = off
EOF
"$T_BIN" --config "$T_DIR/exporter.ini" >"$T_DIR/exporter.log" 2>&1 </dev/null &
EXP=$!
t_pid "$EXP"
n=40
until [ "$(t_http "$T_DIR/ready" GET "$URL/-/ready")" = 200 ]; do
	t_running "$EXP" || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter exited"; }
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "the exporter is not ready after 20 s"
	sleep 0.5
done

FAILS=0
bad() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }

# case WHAT TARGET MODULE STATUS [BODY-PATTERN [CONNECTIONS]]: the answer's
# status, a grep -E pattern its body must match, and how many connections
# the listeners may see (default 0).
case_() {
	_what=$1 _t=$2 _m=$3 _want=$4 _pat=${5:-} _conns=${6:-0}
	_before=$(wc -l <"$SEEN")
	_code=$(curl -s -o "$OUT" -w '%{http_code}' --max-time 20 \
		"$URL/probe?target=$_t&module=$_m" 2>/dev/null || :)
	sleep 0.3	# the listeners log what reached them
	_after=$(wc -l <"$SEEN")
	_n=$((_after - _before))
	if [ "$_code" != "$_want" ]; then
		bad "$_what: HTTP $_code, want $_want ($(head -c 300 "$OUT" | tr '\n' '|'))"
	elif [ -n "$_pat" ] && ! grep -Eq "$_pat" "$OUT"; then
		bad "$_what: the body does not say /$_pat/: $(head -c 300 "$OUT" | tr '\n' '|')"
	elif [ "$_n" != "$_conns" ]; then
		bad "$_what: $_n connections reached the listeners, want $_conns: $(tail -n "$_n" "$SEEN" | tr '\n' ' ')"
	else
		echo "ok: $_what -> $_code, $_n connections$([ -n "$_pat" ] && echo ": $(grep -Eo "$_pat" "$OUT" | head -n 1)")"
	fi
}

case_ "MX at 127.0.0.1" lo4.reach.test domain 403 "127.0.0.1 is a loopback address"
case_ "MX at ::1" lo6.reach.test domain 403 "::1 is a loopback address"
case_ "MX at the NAT64 of 127.0.0.1" nat64.reach.test domain 403 \
	"64:ff9b::7f00:1 is a NAT64 of loopback address"
case_ "MX at ::ffff:127.0.0.1" mapped.reach.test domain 403 \
	"127.0.0.1 is a loopback address"
case_ "MX at the 6to4 of 127.0.0.1" sixtofour.reach.test domain 403 \
	"2002:7f00:1::1 is a 6to4 of loopback address"
case_ "two MX, one at 127.0.0.1" mixed.reach.test domain 403 "mx-lo4.reach.test" 1
case_ "a name under *.reach.test at 127.0.0.1" mx-lo4.reach.test:25 smtp 403 \
	"127.0.0.1 is a loopback address"
case_ "an allowed address on port 8080" "$OK:8080" smtp 403 \
	"port 8080 is not in probe_allow_ports"
case_ "an allowed name on port 8080" mx-ok.reach.test:8080 smtp 403 \
	"port 8080 is not in probe_allow_ports"
case_ "the listed 127.0.22.0/24, as an address" "$OK:25" smtp 200 \
	"mailsec_probe_success" 1
case_ "the listed 127.0.22.0/24, as a name" mx-ok.reach.test smtp 200 \
	"mailsec_probe_success" 1
case_ "the listed 127.0.22.0/24, as an MX" ok.reach.test domain 200 \
	"mailsec_check_success" 1
grep -q 'event=probe_refused.*reason=not_allowed' "$T_DIR/exporter.log" ||
	bad "no probe_refused reason=not_allowed in the log"
t_running "$EXP" || bad "the exporter died"
[ "$FAILS" -eq 0 ] || t_fail "$FAILS cases failed"
kill -TERM "$EXP" && t_wait_exit "$EXP" 5 || t_fail "the exporter did not stop on SIGTERM"
echo "all cases passed"
