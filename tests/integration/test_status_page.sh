#!/bin/sh
# The status page in a real browser: headless Chromium loads
# http://127.0.0.1:19982/ from an exporter with two targets,
#   127.0.10.85:25  Postfix, STARTTLS, TLS 1.2+ only, cert from the test CA
#   127.0.10.86:25  nothing listens
# and the test reads the DOM it built: the failing row first, with "fail"
# and "connection refused", the passing one with "pass"; no console error,
# no CSP violation.  Screenshots (1280x800 and a 390x844 phone) of the page
# and of a target page stay in tests/out/status_page/ for people to look at.
# Also: the per-target page, 404s, the JSON API (parsed), HTML headers.
. "$(dirname "$0")/../lib/common.sh"
t_setup status_page

A=127.0.10.85 DEAD=127.0.10.86
URL=http://127.0.0.1:19982
CA=$T_DIR/ca

if _l=$(t_listening 127.0.0.1 19982); then t_fail "port 19982 is taken: $_l"; fi
if _l=$(t_listening $DEAD 25); then t_fail "$DEAD:25 must be free: $_l"; fi

CHROME=$(command -v chromium || command -v chromium-browser || :)
if [ -z "$CHROME" ]; then
	t_log "chromium missing: installing it (Debian package chromium)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
		>"$T_DIR/apt.log" 2>&1 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update >>"$T_DIR/apt.log" 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
			>>"$T_DIR/apt.log" 2>&1; } ||
		{ tail -n 20 "$T_DIR/apt.log" >&2; t_fail "cannot install chromium"; }
	CHROME=$(command -v chromium) || t_fail "chromium installed but not found"
fi

t_ca "$CA"
t_cert "$CA" mail "$A" "IP:$A,DNS:mail85.test" 1 300 ec256
t_addr "$A"
t_addr "$DEAD"
t_postfix_start pf "$A" mail85.test "smtpd_tls_security_level = may" \
	"smtpd_tls_cert_file = $CA/mail.chain.pem" "smtpd_tls_key_file = $CA/mail.key" \
	"smtpd_tls_protocols = >=TLSv1.2" "smtpd_tls_mandatory_protocols = >=TLSv1.2" \
	"smtpd_tls_ciphers = high" "smtpd_tls_mandatory_ciphers = high" \
	"smtpd_tls_exclude_ciphers = aNULL, eNULL, kRSA, kDHE, SHA1, SHA256, SHA384, CAMELLIA, ARIA, PSK, SRP, AESCCM8" \
	"tls_preempt_cipherlist = yes"

[ -x "$T_BIN" ] || t_fail "$T_BIN is not built (make)"
cat >"$T_DIR/exporter.ini" <<EOF
[exporter]
listen = 127.0.0.1:19982
timeout = 5s
ca_file = $CA/ca.crt
log_level = debug

[endpoint $A:25]
[endpoint $DEAD:25]
audit = off
EOF
"$T_BIN" --config "$T_DIR/exporter.ini" >"$T_DIR/exporter.log" 2>&1 </dev/null &
EXP=$!
t_pid "$EXP"

# Both checked once, and the passing endpoint audited (its TLS verdict
# comes from the audit).
n=60
while :; do
	t_running "$EXP" || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter exited (log above)"; }
	code=$(t_http "$T_DIR/one.json" GET "$URL/api/v1/status/$A%3A25")
	[ "$code" = 200 ] && grep -q '"kind":"endpoint","verdict":"pass"' "$T_DIR/one.json" &&
		grep -q '"tls":{"verdict":"pass"' "$T_DIR/one.json" &&
		[ "$(t_http "$T_DIR/all.json" GET "$URL/api/v1/status")" = 200 ] &&
		grep -q '"ready":true' "$T_DIR/all.json" && break
	n=$((n - 1)); [ "$n" -gt 0 ] || t_fail "$A:25 is not 'pass' with an audit after 30 s: $(head -c 600 "$T_DIR/one.json")"
	sleep 0.5
done
t_log "both targets checked"

# --- HTTP side --------------------------------------------------------------------
code=$(t_http "$T_DIR/index.html" GET "$URL/")
[ "$code" = 200 ] || t_fail "GET / answered $code"
for h in 'Content-Type: text/html; charset=utf-8' "Content-Security-Policy: default-src 'none'" \
	'X-Content-Type-Options: nosniff'; do
	grep -qiF "$h" "$T_DIR/index.html.headers" || t_fail "GET / lacks the header '$h'"
done
grep -q '<script' "$T_DIR/index.html" && t_fail "the status page has a script"
grep -Eq '(src|href)="https?:' "$T_DIR/index.html" && t_fail "the status page loads something from outside"
code=$(t_http "$T_DIR/target.html" GET "$URL/target/$DEAD%3A25")
[ "$code" = 200 ] || t_fail "GET /target/$DEAD%3A25 answered $code"
grep -q "connection refused" "$T_DIR/target.html" || t_fail "the target page does not say 'connection refused'"
code=$(t_http "$T_DIR/good.html" GET "$URL/target/$A%3A25")
[ "$code" = 200 ] || t_fail "GET /target/$A%3A25 answered $code"
for w in 'Ratings (NCSC-NL TLS guidelines)' 'TLS version</th><td>sufficient: accepts TLSv1.2, TLSv1.3' \
	'TLS rating</th><td>'; do
	grep -qF "$w" "$T_DIR/good.html" || t_fail "the target page of $A:25 lacks '$w'"
done
code=$(t_http "$T_DIR/x" GET "$URL/target/no.such.target")
[ "$code" = 404 ] || t_fail "GET /target/no.such.target answered $code, want 404"
code=$(t_http "$T_DIR/x" GET "$URL/api/v1/status/no.such.target")
[ "$code" = 404 ] || t_fail "GET /api/v1/status/no.such.target answered $code, want 404"
code=$(t_http "$T_DIR/all.json" GET "$URL/api/v1/status")
[ "$code" = 200 ] || t_fail "GET /api/v1/status answered $code"
python3 - "$T_DIR/all.json" "$A" "$DEAD" <<'EOF' || t_fail "/api/v1/status (above)"
import json, sys
d = json.load(open(sys.argv[1]))
a, dead = sys.argv[2] + ":25", sys.argv[3] + ":25"
names = [t["name"] for t in d["targets"]]
assert names == [dead, a], names
bad, good = d["targets"]
assert bad["verdict"] == "fail" and bad["reason"] == "connection refused", bad
assert bad["endpoints"][0]["failure"]["reason"] == "conn", bad["endpoints"][0]
assert bad["endpoints"][0]["failure"]["cause"] == "refused" and bad["endpoints"][0]["failure"]["tls_alert"] is None, bad["endpoints"][0]
assert good["verdict"] == "pass", good
for k in ("starttls", "tls", "certificate"):
    assert good["checks"][k]["verdict"] == "pass", (k, good["checks"][k])
assert good["checks"]["spf"]["verdict"] == "n/a"
c = good["endpoints"][0]["certificate"]
assert c["verified"] and c["hostname_match"], c
assert 298 <= good["cert_days_left"] <= 300, good["cert_days_left"]
assert good["endpoints"][0]["audit"]["versions_accepted"]["TLSv1.1"] is False
# the ratings (doc/ratings.md): TLS 1.2 and 1.3 accepted, so "sufficient"
r = good["endpoints"][0]["ratings"]
assert r["worst"] == "sufficient" and r["worst_value"] == 2, r
assert r["checks"]["version"] == {"class": "sufficient", "value": 2,
    "reason": "accepts TLSv1.2, TLSv1.3", "guideline": "NCSC-NL 3.3.1",
    "counts_in_worst": True}, r["checks"]["version"]
assert r["checks"]["cert_key"]["class"] == "good", r["checks"]["cert_key"]
assert good["checks"]["tls_rating"]["verdict"] == "pass", good["checks"]["tls_rating"]
assert good["endpoints"][0]["audit"]["groups_accepted"]["x25519"] is True
assert bad["endpoints"][0]["ratings"] is None
assert d["counts"] == {"pass": 1, "pending": 0, "warn": 0, "fail": 1}, d["counts"]
print("ok: /api/v1/status parses, worst first, verdicts and reasons right")
EOF

# --- the browser --------------------------------------------------------------------
# chrome URL OUT_STDOUT EXTRA_ARGS...: one headless run, bounded.
chrome() {
	_u=$1 _o=$2
	shift 2
	timeout -k 5 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-dev-shm-usage --user-data-dir="$T_DIR/chrome" \
		--enable-logging=stderr --v=0 "$@" "$_u" >"$_o" 2>>"$T_DIR/chrome.log" </dev/null
}
: >"$T_DIR/chrome.log"
chrome "$URL/" "$T_DIR/dom.html" --dump-dom ||
	{ tail -n 30 "$T_DIR/chrome.log" >&2; t_fail "chromium --dump-dom failed"; }
chrome "$URL/" /dev/null --screenshot="$T_DIR/status.png" --window-size=1280,800 ||
	t_fail "chromium --screenshot (1280x800) failed"
chrome "$URL/" /dev/null --screenshot="$T_DIR/status-phone.png" --window-size=390,844 ||
	t_fail "chromium --screenshot (390x844) failed"
chrome "$URL/target/$DEAD%3A25" /dev/null --screenshot="$T_DIR/target.png" --window-size=1280,800 ||
	t_fail "chromium --screenshot of a target page failed"
chrome "$URL/target/$A%3A25" /dev/null --screenshot="$T_DIR/target-pass.png" --window-size=1280,1400 ||
	t_fail "chromium --screenshot of a target page failed"
for f in status.png status-phone.png target.png target-pass.png; do
	[ -s "$T_DIR/$f" ] && [ "$(head -c 8 "$T_DIR/$f" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] ||
		t_fail "$f is not a PNG"
done
echo "ok: screenshots in $T_DIR: status.png, status-phone.png, target.png, target-pass.png"
if grep -E 'Uncaught|ERROR:CONSOLE|CONSOLE\([0-9]+\)\] "Refused' "$T_DIR/chrome.log"; then
	t_fail "the page logged console errors (above)"
fi
echo "ok: no console error"

python3 - "$T_DIR/dom.html" "$A" "$DEAD" <<'EOF' || t_fail "the DOM of / (above)"
import sys
from html.parser import HTMLParser

class Rows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.cur = [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "row" in (a.get("class") or "").split():
            self.cur = {"class": a["class"], "text": ""}
    def handle_endtag(self, tag):
        if tag == "tr" and self.cur is not None:
            self.rows.append(self.cur)
            self.cur = None
    def handle_data(self, data):
        if self.cur is not None:
            self.cur["text"] += data + " "

p = Rows()
p.feed(open(sys.argv[1], encoding="utf-8").read())
a, dead = sys.argv[2] + ":25", sys.argv[3] + ":25"
assert len(p.rows) == 2, p.rows
first, second = p.rows
assert dead in first["text"], "first row is not the failing target: " + first["text"]
assert "fail" in first["class"].split() and "fail" in first["text"], first
assert "connection refused" in first["text"], first["text"]
assert a in second["text"] and "pass" in second["class"].split(), second
assert "pass" in second["text"] and "fail" not in second["text"], second["text"]
print("ok: DOM: %s first (fail, connection refused), %s second (pass)" % (dead, a))
EOF

kill -TERM "$EXP" && t_wait_exit "$EXP" 5 || t_fail "the exporter did not stop on SIGTERM"
wait "$EXP"; rc=$?
[ "$rc" = 0 ] || { tail -n 20 "$T_DIR/exporter.log" >&2; t_fail "the exporter exited $rc"; }
echo "all cases passed"
