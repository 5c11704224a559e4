#!/bin/sh
# Reloads without a signal, both through the SIGHUP path:
#  A. the config file changes (inotify on the loop): a Kubernetes-style
#     ConfigMap volume (exporter.ini -> ..data/exporter.ini, ..data a
#     symlink swapped by rename), updated the way the kubelet does it;
#     /-/reload answers 405 to GET and 403 to POST without
#     --web.enable-lifecycle.
#  B. POST /-/reload with --web.enable-lifecycle: answered once the reload
#     is done, 500 for a broken config (the old one keeps running), 200
#     for a good one; a plain rewrite of the file is seen too.
# The targets are addresses where nothing listens: a target shows up as
# its mailsec_check_success series, whatever the probe finds.
. "$(dirname "$0")/../lib/common.sh"
t_setup lifecycle

UA=http://127.0.0.1:19971 UB=http://127.0.0.1:19972
for p in 19971 19972; do
	if _l=$(t_listening 127.0.0.1 $p); then t_fail "127.0.0.1:$p is taken: $_l"; fi
done
[ -x "$T_BIN" ] || t_fail "$T_BIN is not built (make)"

# ini PORT TARGET...: a config probing each TARGET (ADDR:25) every 1 s.
ini() {
	_p=$1; shift
	printf '[exporter]\nlisten = 127.0.0.1:%s\ninterval = 1s\ntimeout = 1s\naudit = off\n' "$_p"
	for _t in "$@"; do printf '\n[endpoint %s]\nprotocol = smtp\n' "$_t"; done
}
# has_target URL TARGET SECS: true once /metrics has its check.
has_target() {
	_n=$(( $3 * 4 ))
	while [ "$_n" -gt 0 ]; do
		curl -s --max-time 5 "$1/metrics" >"$T_DIR/m.prom" 2>/dev/null
		t_metric_value "$T_DIR/m.prom" "mailsec_check_success{target=\"$2\",kind=\"endpoint\"}" >/dev/null &&
			return 0
		sleep 0.25; _n=$((_n - 1))
	done
	return 1
}
reload_ok() {
	curl -s --max-time 5 "$1/metrics" >"$T_DIR/m.prom" 2>/dev/null
	t_metric_value "$T_DIR/m.prom" mailsec_exporter_config_last_reload_successful
}

# --- A: a ConfigMap volume, updated as the kubelet does -------------------------
V=$T_DIR/configmap
mkdir -p "$V/..2026_01" || t_fail "mkdir"
ini 19971 127.0.10.211:25 >"$V/..2026_01/exporter.ini"
ln -s ..2026_01 "$V/..data" && ln -s ..data/exporter.ini "$V/exporter.ini" || t_fail "symlinks"
"$T_BIN" --config.file "$V/exporter.ini" >"$T_DIR/a.log" 2>&1 </dev/null &
A=$!
t_pid "$A"
t_wait_port 127.0.0.1 19971 10 || t_fail "exporter A not listening: $(tail -n 5 "$T_DIR/a.log")"
has_target "$UA" 127.0.10.211:25 10 || t_fail "A: the first target never showed up"

code=$(t_http "$T_DIR/r" GET "$UA/-/reload")
[ "$code" = 405 ] || t_fail "GET /-/reload: $code, want 405"
grep -qi '^Allow: POST, PUT' "$T_DIR/r.headers" || t_fail "GET /-/reload: no Allow: POST, PUT"
code=$(t_http "$T_DIR/r" POST "$UA/-/reload")
[ "$code" = 403 ] || t_fail "POST /-/reload without --web.enable-lifecycle: $code, want 403"
grep -q "web.enable-lifecycle" "$T_DIR/r" || t_fail "403 body: $(cat "$T_DIR/r")"
code=$(t_http "$T_DIR/r" POST "$UA/metrics")
[ "$code" = 405 ] || t_fail "POST /metrics: $code, want 405"
echo "ok: /-/reload 405 to GET, 403 to POST without --web.enable-lifecycle; POST /metrics 405"

mkdir -p "$V/..2026_02"
ini 19971 127.0.10.211:25 127.0.10.212:25 >"$V/..2026_02/exporter.ini"
ln -s ..2026_02 "$V/..data_tmp" && mv -T "$V/..data_tmp" "$V/..data" || t_fail "swapping ..data"
has_target "$UA" 127.0.10.212:25 10 ||
	t_fail "A: the ConfigMap update was not picked up: $(grep 'event=config' "$T_DIR/a.log")"
grep -q 'event=config_changed' "$T_DIR/a.log" || t_fail "A: no config_changed in the log"
grep -q 'event=reload_done' "$T_DIR/a.log" || t_fail "A: no reload_done in the log"
[ "$(grep -c 'event=reload ' "$T_DIR/a.log")" -eq 1 ] ||
	t_fail "A: one update, $(grep -c 'event=reload ' "$T_DIR/a.log") reloads (not coalesced?)"
echo "ok: a ConfigMap-style update (..data swapped) reloads once, through the SIGHUP path"

# --- B: POST /-/reload -------------------------------------------------------------
ini 19972 127.0.10.213:25 >"$T_DIR/b.ini"
"$T_BIN" --config "$T_DIR/b.ini" --web.enable-lifecycle >"$T_DIR/b.log" 2>&1 </dev/null &
B=$!
t_pid "$B"
t_wait_port 127.0.0.1 19972 10 || t_fail "exporter B not listening: $(tail -n 5 "$T_DIR/b.log")"
has_target "$UB" 127.0.10.213:25 10 || t_fail "B: the first target never showed up"

# Broken, and POSTed at once: the answer comes from the POST's own reload,
# before the file watch's (it waits 300 ms for quiet).
{ ini 19972 127.0.10.213:25; printf 'interval = soon\n'; } >"$T_DIR/b.ini"
code=$(t_http "$T_DIR/r" POST "$UB/-/reload")
[ "$code" = 500 ] || t_fail "POST /-/reload with a broken config: $code, want 500 ($(cat "$T_DIR/r"))"
[ "$(reload_ok "$UB")" = 0 ] || t_fail "reload_successful not 0 after a failed reload"
has_target "$UB" 127.0.10.213:25 2 || t_fail "B: the old config stopped after a failed reload"
echo "ok: POST /-/reload of a broken config -> 500, the old config keeps running"

ini 19972 127.0.10.213:25 127.0.10.214:25 >"$T_DIR/b.ini"
code=$(t_http "$T_DIR/r" POST "$UB/-/reload")
[ "$code" = 200 ] || t_fail "POST /-/reload: $code, want 200 ($(cat "$T_DIR/r"))"
[ "$(reload_ok "$UB")" = 1 ] || t_fail "reload_successful not 1 after a good reload"
has_target "$UB" 127.0.10.214:25 10 || t_fail "B: the new target never showed up"
echo "ok: POST /-/reload -> 200, the new target runs"
sleep 1
n=$(grep -c 'event=reload ' "$T_DIR/b.log")
ini 19972 127.0.10.214:25 >"$T_DIR/b.ini"
n2=$n; k=40
while [ "$n2" -eq "$n" ] && [ "$k" -gt 0 ]; do
	sleep 0.25; k=$((k - 1)); n2=$(grep -c 'event=reload ' "$T_DIR/b.log")
done
[ "$n2" -gt "$n" ] || t_fail "B: a plain rewrite of the config was not picked up"
echo "ok: a plain rewrite of the file reloads too"
echo "all cases passed"
