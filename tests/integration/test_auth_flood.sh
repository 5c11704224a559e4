#!/bin/sh
# A login flood must not lock the real scraper out (issue 19, item 2).
#   exporter (basic auth, bcrypt cost 12)       127.0.0.1:19983
#   the scraper                                  127.0.0.1 (curl)
#   a newcomer scraper                           127.0.0.2 (curl)
#   the flood: 8 source addresses x 6 connections  127.0.21.1 - 127.0.21.8
# The flood (tests/hostile/auth_flood.py, 25 s at most, 50000 requests at
# most) sends, in turn, wrong passwords for the real user and unknown users.
# Meanwhile:
# - the scraper, logged in before the flood, scrapes every second as a
#   user whose login is not remembered yet (as when Prometheus's cached
#   login has expired): every scrape must be 200, within 5 s;
# - the remembered login keeps answering 200 at once;
# - a scraper from an address never seen before logs in during the flood:
#   200 within 15 s (it waits behind the strangers' share, but gets in).
# And the flood itself never gets a 200.  Before the fix, the 32 places of
# the one queue were the flood's and the scraper got 503.
. "$(dirname "$0")/../lib/common.sh"
t_setup auth_flood

LISTEN=127.0.0.1:19983
URL=http://$LISTEN
FLOOD=$T_ROOT/tests/hostile/auth_flood.py
SOURCES=127.0.21.1,127.0.21.2,127.0.21.3,127.0.21.4,127.0.21.5,127.0.21.6,127.0.21.7,127.0.21.8

command -v python3 >/dev/null || t_fail "python3 is needed"
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built"
if _l=$(t_listening 127.0.0.1 19983); then t_fail "127.0.0.1:19983 is taken: $_l"; fi

H1=$(printf 'scrape password\n' | "$T_BIN" --hash-password) || t_fail "--hash-password"
H2=$(printf 'backup password\n' | "$T_BIN" --hash-password) || t_fail "--hash-password"
H3=$(printf 'newcomer password\n' | "$T_BIN" --hash-password) || t_fail "--hash-password"
cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = $LISTEN
log_level = info
audit = off
basic_auth_users = prometheus:$H1
basic_auth_users = backup:$H2
basic_auth_users = newcomer:$H3

; nothing listens there: the schedule goes on, slowly
[endpoint 127.0.21.100:25]
interval = 1h
EOF
"$T_BIN" --config "$T_DIR/exporter.ini" >"$T_DIR/exporter.log" 2>&1 </dev/null &
EXP=$!
t_pid "$EXP"
t_wait_port 127.0.0.1 19983 10 || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter does not listen"; }

# scrape USER PASS [curl args] -> "status seconds"
scrape() {
	_u=$1 _p=$2
	shift 2
	curl -s -o "$T_DIR/scrape.out" -w '%{http_code} %{time_total}' --max-time 15 \
		-u "$_u:$_p" "$@" "$URL/metrics" 2>/dev/null || echo "000 -"
}

r=$(scrape prometheus 'scrape password')
[ "${r%% *}" = 200 ] || t_fail "login before the flood: $r"
echo "ok: login before the flood -> $r"

python3 "$FLOOD" 127.0.0.1 19983 25 "$T_DIR/flood.out" prometheus "$SOURCES" 6 \
	>"$T_DIR/flood.log" 2>&1 </dev/null &
FL=$!
t_pid "$FL"
sleep 3	# the flood fills what it can

fails=0
i=0
while [ "$i" -lt 10 ]; do
	i=$((i + 1))
	t_running "$FL" || t_fail "the flood ended early: $(cat "$T_DIR/flood.log")"
	# A login the exporter does not remember yet: a bcrypt check each time
	# (a new password for the same user would do too; a second user keeps
	# the test simple).  It must get through the flood.
	r=$(scrape backup 'backup password' --max-time 5)
	echo "scrape $i (backup$([ "$i" -eq 1 ] && echo ', first login, during the flood')): $r"
	[ "${r%% *}" = 200 ] || fails=$((fails + 1))
	r=$(scrape prometheus 'scrape password' --max-time 5)
	echo "scrape $i (prometheus, remembered before the flood): $r"
	[ "${r%% *}" = 200 ] || fails=$((fails + 1))
	if [ "$i" -eq 3 ]; then
		r=$(scrape newcomer 'newcomer password' --interface 127.0.0.2)
		echo "scrape $i (newcomer from 127.0.0.2, never seen): $r"
		[ "${r%% *}" = 200 ] || fails=$((fails + 1))
	fi
	sleep 1
done
t_running "$EXP" || t_fail "the exporter died"
wait "$FL"
echo "flood results (kind status count):"
sed 's/^/  /' "$T_DIR/flood.out"
grep -q ' 200 ' "$T_DIR/flood.out" && t_fail "the flood got a 200"
grep -q '^wrong 401 ' "$T_DIR/flood.out" || t_fail "the flood's wrong passwords were never verified"
grep -q '^unknown 401 ' "$T_DIR/flood.out" || t_fail "the flood's unknown users were never answered"
[ "$fails" -eq 0 ] || t_fail "$fails scrapes with the right password failed during the flood"
echo "ok: every scrape with the right password got 200 during the flood"
kill -TERM "$EXP" && t_wait_exit "$EXP" 5 || t_fail "the exporter did not stop on SIGTERM"
echo "all cases passed"
