#!/bin/sh
# Started as root with `user = nobody`, the daemon binds its port, gives
# root up, and still probes and serves.  A user that does not exist is a
# config error with its line.
. "$(dirname "$0")/../lib/common.sh"
t_setup privdrop

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 0; }
PORT=19927
cat >"$T_DIR/bad.ini" <<EOF
[exporter]
user = no-such-user-here
EOF
"$T_BIN" --check-config --config "$T_DIR/bad.ini" >"$T_DIR/bad.out" 2>&1 &&
	t_fail "a missing user was accepted"
grep -qF "$T_DIR/bad.ini:2: user: no such user \"no-such-user-here\"" "$T_DIR/bad.out" ||
	t_fail "wrong error: $(cat "$T_DIR/bad.out")"

# The config must stay readable by nobody for reloads.
chmod 755 "$T_DIR"
cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = 127.0.0.1:$PORT
user = nobody
timeout = 2s
interval = 1m
[endpoint 127.0.10.99:25]
EOF
chmod 644 "$T_DIR/exporter.ini"
"$T_BIN" --config "$T_DIR/exporter.ini" >"$T_DIR/daemon.log" 2>&1 &
PID=$!
t_pid "$PID"
t_wait_port 127.0.0.1 "$PORT" 10 || t_fail "the daemon did not listen: $(tail -n 5 "$T_DIR/daemon.log")"
n=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/-/ready")" = 200 ]; do
	n=$((n + 1)); [ "$n" -lt 100 ] || t_fail "never ready"; sleep 0.1
done
uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$PID/status")
nobody=$(id -u nobody)
[ "$uid" = "$nobody $nobody $nobody $nobody" ] ||
	t_fail "still running as uid '$uid', expected $nobody everywhere"
echo "ok: running as nobody (uid $nobody) after binding"
curl -s "http://127.0.0.1:$PORT/metrics" >"$T_DIR/metrics.prom"
t_assert_metric "$T_DIR/metrics.prom" 'mailsec_probe_error_info{domain="",host="127.0.10.99",address="127.0.10.99",port="25",protocol="smtp",step="connect",reason="conn",cause="refused"}' 1
kill -HUP "$PID"
sleep 0.5
curl -s "http://127.0.0.1:$PORT/metrics" >"$T_DIR/metrics2.prom"
t_assert_metric "$T_DIR/metrics2.prom" 'mailsec_exporter_config_last_reload_successful' 1
kill -TERM "$PID"
t_wait_exit "$PID" 5 || t_fail "no exit on SIGTERM"
echo "all cases passed"
