#!/bin/sh
# libFuzzer smoke runs: builds the targets (`make fuzz`), then for each one
# replays every crash-regression input in tests/regress/NAME/ and fuzzes for
# FUZZ_SECONDS (default 20) from a COPY of fuzz/corpus/NAME/ in a temp dir,
# with fuzz/NAME.dict.  Any crash, sanitizer report (ASan, UBSan), leak,
# timeout (-timeout, default 10 s per input) or out-of-memory fails.  The
# repository is never written to: the corpus grows in the temp dir, which is
# removed; the artifacts of a failure are kept in tests/out/fuzz/NAME/.
#
#   sh tests/fuzz_smoke.sh                 build, then every target
#   sh tests/fuzz_smoke.sh dns_answer spf  build, then these
#   sh tests/fuzz_smoke.sh --no-build NAME the runner's way (built already)
#   sh tests/fuzz_smoke.sh --build-only
#   sh tests/fuzz_smoke.sh --check         exit 77 unless clang and
#                                          libFuzzer can build a target
# Exit status: 0 pass, 1 fail, 77 skipped (no clang / libFuzzer).
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
SECS=${FUZZ_SECONDS:-20}
BUILD=1 RUN=1
while [ $# -gt 0 ]; do
	case $1 in
	--no-build) BUILD= ;;
	--build-only) RUN= ;;
	--check) BUILD= RUN= CHECK_ONLY=1 ;;
	-*) echo "usage: $0 [--no-build|--build-only|--check] [NAME...]" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done

WORK=$(mktemp -d /tmp/mailsec-fuzz.XXXXXX) || exit 1
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Can this machine build a libFuzzer target at all?
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
	>"$WORK/probe.c"
if ! command -v clang >/dev/null 2>&1; then
	echo "SKIP: clang not found (Debian: clang, libclang-rt-14-dev)"
	exit 77
fi
if ! clang -fsanitize=fuzzer,address,undefined -o "$WORK/probe" "$WORK/probe.c" \
    >"$WORK/probe.log" 2>&1; then
	cat "$WORK/probe.log"
	echo "SKIP: clang cannot link a libFuzzer target (Debian: libclang-rt-14-dev)"
	exit 77
fi
[ -z "$CHECK_ONLY" ] || { echo "clang and libFuzzer: OK"; exit 0; }

if [ -n "$BUILD" ]; then
	echo "== make fuzz"
	make --no-print-directory fuzz || { echo "FAIL: make fuzz"; exit 1; }
fi
[ -n "$RUN" ] || exit 0

if [ $# -eq 0 ]; then
	for f in fuzz/*_fuzzer.c; do
		n=${f#fuzz/}; set -- "$@" "${n%_fuzzer.c}"
	done
fi

# UBSan only prints by default: make every finding fatal, with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

fail=0
for n in "$@"; do
	bin=build/fuzz/bin/${n}_fuzzer
	d=$WORK/$n
	mkdir -p "$d/corpus" "$d/art"
	echo "== $n"
	if [ ! -x "$bin" ]; then
		echo "FAIL $n: $bin is not built (make fuzz)"; fail=1; continue
	fi
	if [ -d "fuzz/corpus/$n" ]; then
		cp -R "fuzz/corpus/$n/." "$d/corpus/"
	else
		echo "warning: no seed corpus fuzz/corpus/$n/"
	fi
	set -- 
	if [ -f "fuzz/$n.dict" ]; then
		set -- "-dict=$ROOT/fuzz/$n.dict"
	else
		echo "warning: no dictionary fuzz/$n.dict"
	fi

	# 1. every crash-regression input, once each
	nreg=0
	for r in tests/regress/"$n"/*; do
		[ -f "$r" ] || continue
		case ${r##*/} in README*) continue ;; esac
		nreg=$((nreg + 1))
		if ! (cd "$d" && timeout 120 "$ROOT/$bin" -timeout=10 -rss_limit_mb=2048 \
		    "$ROOT/$r") >"$d/regress.log" 2>&1; then
			echo "FAIL $n: regression input $r:"
			tail -n 40 "$d/regress.log"
			fail=1
		fi
	done
	echo "$n: $nreg regression inputs replayed"

	# 2. fuzz from a copy of the seeds
	start=$(date +%s)
	(cd "$d" && timeout $((SECS + 120)) "$ROOT/$bin" "$@" \
	    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
	    -malloc_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$d/art/" "$d/corpus") >"$d/fuzz.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/fuzz.log")
	cov=$(grep -oE 'cov: [0-9]+' "$d/fuzz.log" | tail -n 1)
	echo "$n: ${runs:-?} runs in $(( $(date +%s) - start ))s, ${cov:-cov: ?}," \
	    "corpus $(ls "$d/corpus" | wc -l) files, exit $rc"
	if [ "$rc" -ne 0 ] || ls "$d/art" | grep -q .; then
		echo "FAIL $n: libFuzzer exit $rc; the end of its log:"
		tail -n 60 "$d/fuzz.log"
		mkdir -p "tests/out/fuzz/$n"
		cp "$d"/art/* "tests/out/fuzz/$n/" 2>/dev/null &&
			echo "artifacts kept in tests/out/fuzz/$n/: $(ls "$d/art" | tr '\n' ' ')" &&
			echo "reproduce: build/fuzz/bin/${n}_fuzzer tests/out/fuzz/$n/FILE;" \
			    "then add the input to tests/regress/$n/ with the fix"
		fail=1
	fi
done
[ "$fail" -eq 0 ] && echo "all fuzz targets passed"
exit "$fail"
