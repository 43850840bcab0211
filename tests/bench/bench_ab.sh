#!/bin/sh
# Two builds of git-chat, the same command, in one run: what a change to
# the code buys. Used for issue 10's "hand-written infrastructure earns its
# place" figures (docs/benchmarks.md): a build of this tree against a build
# with one piece replaced by libgit2's own way (say order/objects.c reading
# through git_odb_read, or src/cli/netlibs.c's interposition left out).
#
#   sh tests/bench/bench_ab.sh [-r ROUNDS] [-n RUNS] [-p PREPARE] BUILD_A BUILD_B STORE -- ARGS...
#
# Each round runs `git chat ARGS` RUNS times with BUILD_A, then RUNS times
# with BUILD_B (then B first in the next round), each a fresh process
# (bench_timeit from BUILD_A), in STORE (GIT_DIR). PREPARE runs before
# every run, untimed. Prints each round's medians and, at the end, the
# median over the rounds of each build's median CPU time (user + system,
# the steadier figure on a shared machine) and wall time, and B/A.
set -eu

rounds=5
runs=5
prepare=:
while getopts r:n:p: opt; do
	case $opt in
	r) rounds=$OPTARG ;;
	n) runs=$OPTARG ;;
	p) prepare=$OPTARG ;;
	*) echo "usage: $0 [-r ROUNDS] [-n RUNS] [-p PREPARE] BUILD_A BUILD_B STORE -- ARGS..." >&2; exit 129 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 4 ] && [ "$4" = "--" ] || {
	echo "usage: $0 [-r ROUNDS] [-n RUNS] [-p PREPARE] BUILD_A BUILD_B STORE -- ARGS..." >&2; exit 129; }
a=$(cd "$1" && pwd)/git-chat
b=$(cd "$2" && pwd)/git-chat
timeit=$(cd "$1" && pwd)/tests/bench_timeit
store=$3
shift 4
for f in "$a" "$b" "$timeit"; do
	[ -x "$f" ] || { echo "fatal: '$f' is missing; build first" >&2; exit 128; }
done
export GIT_DIR="$store"
out=$(mktemp "${TMPDIR:-/tmp}/bench_ab.XXXXXX")
trap 'rm -f "$out"' EXIT INT TERM

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                                               else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "load: $(uptime)"
r=0
while [ $r -lt "$rounds" ]; do
	if [ $((r % 2)) = 0 ]; then order="A B"; else order="B A"; fi
	for which in $order; do
		if [ $which = A ]; then bin=$a; else bin=$b; fi
		line=$("$timeit" -n "$runs" -p "$prepare" -l "$which" -- "$bin" "$@" 2>/dev/null | tail -n 1)
		echo "$line"
		echo "$line" >>"$out"
	done
	r=$((r + 1))
done
for which in A B; do
	cpu=$(awk -v w="$which" '$1 == w { for (i = 1; i <= NF; i++) if ($i == "cpu") print $(i + 2) }' "$out" | median)
	wall=$(awk -v w="$which" '$1 == w { for (i = 1; i <= NF; i++) if ($i == "wall") print $(i + 2) }' "$out" | median)
	echo "$which: cpu median $cpu ms, wall median $wall ms (median of $rounds rounds of $runs)"
	eval "cpu_$which=\$cpu; wall_$which=\$wall"
done
echo "B/A: cpu $(echo "$cpu_B $cpu_A" | awk '{ printf "%.2f", $1 / $2 }'), wall $(echo "$wall_B $wall_A" | awk '{ printf "%.2f", $1 / $2 }')"
echo "load: $(uptime)"
