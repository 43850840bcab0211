#!/bin/sh
# Installs the dependencies, builds git-chat twice (plain, and with
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs every test in both.
# Usage: tests/run-all.sh            (from the top of a checkout)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
.ci/install-deps
jobs=$(nproc 2>/dev/null || echo 2)

run_suite() {
	dir=$1; shift
	echo "== build $dir ($*)"
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null
	cmake --build "$dir" -j "$jobs" >/dev/null
	echo "== test $dir"
	(cd "$dir" && ctest --output-on-failure -j "$jobs")
}

run_suite build-test
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-sanitize -DGITCHAT_SANITIZE=ON
echo "all tests passed (plain and ASan+UBSan builds)"
