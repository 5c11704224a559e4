#!/bin/sh
# The docs stay true to the code: every metric family in web/expo.c is in
# README.md's metric list, every config key in daemon/config.c's key tables
# is in exporter.ini.example, and the example loads.
. "$(dirname "$0")/../lib/common.sh"
t_setup docs

missing=
for name in $(grep -o '"\(mailsec\|process\)_[a-z0-9_]*"' web/expo.c | tr -d '"'); do
	grep -q "\`$name\`\|\`$name{" README.md || missing="$missing $name"
done
[ -z "$missing" ] || t_fail "metrics not in README.md:$missing"
n=$(grep -o '"\(mailsec\|process\)_[a-z0-9_]*"' web/expo.c | wc -l)
[ "$n" -gt 40 ] || t_fail "found only $n metric families in web/expo.c: the pattern is stale"

missing=
for key in $(sed -n 's/^[[:space:]]*{ "\([a-z_0-9]*\)", set_.*/\1/p' daemon/config.c | sort -u); do
	grep -q "^;* *$key *=" exporter.ini.example || missing="$missing $key"
done
[ -z "$missing" ] || t_fail "config keys not in exporter.ini.example:$missing"

"$T_BIN" --check-config --config exporter.ini.example >/dev/null ||
	t_fail "exporter.ini.example does not load"
echo "all cases passed"
