#!/bin/sh
# Resource faults, each against the daemon:
#  A. `ulimit -n 32` and 100 endpoints that hold their connections: the
#     probes in flight are capped by the fd limit and /metrics keeps
#     answering all along; when HTTP clients eat the fds, the probes fail
#     with reason internal, and /metrics comes back once they leave.
#  B. the DNS server (a real NSD) goes away mid-run and comes back: the
#     lookups fail while it is gone (rcode error: the kernel refuses at
#     once), the next round after it is back succeeds; then it hangs
#     (SIGSTOP): rcode timeout within the probe timeout; SIGCONT: back.
#  C. SIGHUP every 200 ms during a busy round of 200 endpoints (a slow
#     banner: sessions wait across reloads): no crash, and every target
#     that stayed in the config has its result after the storm.
#  D. SIGTERM during a round (probes and DNS lookups in flight): exit 0
#     within 2 s (and, under the ASan build, no leak report).
# Peers: tests/hostile/peer.py on 127.0.10.170 (hold) and 127.0.10.171
# (slowbanner), ports 10001-10200; NSD on 127.0.10.172; the MX on .173;
# 127.0.10.174 (slowtls), ports 10001-10020.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nsd.sh"
t_setup resource_faults

HOLD=127.0.10.170 SLOW=127.0.10.171 NS=127.0.10.172 MXA=127.0.10.173 SLOWTLS=127.0.10.174
CA=$T_DIR/ca
CFG=$T_DIR/exporter.ini
M=$T_DIR/m.prom

command -v python3 >/dev/null || t_fail "python3 is needed"
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built"
case $T_BIN in */san/*) ASAN=1 ;; *) ASAN= ;; esac

t_ca "$CA" ec256
t_cert "$CA" good hostile.test "DNS:hostile.test" 1 365 ec256
for a in $HOLD $SLOW $NS $MXA $SLOWTLS; do t_addr "$a"; done
python3 "$T_ROOT/tests/hostile/peer.py" --cert "$CA/good.chain.pem" --key "$CA/good.key" \
	--log "$T_DIR/peer.log" --case "hold@$HOLD:10001-10100" \
	--case "slowbanner@$SLOW:10001-10200" --case "slowbanner@$MXA:25" \
	--case "slowtls@$SLOWTLS:10001-10020" \
	>"$T_DIR/peer.out" 2>&1 &
PEER=$!
t_pid "$PEER"
_n=100
until grep -q '^ready' "$T_DIR/peer.out"; do
	t_running "$PEER" || { cat "$T_DIR/peer.out" >&2; t_fail "peer.py died"; }
	[ "$_n" -gt 0 ] || t_fail "peer.py not ready after 10 s"
	sleep 0.1; _n=$((_n - 1))
done
t_zone dns res.test <<EOF
ns	IN A $NS
@	IN MX 10 mx.res.test.
mx	IN A $MXA
@	IN TXT "v=spf1 mx -all"
EOF
t_nsd_start dns "$NS" res.test
NSD_PID=$(tr -dc 0-9 <"$T_DIR/dns/nsd.pid")

header() {	# LISTEN_PORT INTERVAL TIMEOUT
	printf '[exporter]\nlisten = 127.0.0.1:%s\ninterval = %s\ntimeout = %s\n' "$1" "$2" "$3"
	printf 'resolver = %s\nca_file = %s\naudit = off\nlog_level = info\n' "$NS" "$CA/ca.crt"
}
endpoints() {	# ADDR FIRST LAST
	for p in $(seq "$2" "$3"); do printf '\n[endpoint %s:%s]\nprotocol = smtp\n' "$1" "$p"; done
}
start_daemon() {	# NAME [ulimit -n]
	if [ -n "$2" ]; then
		( ulimit -n "$2" && exec "$T_BIN" --config "$CFG" ) >"$T_DIR/$1.log" 2>&1 </dev/null &
	else
		"$T_BIN" --config "$CFG" >"$T_DIR/$1.log" 2>&1 </dev/null &
	fi
	EXP=$! EXPLOG=$T_DIR/$1.log
	t_pid "$EXP"
}
alive() { t_running "$EXP" || { tail -n 30 "$EXPLOG" >&2; t_fail "the daemon died (log above)"; }; }
scrape() {	# URL: into $M; 0 if 200
	[ "$(t_http "$M" GET "$1")" = 200 ]
}
# poll SECS URL CMD...: scrape until CMD (run on $M) succeeds
poll() {
	_s=$1 _u=$2; shift 2
	_n=$((_s * 5))
	while [ "$_n" -gt 0 ]; do
		alive
		scrape "$_u" && "$@" && return 0
		sleep 0.2; _n=$((_n - 1))
	done
	return 1
}
has() { t_metric_value "$M" "$1" >/dev/null; }
is() { _v=$(t_metric_value "$M" "$1") && t_num_eq "$_v" "$2"; }
stop_daemon() {	# SECS: SIGTERM, exit 0 within SECS
	kill -TERM "$EXP"
	t_wait_exit "$EXP" "$1" || t_fail "no exit within $1 s of SIGTERM"
	wait "$EXP"; _rc=$?
	[ "$_rc" -eq 0 ] || { tail -n 30 "$EXPLOG" >&2; t_fail "exit status $_rc after SIGTERM"; }
	if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$EXPLOG"; then
		t_fail "sanitizer report in $EXPLOG (above)"
	fi
}

# --- A. ulimit -n 32, 100 endpoints that hold -------------------------------
# A1: the probes in flight are capped by the fd limit (32 - 16 - 32/16 = 14),
# the rest wait their turn: every probe runs (to its timeout, the peers
# hold), and /metrics answers all along.
t_log "A1: ulimit -n 32, 100 endpoints"
URL=http://127.0.0.1:19963
{ header 19963 1h 500ms; endpoints "$HOLD" 10001 10100; } >"$CFG"
start_daemon ulimit 32
t_wait_port 127.0.0.1 19963 10 || t_fail "A1: not listening"
fails=0 oks=0 maxf=0 i=0
while [ "$i" -lt 60 ]; do
	alive
	if scrape "$URL/metrics"; then
		oks=$((oks + 1))
		f=$(t_metric_value "$M" mailsec_exporter_probes_in_flight) && [ "$f" -gt "$maxf" ] && maxf=$f
		[ "$(grep -c '^mailsec_probe_success{' "$M")" = 100 ] && break
	else
		fails=$((fails + 1))
	fi
	sleep 0.1; i=$((i + 1))
done
t_log "A1: $oks scrapes answered, $fails not; at most $maxf probes in flight"
[ "$fails" -eq 0 ] || t_fail "A1: $fails scrapes failed under ulimit -n 32"
[ "$maxf" -le 14 ] || t_fail "A1: $maxf probes in flight, over the fd budget of 14"
poll 10 "$URL/metrics" is mailsec_exporter_probes_in_flight 0 || t_fail "A1: the round does not end"
t_assert_metric "$M" process_max_fds 32
n=$(t_metric_lines "$M" mailsec_probe_error_info | grep -c 'step="ehlo",reason="timeout"')
[ "$n" = 100 ] || t_fail "A1: $n of 100 probes ran to their timeout: $(t_metric_lines "$M" mailsec_probe_error_info | sed 's/.*step=/step=/' | sort | uniq -c)"
grep -q 'event=fd_budget .*probes_max=14' "$EXPLOG" || t_fail "A1: no fd_budget warning in the log"

# A2: HTTP clients that connect and stay take the fds the probes need: the
# probes fail with reason internal ("socket: Too many open files"; this
# used to crash: io_free of an io without events), and once the clients
# leave, /metrics answers again.
t_log "A2: idle HTTP clients eat the fds"
# The new config first (a reload needs an fd to read it): its new checks
# start within 5 s, by then the clients hold every fd.
{ header 19963 1h 500ms; endpoints "$SLOW" 10001 10100; } >"$CFG"
kill -HUP "$EXP"
python3 -c '
import socket, sys, time, os
socks = []
for i in range(40):
    try:
        s = socket.create_connection(("127.0.0.1", 19963), timeout=2)
        socks.append(s)
    except OSError:
        break
print("held", len(socks), flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
for s in socks:		# one by one: each close wakes libmicrohttpd
    s.close()
    time.sleep(0.05)
' "$T_DIR/hog.release" >"$T_DIR/hog.out" 2>&1 &
HOG=$!
t_pid "$HOG"
_n=50
until grep -q held "$T_DIR/hog.out"; do sleep 0.1; _n=$((_n - 1)); [ "$_n" -gt 0 ] || t_fail "A2: hog not ready"; done
sleep 6		# the new checks start within 5 s; the probes fail at once
alive
touch "$T_DIR/hog.release"
t_wait_exit "$HOG" 10 || t_fail "A2: hog does not end"
poll 10 "$URL/metrics" true || t_fail "A2: /metrics does not answer after the clients left"
nfd=$(t_metric_lines "$M" mailsec_probe_error_info | grep "address=\"$SLOW\"" | grep -c 'step="connect",reason="internal"')
t_log "A2: $(cat "$T_DIR/hog.out") connections; $nfd probes failed for want of an fd"
[ "$nfd" -ge 1 ] || t_fail "A2: no probe hit the fd limit"
grep -q 'detail="socket: Too many open files"' "$EXPLOG" || t_fail "A2: no 'Too many open files' detail in the log"
stop_daemon 2

# --- B. the DNS server goes away and comes back ------------------------------
t_log "B: NSD away and back"
URL=http://127.0.0.1:19964
# The answer cache off: each round asks NSD (the test is about the lookups
# failing while it is gone; a cache would serve its answers on).
{ header 19964 2s 1500ms; printf 'dns_cache_max_ttl = 0\n\n[domain res.test]\n'; } >"$CFG"
start_daemon dns
LMX='domain="res.test",host="mx.res.test",address="127.0.10.173",port="25",protocol="smtp"'
poll 15 "$URL/metrics" has "mailsec_probe_success{$LMX}" || t_fail "B: no first round"
t_assert_metric "$M" 'mailsec_dns_lookup_success{domain="res.test",record="mx"}' 1
t_stop_pid "$NSD_PID" 5 || t_fail "B: NSD needed SIGKILL"
t_log "B: NSD stopped"
poll 15 "$URL/metrics" is 'mailsec_dns_lookup_success{domain="res.test",record="mx"}' 0 ||
	t_fail "B: the lookups still succeed with NSD gone"
t_metric_lines "$M" mailsec_dns_error_info
# NSD's address is still on lo: the kernel answers with ICMP port
# unreachable, c-ares sees ECONNREFUSED ("could not contact DNS servers"):
# rcode "error", quickly, not a timeout.
t_assert_metric "$M" 'mailsec_dns_error_info{domain="res.test",record="mx",rcode="error"}' 1
t_assert_absent "$M" "mailsec_probe_success{$LMX}"
t_assert_metric "$M" 'mailsec_check_success{target="res.test",kind="domain"}' 0
t_nsd_start dns "$NS" res.test
NSD_PID=$(tr -dc 0-9 <"$T_DIR/dns/nsd.pid")
t_log "B: NSD back"
back() {
	poll 15 "$URL/metrics" has "mailsec_probe_success{$LMX}" || t_fail "B: no round succeeds after NSD is back"
	t_assert_metric "$M" 'mailsec_dns_lookup_success{domain="res.test",record="mx"}' 1
	t_assert_absent "$M" 'mailsec_dns_error_info{domain="res.test",record="mx",'
	t_assert_metric "$M" 'mailsec_spf_valid{domain="res.test"}' 1
}
back
# A DNS server that hangs (SIGSTOP: its sockets stay, nothing answers):
# rcode timeout, each lookup within the 1.5 s probe timeout; then SIGCONT.
# (The pidfile names NSD's xfrd, which leads the process group of its main
# and server processes: signal that group, and only if it is NSD's own.)
nsd_signal() {
	[ "$(ps -o pgid= -p "$NSD_PID" | tr -d ' ')" = "$NSD_PID" ] ||
		t_fail "B: NSD $NSD_PID does not lead its process group"
	kill "-$1" "-$NSD_PID"
}
nsd_signal STOP
t_log "B: NSD hung (SIGSTOP)"
poll 15 "$URL/metrics" is 'mailsec_dns_lookup_success{domain="res.test",record="mx"}' 0 ||
	{ nsd_signal CONT; t_fail "B: the lookups still succeed with NSD stopped"; }
nsd_signal CONT
t_log "B: NSD resumed (SIGCONT)"
t_assert_metric "$M" 'mailsec_dns_error_info{domain="res.test",record="mx",rcode="timeout"}' 1
_d=$(t_metric_value "$M" 'mailsec_dns_lookup_duration_seconds{domain="res.test",record="mx"}')
awk -v d="$_d" 'BEGIN { exit !(d >= 1.3 && d <= 1.8) }' || t_fail "B: the timed-out lookup took ${_d}s, want ~1.5"
back
stop_daemon 2

# --- C. SIGHUP every 200 ms during a busy round of 200 endpoints -------------
t_log "C: SIGHUP storm over 200 endpoints"
URL=http://127.0.0.1:19965
# 150 targets stay, 50 come and go; 20 more stay and complete STARTTLS (their
# sessions wait for the banner across reloads, which replace the TLS
# context: this used to be a use after free, as was the EHLO name).
full() { { header 19965 1h 5s; endpoints "$SLOWTLS" 10001 10020; endpoints "$SLOW" 10001 10200; } >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"; }
part() { { header 19965 1h 5s; endpoints "$SLOWTLS" 10001 10020; endpoints "$SLOW" 10001 10150; } >"$CFG.tmp" && mv "$CFG.tmp" "$CFG"; }
full
start_daemon storm
t_wait_port 127.0.0.1 19965 10 || t_fail "C: not listening"
i=0
while [ "$i" -lt 20 ]; do
	alive
	if [ $((i % 2)) = 0 ]; then part; else full; fi
	kill -HUP "$EXP"
	sleep 0.2; i=$((i + 1))
done
full; kill -HUP "$EXP"
reloads=$(grep -c 'event=reload_done' "$EXPLOG")
t_log "C: $reloads reloads done so far"
[ "$reloads" -ge 15 ] || t_fail "C: only $reloads of 21 reloads done"
all150() {	# every kept target (ports 10001-10150) has a result
	[ "$(grep "^mailsec_probe_success{.*address=\"$SLOW\"" "$M" | grep -c 'port="10\(0[0-9][0-9]\|1[0-4][0-9]\|150\)"')" = 150 ] &&
	[ "$(grep -c "^mailsec_probe_success{.*address=\"$SLOWTLS\"" "$M")" = 20 ]
}
poll 20 "$URL/metrics" all150 || t_fail "C: the kept targets do not all have a result 20 s after the storm"
for p in $(seq 10001 10150); do
	l="domain=\"\",host=\"$SLOW\",address=\"$SLOW\",port=\"$p\",protocol=\"smtp\""
	t_metric_value "$M" "mailsec_probe_error_info{$l,step=\"ehlo\",reason=\"starttls_missing\",cause=\"none\"}" >/dev/null ||
		t_fail "C: target $SLOW:$p has no starttls_missing result: $(grep "port=\"$p\"" "$M" | head -n 3)"
done
for p in $(seq 10001 10020); do
	t_assert_metric "$M" "mailsec_probe_success{domain=\"\",host=\"$SLOWTLS\",address=\"$SLOWTLS\",port=\"$p\",protocol=\"smtp\"}" 1 >/dev/null
done
t_assert_metric "$M" mailsec_exporter_config_last_reload_successful 1
t_log "C: all 170 kept targets have their result (the 20 STARTTLS ones succeeded)"
stop_daemon 2

# --- D. SIGTERM during a round ------------------------------------------------
t_log "D: SIGTERM mid-round"
URL=http://127.0.0.1:19966
{ header 19966 1h 10s; printf '\n[domain res.test]\n'; endpoints "$HOLD" 10001 10100; } >"$CFG"
start_daemon term
busy() { _f=$(t_metric_value "$M" mailsec_exporter_probes_in_flight) && [ "$_f" -ge 50 ]; }
poll 10 "$URL/metrics" busy || t_fail "D: the round never got busy"
t0=$(date +%s.%N)
stop_daemon 2
t_log "D: exit 0 after $(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')s, probes in flight: $(t_metric_value "$M" mailsec_exporter_probes_in_flight)"
echo "all cases passed"
