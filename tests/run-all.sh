#!/bin/sh
# Installs the dependencies, builds git-chat twice (plain, and with
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs every test in both,
# then runs each fuzz harness for a few seconds (GITCHAT_FUZZ_SECONDS, 5).
# Usage: tests/run-all.sh            (from the top of a checkout)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
.ci/install-deps
jobs=$(nproc 2>/dev/null || echo 2)

run_suite() {
	dir=$1; type=$2; skip=$3; shift 3
	echo "== build $dir ($type $*)"
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DGITCHAT_TESTS=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs" >/dev/null
	echo "== test $dir"
	# Most tests wait on child processes and servers: run more than one per core.
	(cd "$dir" && ctest --output-on-failure -j "$((jobs + 1))" ${skip:+-E "$skip"})
}

run_suite build-test Debug ""
# The sanitizers watch our code: cli_test_servers only exercises the test
# harness with stock git and libgit2, so it runs in the plain pass alone.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-sanitize RelWithDebInfo '^cli_test_servers$' -DGITCHAT_SANITIZE=ON
# Fuzzing, bounded: every libFuzzer harness (tests/fuzz/, clang with
# ASan+UBSan) from its seed corpus for a few seconds each; any crash, leak
# or broken invariant fails the run (docs/fuzzing.md). The replays of the
# corpus and regressions already ran above, in both builds.
echo "== fuzz build-fuzz (${GITCHAT_FUZZ_SECONDS:-5} s per target)"
FUZZ_BUILD="$top/build-fuzz" FUZZ_JOBS="$jobs" sh tests/fuzz/run.sh "${GITCHAT_FUZZ_SECONDS:-5}"
echo "all tests passed (plain and ASan+UBSan builds, fuzzing)"
