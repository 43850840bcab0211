#!/bin/sh
# The age code of libgitchat against stock `age` in the same run, on the same
# files (tests/bench/bench_age.c): encrypt and decrypt a SIZE MiB file,
# armored, to an age1 recipient and to an ssh-ed25519 key; then what private
# rooms pay in-process: a 1 KiB message encrypted and decrypted, and a rekey
# for 50 members.
#
# usage: tests/bench/bench_age.sh [BUILD_DIR [SIZE_MIB [RUNS]]]
#   BUILD_DIR  a build with the benchmarks (default: build-rel, else build);
#              use a Release build for figures
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-}
if [ -z "$build" ]; then
	if [ -x "$here/build-rel/tests/bench_age" ]; then build=$here/build-rel; else build=$here/build; fi
fi
build=$(cd "$build" && pwd)
size=${2:-64}
runs=${3:-5}
ours=$build/tests/bench_age
timeit=$build/tests/bench_timeit
[ -x "$ours" ] && [ -x "$timeit" ] || { echo "build $build first (tests/bench_age, tests/bench_timeit)" >&2; exit 1; }
command -v age >/dev/null || { echo "stock age is missing (apt-get install age)" >&2; exit 1; }

tmp=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/gitchat-bench-age-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
head -c $((size * 1024 * 1024)) /dev/urandom > "$tmp/plain"
age-keygen -o "$tmp/id.txt" 2>/dev/null
rcpt=$(age-keygen -y "$tmp/id.txt")
ssh-keygen -q -t ed25519 -N '' -f "$tmp/key"
age -a -r "$rcpt" -o "$tmp/x.age" "$tmp/plain"
age -a -R "$tmp/key.pub" -o "$tmp/s.age" "$tmp/plain"

echo "== $size MiB, armored, $runs runs each (wall and cpu, ms)"
"$timeit" -n "$runs" -l "age      encrypt age1"        -- age -a -r "$rcpt" -o /dev/null "$tmp/plain"
"$timeit" -n "$runs" -l "git-chat encrypt age1"        -- "$ours" encrypt "$rcpt" "$tmp/plain" /dev/null armor
"$timeit" -n "$runs" -l "age      decrypt age1"        -- age -d -i "$tmp/id.txt" -o /dev/null "$tmp/x.age"
"$timeit" -n "$runs" -l "git-chat decrypt age1"        -- "$ours" decrypt "$tmp/id.txt" "$tmp/x.age" /dev/null
"$timeit" -n "$runs" -l "age      decrypt ssh-ed25519" -- age -d -i "$tmp/key" -o /dev/null "$tmp/s.age"
"$timeit" -n "$runs" -l "git-chat decrypt ssh-ed25519" -- "$ours" decrypt "$tmp/key" "$tmp/s.age" /dev/null
echo "== in-process"
"$ours" small 10000
"$ours" rekey 50
