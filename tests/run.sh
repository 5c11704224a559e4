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
	"$@" >"$log" 2>&1; rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
	elif [ "$rc" -eq 77 ]; then	# cannot run here (its last line says why): not counted
		echo "SKIP $name: $(tail -n 1 "$log")"
	else
		fail=$((fail + 1)); failed="$failed $name"
		echo "FAIL $name ($(( $(date +%s) - start ))s), log: $log"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
}

matches() { [ -z "$TESTS" ] || case "$1" in *$TESTS*) return 0;; *) return 1;; esac; }

# The layering rule (doc/architecture.md): no file includes a higher layer.
matches layers && run_one "layers" sh tests/check_layers.sh
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
		case $t in *valgrind*) continue;; esac	# valgrind needs the plain build
		case $t in *fresh_build*) continue;; esac	# builds its own, in a chroot
		run_one "integration-asan/$(basename "$t" .sh)" \
		    env MAILSEC_BIN="$PWD/build/san/mailsec_exporter" \
		    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 sh "$t"
	done
	# Again with the test resolver mode (doc/hostile.md): answers complete
	# inside the call that asks, as c-ares gives them on a cache hit or a
	# failed send; every completion must survive that.
	for t in tests/integration/test_records.sh tests/integration/test_domain.sh \
	    tests/integration/test_dns_faults.sh tests/integration/test_probe.sh \
	    tests/integration/test_reentry.sh tests/integration/test_mta_sts.sh \
	    tests/integration/test_dnssec.sh tests/integration/test_mx_hygiene.sh \
	    tests/integration/test_changes.sh tests/integration/test_share.sh \
	    tests/integration/test_dane.sh tests/integration/test_dns_cache.sh; do
		[ -f "$t" ] || continue; matches "$t" || continue
		run_one "integration-asan-syncdns/$(basename "$t" .sh)" \
		    env MAILSEC_BIN="$PWD/build/san/mailsec_exporter" \
		    MAILSEC_TEST_DNS=sync \
		    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 sh "$t"
	done
fi

# libFuzzer smoke runs (tests/fuzz_smoke.sh): one test per target,
# "fuzz/NAME", FUZZ_JOBS (default 2) at a time, FUZZ_SECONDS (default 20)
# each.  Skipped, not failed, when clang or libFuzzer is missing (SKIP
# lines, not counted); NO_FUZZ=1 skips them too.
fuzz_targets=
for f in fuzz/*_fuzzer.c; do
	[ -f "$f" ] || continue
	n=${f#fuzz/}; n=${n%_fuzzer.c}
	matches "fuzz/$n" && fuzz_targets="$fuzz_targets $n"
done
if [ -n "$fuzz_targets" ] && [ -z "$NO_FUZZ" ]; then
	if ! sh tests/fuzz_smoke.sh --check >"$out/fuzz_check.log" 2>&1; then
		for n in $fuzz_targets; do
			echo "SKIP fuzz/$n: $(tail -n 1 "$out/fuzz_check.log")"
		done
	elif ! sh tests/fuzz_smoke.sh --build-only >"$out/fuzz_build.log" 2>&1; then
		for n in $fuzz_targets; do
			run_one "fuzz/$n" sh -c 'tail -n 30 "$1"; echo "make fuzz failed"; exit 1' \
			    sh "$out/fuzz_build.log"
		done
	else
		set -- $fuzz_targets
		while [ $# -gt 0 ]; do
			batch= i=0
			while [ $# -gt 0 ] && [ "$i" -lt "${FUZZ_JOBS:-2}" ]; do
				( sh tests/fuzz_smoke.sh --no-build "$1" >"$out/fuzz_$1.run" 2>&1
				  echo $? >"$out/fuzz_$1.rc" ) &
				batch="$batch $1" i=$((i + 1))
				shift
			done
			wait
			for n in $batch; do
				run_one "fuzz/$n" sh -c 'cat "$1"; exit "$(cat "$2")"' sh \
				    "$out/fuzz_$n.run" "$out/fuzz_$n.rc"
			done
		done
	fi
fi

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
