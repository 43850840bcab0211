#!/bin/sh
# Benchmark of reading a large room (issue 4): `git chat log` against stock
# git walking the same commits, in one run, each figure the median of
# several fresh processes, with its spread and peak memory.
#
#   tests/bench/bench_log.sh [-n MESSAGES] [-r RUNS] [-w WORKDIR] BUILD_DIR
#
# BUILD_DIR is a build of this tree (Release: cmake -DCMAKE_BUILD_TYPE=Release)
# with bench_gen_room and bench_timeit. WORKDIR (default /tmp/gitchat-bench)
# keeps the generated room between runs: room-N/ and keys-N/.
#
# Measured (page cache warm, process cold):
#   - generating the room (once, when it does not exist yet)
#   - verifying every signature the first time (`git chat verify`; this fills
#     the verification cache that sync fills in real use)
#   - `git chat log -n 50` with the order index warm, and from no index
#   - `git chat log -n 50` after one new message (incremental index update)
#   - `git chat log --format=json > /dev/null` (the full ordering) warm and cold
#   - `git rev-list --date-order` and `git log -n 50 --topo-order` over the
#     room's refs, without and with `git commit-graph write`
# and the ratios the issue sets as goals.
set -eu

n=1000000
runs=5
work=/tmp/gitchat-bench
while getopts n:r:w: opt; do
	case $opt in
	n) n=$OPTARG ;;
	r) runs=$OPTARG ;;
	w) work=$OPTARG ;;
	*) echo "usage: $0 [-n MESSAGES] [-r RUNS] [-w WORKDIR] BUILD_DIR" >&2; exit 129 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-n MESSAGES] [-r RUNS] [-w WORKDIR] BUILD_DIR" >&2; exit 129; }
build=$(cd "$1" && pwd)
chat=$build/git-chat
gen=$build/tests/bench_gen_room
timeit=$build/tests/bench_timeit
ids=$build/tests/bench_order_ids
for f in "$chat" "$gen" "$timeit" "$ids"; do
	[ -x "$f" ] || { echo "fatal: '$f' is missing; build the tree first" >&2; exit 128; }
done
if [ ! -x /usr/bin/time ]; then
	echo "note: /usr/bin/time is missing; installing the 'time' package for the record" >&2
	apt-get install -y time >/dev/null 2>&1 || true
fi

mkdir -p "$work"
store=$work/room-$n
keys=$work/keys-$n
room=general
export GIT_DIR="$store"
export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Bench" GIT_AUTHOR_EMAIL="bench@example.org"
index=$store/chat/index/$room
results=$work/results-$n.txt
: > "$results"

say() { printf '%s\n' "$*" | tee -a "$results"; }
t() { label=$1; shift; "$timeit" -n "$runs" -l "$label" "$@" 2>>"$work/runs-$n.log" | tee -a "$results"; }
t1() { label=$1; shift; "$timeit" -n 1 -l "$label" "$@" 2>>"$work/runs-$n.log" | tee -a "$results"; }
wall() { # the median wall time of a label, in ms
	grep "^$1 " "$results" | tail -1 | sed -n 's/.*wall median *\([0-9.]*\).*/\1/p'
}
cpu() { # the median cpu time (user + sys) of a label, in ms
	grep "^$1 " "$results" | tail -1 | sed -n 's/.*cpu median *\([0-9.]*\).*/\1/p'
}

say "git-chat log benchmark: $n messages, $runs runs each, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo); git $(git --version | cut -d' ' -f3)"
: > "$work/runs-$n.log"

if [ ! -d "$store" ]; then
	t1 "generate room" -- "$gen" -n "$n" -k "$keys" "$store"
fi
say "pack: $(du -sh "$store/objects/pack" | cut -f1), refs: $(git for-each-ref refs/chat | wc -l)"

# The first verification of every signature (sync does this as messages
# arrive; here it happens once, up front).
if [ ! -s "$store/chat/verified/$room" ]; then
	t1 "verify every signature (once)" -- "$chat" verify -r "$room"
fi

rm -f "$store/objects/info/commit-graph" "$store"/objects/info/commit-graphs/* 2>/dev/null || true
git config core.commitGraph false

# The floor every command pays: starting the process (libgit2 and its
# dependencies), then initialising libgit2. Only the network commands also
# parse the CA bundle (src/cli/netlibs.c): `sync -h` shows what that adds.
t "floor: git chat --version" -- "$chat" --version
t "floor: git chat log -h (init)" -- "$chat" log -h
t "floor: git chat sync -h (init + CA)" -- "$chat" sync -h
t "log -n 50, no index (cold)" -p "rm -f '$index' '$index'.text-*" -- "$chat" log -r "$room" -n 50
t "log --format=json, no index (cold)" -p "rm -f '$index' '$index'.text-*" -- "$chat" log -r "$room" --format=json
"$chat" log -r "$room" -n 1 >/dev/null
t "log -n 50, index warm" -- "$chat" log -r "$room" -n 50
t "log --format=json, index warm" -- "$chat" log -r "$room" --format=json
# The order alone, as ids (what rev-list prints), and reading every message
# without rendering it.
t "order ids, index warm" -- "$ids" -r "$room"
t "order ids + read messages, warm" -- "$ids" -r "$room" -m
t "order ids, in memory (no index)" -- "$ids" -r "$room" -x
# One new message per run, then the latest page: the index is updated with
# only the new commit.
t "log -n 50 after 1 new message" \
	-p "GIT_CHAT_KEY='$keys/author3' '$chat' send -r '$room' -m 'one more message' >/dev/null" \
	-- "$chat" log -r "$room" -n 50

t "git rev-list --date-order" -- git rev-list --date-order --glob="refs/chat/$room/*"
t "git log -n 50 --topo-order" -- git log -n 50 --topo-order --format=%H --glob="refs/chat/$room/*"
git config core.commitGraph true
t1 "git commit-graph write" -- git commit-graph write --reachable
t "git rev-list --date-order, commit-graph" -- git rev-list --date-order --glob="refs/chat/$room/*"
t "git log -n 50 --topo-order, commit-graph" -- git log -n 50 --topo-order --format=%H --glob="refs/chat/$room/*"
rm -f "$store/objects/info/commit-graph"
git config core.commitGraph false

ratio() { # label, a label, b label, goal (0: none)
	aw=$(wall "$2"); bw=$(wall "$3"); ac=$(cpu "$2"); bc=$(cpu "$3")
	awk -v l="$1" -v aw="$aw" -v bw="$bw" -v ac="$ac" -v bc="$bc" -v g="$4" 'BEGIN {
		printf "  %s: wall %.0f / %.0f ms = %.2fx, cpu %.0f / %.0f ms = %.2fx", l, aw, bw, aw / bw, ac, bc, ac / bc
		if (g > 0) printf " (goal <= %gx): wall %s, cpu %s", g, aw / bw <= g ? "met" : "missed", ac / bc <= g ? "met" : "missed"
		printf "\n" }' | tee -a "$results"
}
awk -v w="$(wall "log -n 50, index warm")" -v c="$(cpu "log -n 50, index warm")" \
    -v fw="$(wall "floor: git chat log -h (init)")" -v fc="$(cpu "floor: git chat log -h (init)")" \
    'BEGIN { printf "  latest page, index warm: wall %.1f ms, cpu %.1f ms (goal < 20 ms): %s; the floor (start + libgit2 init) alone: wall %.1f ms, cpu %.1f ms\n", w, c, w < 20 ? "met" : "missed", fw, fc }' | tee -a "$results"
ratio "full ordering warm / rev-list with commit-graph" "log --format=json, index warm" "git rev-list --date-order, commit-graph" 2
ratio "full ordering cold / rev-list without" "log --format=json, no index (cold)" "git rev-list --date-order" 2
ratio "order alone (ids) warm / rev-list with commit-graph" "order ids, index warm" "git rev-list --date-order, commit-graph" 0
ratio "latest page cold / rev-list without" "log -n 50, no index (cold)" "git rev-list --date-order" 0
ratio "latest page warm / git log -n 50 --topo-order with commit-graph" "log -n 50, index warm" "git log -n 50 --topo-order, commit-graph" 0
for l in "log -n 50, index warm" "log --format=json, index warm" "order ids, index warm" \
         "order ids + read messages, warm" "log -n 50, no index (cold)" \
         "log --format=json, no index (cold)" "log -n 50 after 1 new message" \
         "git rev-list --date-order" "git rev-list --date-order, commit-graph"; do
	kb=$(grep "^$l " "$results" | tail -1 | sed -n 's/.*(max *\([0-9]*\)).*/\1/p')
	awk -v l="$l" -v kb="$kb" -v n="$n" 'BEGIN { printf "  peak memory %-40s %7.1f MB = %6.1f bytes/message (goal < 150)\n", l ":", kb / 1024, kb * 1024 / n }' | tee -a "$results"
done
say ""
say "results in $results, every run in $work/runs-$n.log"
