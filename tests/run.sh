#!/bin/sh
# Runs every test: unit binaries (plain and sanitizer builds), then each
# tests/integration/*.sh.  Prints one line per test and ends with
# "N passed, N failed".  TESTS="pattern" runs a subset.
cd "$(dirname "$0")/.." || exit 1
out=tests/out
mkdir -p "$out"
pass=0 fail=0 failed=""

run_one() {	# name, command...
	name=$1; shift
	log="$out/$(echo "$name" | tr '/ ' '__').log"
	start=$(date +%s)
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
	else
		fail=$((fail + 1)); failed="$failed $name"
		echo "FAIL $name ($(( $(date +%s) - start ))s), log: $log"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
}

matches() { [ -z "$TESTS" ] || case "$1" in *$TESTS*) return 0;; *) return 1;; esac; }

for b in build/tests/test_*; do
	[ -x "$b" ] || continue; matches "$b" || continue
	run_one "unit/$(basename "$b")" "$b"
done
for b in build/san/tests/test_*; do
	[ -x "$b" ] || continue; matches "$b" || continue
	run_one "unit-asan/$(basename "$b")" "$b"
done
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] || continue; matches "$t" || continue
	run_one "integration/$(basename "$t" .sh)" sh "$t"
done
# The same end-to-end runs against the ASan+UBSan build: memory errors and
# leaks (checked at exit) fail them.
if [ -x build/san/mailsec_exporter ] && [ -z "$NO_SAN" ]; then
	for t in tests/integration/test_*.sh; do
		[ -f "$t" ] || continue; matches "$t" || continue
		case $t in *deploy*) continue;; esac	# no exporter logic there
		run_one "integration-asan/$(basename "$t" .sh)" \
		    env MAILSEC_BIN="$PWD/build/san/mailsec_exporter" \
		    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 sh "$t"
	done
fi

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
