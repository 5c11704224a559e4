#!/bin/sh
# The layering rule (doc/architecture.md), in one place: a file may include
# headers of its own layer and of the layers below, never above.
#   1 base        base/*
#   2 collectors  collectors/*
#   3 core        daemon/* but the base files and the wiring
#   4 web         web/*
#   5 wiring      daemon/main.c daemon/check.c
# And web/ reads what the scheduler published, never a `struct check`.
# EXCEPTIONS are today's known breaks, each with the move that removes it;
# a new break fails `make test`.  Exit 0 when clean, 1 with the list.
cd "$(dirname "$0")/.." || exit 1

EXCEPTIONS='
'

layer() {	# path -> layer number
	case $1 in
	base/*) echo 1 ;;
	collectors/*) echo 2 ;;
	daemon/main.c|daemon/check.[ch]) echo 5 ;;
	daemon/*) echo 3 ;;
	web/*) echo 4 ;;
	*) echo 0 ;;
	esac
}

bad=
for f in base/*.[ch] daemon/*.[ch] collectors/*.[ch] web/*.[ch]; do
	lf=$(layer "$f")
	for h in $(sed -n 's/^#include "\([a-z_]*\/[a-z_0-9]*\.h\)".*/\1/p' "$f"); do
		lh=$(layer "$h")
		[ "$lh" -le "$lf" ] && continue
		if printf '%s\n' "$EXCEPTIONS" | grep -q "^$f $h	"; then
			continue
		fi
		bad="$bad
$f (layer $lf) includes $h (layer $lh)"
	done
done
# The outputs read published results only (daemon/publish.h, web/results.h):
# no web/ file includes the scheduler's or the check command's header, or
# reads the scheduler's checks.
sched_h='sched|sched_int|dnsqueue|probequeue|probeshare|heaptrim|checkcfg|check'
hits=$(grep -nE "#include \"daemon/($sched_h)\\.h\"|struct check\\b|ctx->checks|n_checks" \
    web/*.[ch])
[ -z "$hits" ] || bad="$bad
$(printf '%s\n' "$hits" | sed 's|$| (web/ reads published results, never the scheduler)|')"
# An exception that no longer happens is stale: drop it from the list.
stale=$(printf '%s\n' "$EXCEPTIONS" | while IFS='	' read -r pair why; do
	[ -n "$pair" ] || continue
	f=${pair% *} h=${pair#* }
	grep -q "^#include \"$h\"" "$f" || echo "$pair"
done)
if [ -n "$bad" ] || [ -n "$stale" ]; then
	[ -z "$bad" ] || echo "layering broken (doc/architecture.md):$bad"
	[ -z "$stale" ] || echo "stale exceptions in tests/check_layers.sh: $stale"
	exit 1
fi
echo "layers: clean ($(printf '%s\n' "$EXCEPTIONS" | grep -c .) known exceptions)"
