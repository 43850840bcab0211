#!/bin/sh
# Builds the libFuzzer harnesses (clang, ASan+UBSan; build-fuzz/) if needed
# and runs every target for SECONDS each, one after the other, from a copy
# of its seed corpus. Prints per target: executions, coverage (libFuzzer's
# cov: edges and ft: features) and crashes; a crash leaves its input in
# build-fuzz/crashes/<target>/ (keep it under tests/fuzz/regressions/<target>/
# with the fix) and makes the exit status 1. So does a unit slower than
# 10 s, unless it runs fast when replayed (the machine stalled).
# Usage: tests/fuzz/run.sh SECONDS [TARGET...]
#   FUZZ_BUILD=dir   the build directory (default: build-fuzz)
#   FUZZ_JOBS=n      parallel compile jobs (default: nproc)
set -eu
[ $# -ge 1 ] || { echo "usage: tests/fuzz/run.sh SECONDS [TARGET...]" >&2; exit 2; }
secs=$1; shift
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$top/build-fuzz}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
cd "$top"

CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGITCHAT_TESTS=OFF \
	-DGITCHAT_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzz -j "$jobs" >/dev/null

if [ $# -eq 0 ]; then
	set -- $(ls tests/fuzz/fuzz_*.c | sed 's,.*/fuzz_,,; s,\.c$,,')
fi
failed=0
printf '%-14s %10s %8s %8s %7s\n' target execs cov ft crashes
for t in "$@"; do
	work="$build/work/$t"
	crashes="$build/crashes/$t"
	rm -rf "$work" "$crashes"
	mkdir -p "$work" "$crashes"
	cp tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
	[ -d tests/fuzz/regressions/"$t" ] && cp tests/fuzz/regressions/"$t"/* "$work"/
	log="$build/work/$t.log"
	rc=0
	# Leaks are findings too; each input runs under a 10 s limit.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$crashes/" "$work" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	# A "slow unit" (over 10 s) is a finding only if it is slow again: a
	# host that stalls the whole machine for seconds (seen on CI) makes one
	# out of any input. Each is replayed; under 2 s it was the machine.
	for f in "$crashes"/slow-unit-*; do
		[ -e "$f" ] || continue
		t0=$(date +%s%N)
		"$build/tests/fuzz/fuzz_$t" "$f" >/dev/null 2>&1 || continue
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		if [ "$ms" -lt 2000 ]; then
			echo "  $t: $(basename "$f") replayed in $ms ms: the machine stalled, not the input" >&2
			rm -f "$f"
		fi
	done
	n=$(ls "$crashes" | wc -l)
	printf '%-14s %10s %8s %8s %7s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$n"
	if [ "$rc" -ne 0 ] || [ "$n" -ne 0 ]; then
		failed=1
		grep -E 'ERROR|runtime error|invariant broken|SUMMARY' "$log" | head -5 >&2 || true
		echo "  log: $log" >&2
	fi
done
exit $failed
