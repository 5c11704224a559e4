#!/bin/sh
# The docs stay true to the code: every metric family in web/expo.c is in
# README.md's metric list, every config key in daemon/config_keys.c's key
# tables is in exporter.ini.example, every alert the verdicts name
# (web/verdict.c finding_alerts) is a rule with a runbook entry, and the
# example loads.
. "$(dirname "$0")/../lib/common.sh"
t_setup docs

missing=
for name in $(grep -o '"\(mailsec\|process\)_[a-z0-9_]*"' web/expo.c | tr -d '"'); do
	grep -q "\`$name\`\|\`$name{" README.md || missing="$missing $name"
done
[ -z "$missing" ] || t_fail "metrics not in README.md:$missing"
n=$(grep -o '"\(mailsec\|process\)_[a-z0-9_]*"' web/expo.c | wc -l)
[ "$n" -gt 40 ] || t_fail "found only $n metric families in web/expo.c: the pattern is stale"

# ... and the other way: every metric name the docs, rules, their tests and
# the dashboard use is a family of web/expo.c (a rename reaches them all).
# Words that are not metrics: the program, the /probe job of the rule
# tests, a relabelling label; prefixes (ending in _) are not names.
stale=
for f in README.md doc/*.md doc/mailsec_exporter.8 deploy/README.md deploy/kubernetes/README.md \
    deploy/prometheus/*.yml deploy/grafana/mailsec.json; do
	for name in $(grep -o 'mailsec_[a-z0-9_]*' "$f" | sort -u); do
		case $name in mailsec_exporter|mailsec_probe|mailsec_shard|*_) continue ;; esac
		grep -q "\"$name\"" web/expo.c || stale="$stale $f:$name"
	done
done
[ -z "$stale" ] || t_fail "metric names used but not in web/expo.c:$stale"
for old in 'phase="total"' 'phase=\\"total' 'phase="resolve"' 'result="success"' 'result="failure"'; do
	f=$(grep -l -F "$old" README.md doc/*.md deploy/prometheus/*.yml deploy/grafana/mailsec.json tests/integration/*.sh 2>/dev/null |
	    grep -v test_docs.sh)
	[ -z "$f" ] || t_fail "$old (a removed label value) still in: $f"
done

missing= n=0
for key in $(sed -n 's/^[[:space:]]*{ "\([a-z_0-9]*\)", set_.*/\1/p' daemon/config_keys.c | sort -u); do
	n=$((n + 1))
	grep -q "^;* *$key *=" exporter.ini.example || missing="$missing $key"
done
[ -z "$missing" ] || t_fail "config keys not in exporter.ini.example:$missing"
[ "$n" -gt 40 ] || t_fail "found only $n config keys in daemon/config_keys.c: the pattern is stale"

# The verdicts' alerts (web/verdict.c) are rules of the mixin, each with
# its runbook entry.
missing= n=0
for a in $(sed -n '/finding_alerts\[FIND__COUNT\]/,/^};/s/.*= "\(Mailsec[A-Za-z]*\)",/\1/p' web/verdict.c | sort -u); do
	n=$((n + 1))
	grep -q "alert: $a\$" deploy/prometheus/mixin/alerts.yml.in || missing="$missing $a(rule)"
	grep -q "^## $a\$" doc/runbook.md || missing="$missing $a(runbook)"
done
[ -z "$missing" ] || t_fail "alerts named by the verdicts but missing:$missing"
[ "$n" -gt 20 ] || t_fail "found only $n alerts in web/verdict.c: the pattern is stale"

"$T_BIN" --check-config --config exporter.ini.example >/dev/null ||
	t_fail "exporter.ini.example does not load"
echo "all cases passed"
