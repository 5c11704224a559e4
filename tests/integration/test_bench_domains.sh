#!/bin/sh
# The smoke test of `make bench SCALE=domains` (bench/domains.py): 50
# generated domains, --once with share = on and off, no daemon rounds.  The
# bench's own servers (NSD with a signed zone, nginx's mail proxy and HTTPS)
# on 127.0.20.0/24.  Exact values: every domain's check succeeds both ways;
# share = on makes one handshake per distinct server (counted below),
# share = off one per endpoint result.
. "$(dirname "$0")/../lib/common.sh"
t_setup bench_domains

TOOLS=$T_DIR/tools
mkdir -p "$TOOLS"
for t in measure httpload; do
	cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$TOOLS/$t" "bench/$t.c" ||
		t_fail "cannot build bench/$t.c"
done
python3 bench/domains.py --n 50 --rounds 1 --skip daemon --exporter "$T_BIN" \
	--tools "$TOOLS" --results "$T_DIR/results.json" >"$T_DIR/bench.out" 2>&1 ||
	t_fail "bench/domains.py failed: $(tail -n 20 "$T_DIR/bench.out")"
cat "$T_DIR/bench.out"

# 50 domains: 10 with an MX of their own (i % 5 == 0) and 5 clusters of 2
# MX hosts: 20 servers; the hostile ones add 16 MX hosts where nothing
# listens (20 MX, 16 probed) and one that does not resolve: 37 endpoints.
python3 - "$T_DIR/results.json" <<'EOF' || t_fail "bench figures wrong (above)"
import json, sys
R = json.load(open(sys.argv[1]))
on, off = R["once_on"], R["once_off"]
want = [
    ("share on: domains ok", on["domains_ok"], 50),
    ("share off: domains ok", off["domains_ok"], 50),
    # the generated SPF trees resolve, within RFC 7208's 10 lookups
    ("share on: SPF valid", on["spf_valid"], 50),
    ("distinct servers (generated)", R["distinct_servers"], 20),
    ("share on: distinct endpoints", on["distinct_endpoints"], 37),
    ("share on: handshakes", on["handshakes_exporter"], 37),
    ("share off: handshakes", off["handshakes_exporter"], off["endpoint_results"]),
    ("endpoint results", on["endpoint_results"], 40 * 2 + 10 + 16 + 1 + 2),
    ("share off: nothing shared", off["shared"], 0),
    ("same series both ways", on["series_per_domain"], off["series_per_domain"]),
]
bad = [w for w in want if w[1] != w[2]]
for w in want:
    print("%s: %s (want %s)%s" % (w[0], w[1], w[2], "" if w[1] == w[2] else "  WRONG"))
sys.exit(1 if bad else 0)
EOF
echo "ok: make bench SCALE=domains, smoke size"
