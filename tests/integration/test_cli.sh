#!/bin/sh
# Command line (case (i)): --check-config reports every bad line as
# FILE:LINE: MESSAGE and exits 1, or prints OK and exits 0.  No server runs;
# the 127.0.10.31-39 addresses are only written into the configs.
. "$(dirname "$0")/../lib/common.sh"
t_setup cli

[ -x "$T_BIN" ] || t_fail "$T_BIN is not built (make)"

# check FILE: runs --check-config, output (stdout+stderr) in FILE.out, status in $rc.
check() {
	"$T_BIN" --config "$1" --check-config >"$1.out" 2>&1 </dev/null
	rc=$?
}
# reported FILE: the line numbers of FILE that the output blames, sorted.
reported() {
	awk -v f="$1:" 'index($0, f) == 1 { r = substr($0, length(f) + 1);
		if (match(r, /^[0-9]+: ./)) print substr(r, 1, index(r, ":") - 1) }' "$1.out" |
		sort -n -u | tr '\n' ' ' | sed 's/ $//'
}

# --- a valid file ----------------------------------------------------------------
GOOD=$T_DIR/good.ini
cat >"$GOOD" <<'EOF'
[exporter]
listen = 127.0.0.1:19926
timeout = 5s
log_level = debug

[endpoint 127.0.10.31:25]
protocol = smtp

[endpoint 127.0.10.31:465]
protocol = smtps

[endpoint 127.0.10.31:587]
protocol = submission
EOF
check "$GOOD"
[ "$rc" -eq 0 ] || { cat "$GOOD.out" >&2; t_fail "--check-config on a valid file exited $rc, want 0 (output above)"; }
grep -q 'OK' "$GOOD.out" || t_fail "--check-config on a valid file did not print OK: $(cat "$GOOD.out")"
echo "ok: valid file -> OK, exit 0"

# --- one bad value per marked line -------------------------------------------------
BAD=$T_DIR/bad.ini
cat >"$BAD" <<'EOF'
[exporter]
listen = 127.0.0.1:notaport
timeout = notaduration
log_level = debug

[endpoint 127.0.10.32:25]
protocol = gopher

[endpoint 127.0.10.33:25]
protocol = smtp
protocl = smtp
EOF
want="2 3 7 11"	# listen, timeout, protocol, the misspelt key
check "$BAD"
[ "$rc" -eq 1 ] || { cat "$BAD.out" >&2; t_fail "--check-config on $BAD exited $rc, want 1 (output above)"; }
got=$(reported "$BAD")
if [ "$got" != "$want" ]; then
	sed 's/^/    /' "$BAD.out" >&2
	t_fail "--check-config blamed lines [$got] of $BAD, want [$want] (each as '$BAD:LINE: message'; output above)"
fi
echo "ok: bad values -> lines $got, exit 1"

# --- an ini syntax error -------------------------------------------------------
SYN=$T_DIR/syntax.ini
printf '[exporter]\nlisten = 127.0.0.1:19926\nthis line has no equals sign\n' >"$SYN"
check "$SYN"
[ "$rc" -eq 1 ] || { cat "$SYN.out" >&2; t_fail "--check-config on $SYN exited $rc, want 1"; }
got=$(reported "$SYN")
case " $got " in
*" 3 "*) echo "ok: syntax error -> line 3, exit 1" ;;
*) sed 's/^/    /' "$SYN.out" >&2; t_fail "--check-config did not report '$SYN:3: ...' for a line without '=' (output above)" ;;
esac

# --- a missing file ------------------------------------------------------------
check "$T_DIR/does-not-exist.ini"
[ "$rc" -eq 1 ] || t_fail "--check-config on a missing file exited $rc, want 1"
grep -q "does-not-exist.ini" "$T_DIR/does-not-exist.ini.out" ||
	t_fail "--check-config on a missing file does not name it: $(cat "$T_DIR/does-not-exist.ini.out")"
echo "ok: missing file -> exit 1"

# --- the flags as the Prometheus ecosystem spells them ------------------------
"$T_BIN" --config.file="$GOOD" --config.check >"$T_DIR/dotted.out" 2>&1 </dev/null ||
	t_fail "--config.file --config.check on a valid file: $(cat "$T_DIR/dotted.out")"
grep -q "OK, 3 targets" "$T_DIR/dotted.out" || t_fail "--config.check: $(cat "$T_DIR/dotted.out")"
"$T_BIN" --config.file "$BAD" --config.check >"$T_DIR/dotted-bad.out" 2>&1 </dev/null &&
	t_fail "--config.check on $BAD exited 0"
echo "ok: --config.file and --config.check"
for bad in "--log.format=xml" "--log.level=loud" "--web.listen-address=nowhere" \
    "--web.listen-address=127.0.0.1:99999" "--web.listen-address=mail.example:9925"; do
	"$T_BIN" --config "$GOOD" --config.check "$bad" >"$T_DIR/flag.out" 2>&1 </dev/null
	rc=$?
	[ "$rc" -eq 2 ] || t_fail "$bad: exit $rc, want 2 ($(cat "$T_DIR/flag.out"))"
	grep -q "bad --" "$T_DIR/flag.out" || t_fail "$bad: no message: $(cat "$T_DIR/flag.out")"
done
echo "ok: bad --log.format, --log.level, --web.listen-address -> exit 2"

# --web.listen-address overrides the file's listen; --log.format=json logs
# one JSON object a line; --log.level overrides log_level (debug here).
"$T_BIN" --config.file "$GOOD" --web.listen-address=127.0.0.1:19927 \
    --log.format=json --log.level=info >"$T_DIR/json.log" 2>&1 </dev/null &
pid=$!
t_pid "$pid"
t_wait_port 127.0.0.1 19927 10 || t_fail "--web.listen-address=127.0.0.1:19927 not listening: $(cat "$T_DIR/json.log")"
if _l=$(t_listening 127.0.0.1 19926); then t_fail "the file's listen 127.0.0.1:19926 is used too: $_l"; fi
t_stop_pid "$pid" || t_fail "the exporter needed SIGKILL"
python3 - "$T_DIR/json.log" <<'EOF' || t_fail "--log.format=json (above)"
import json, sys
lines = open(sys.argv[1], encoding="ascii").read().splitlines()
objs = [json.loads(l) for l in lines]
if not objs:
    sys.exit("no log line")
for o in objs:
    if not {"ts", "level", "event"} <= set(o):
        sys.exit("a line without ts, level, event: %r" % o)
    if o["level"] == "debug":
        sys.exit("a debug line though --log.level=info: %r" % o)
ev = {o["event"]: o for o in objs}
if ev.get("listening", {}).get("port") != "19927":
    sys.exit("no listening event on port 19927: %r" % ev.get("listening"))
print("ok: --log.format=json: %d lines, each a JSON object; listening on %s" % (len(objs), ev["listening"]["port"]))
EOF
echo "all cases passed"
