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
echo "all cases passed"
