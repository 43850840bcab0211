#!/bin/sh
# Benchmark of the terminal client (issue 13): with a room of N messages
# open (default 100,000, made by bench_gen_room), the time from Enter to a
# typed message on screen, and the client's CPU while idle; against stock
# git writing a commit and moving a ref in the same store, in the same run.
#
#   tests/bench/bench_tui.sh [-n MESSAGES] [-r RUNS] [-s IDLE_SECONDS] [-w WORKDIR] BUILD_DIR
#
# BUILD_DIR: a Release build with git-chat, bench_gen_room, bench_timeit and
# bench_tui_latency. WORKDIR (default /tmp/gitchat-bench) keeps the room.
# Goals: latency under 50 ms, idle CPU under 1%. The load average is
# printed with the figures: on a shared machine they move with it.
set -eu

n=100000
runs=10
idle=20
work=/tmp/gitchat-bench
usage="usage: $0 [-n MESSAGES] [-r RUNS] [-s IDLE_SECONDS] [-w WORKDIR] BUILD_DIR"
while getopts n:r:s:w: opt; do
	case $opt in
	n) n=$OPTARG ;;
	r) runs=$OPTARG ;;
	s) idle=$OPTARG ;;
	w) work=$OPTARG ;;
	*) echo "$usage" >&2; exit 129 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "$usage" >&2; exit 129; }
build=$(cd "$1" && pwd)
chat=$build/git-chat
gen=$build/tests/bench_gen_room
timeit=$build/tests/bench_timeit
lat=$build/tests/bench_tui_latency
for f in "$chat" "$gen" "$timeit" "$lat"; do
	[ -x "$f" ] || { echo "fatal: '$f' is missing; build the tree first" >&2; exit 128; }
done

mkdir -p "$work"
store=$work/room-$n
keys=$work/keys-$n
room=general
export GIT_DIR="$store" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Bench" GIT_AUTHOR_EMAIL="bench@example.org"
export GIT_COMMITTER_NAME="Bench" GIT_COMMITTER_EMAIL="bench@example.org"

echo "git-chat tui benchmark: $n messages, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "machine: $(nproc) cores, shared; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -d "$store" ] || "$gen" -n "$n" -k "$keys" "$store" >/dev/null
# The first verification of every signature and the order index: what a
# sync and the first `log` leave behind in real use.
"$chat" verify -r "$room" >/dev/null
"$chat" log -r "$room" -n 1 >/dev/null
git config chat.notify off

"$lat" -n "$runs" -s "$idle" "$chat" "$store" "$keys/author3" "$room" 2>"$work/tui-runs.log"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Stock git: a commit (unsigned) and a ref moved, each a fresh process.
tree=$(git hash-object -t tree /dev/null)
"$timeit" -n "$runs" -l "stock git: commit-tree + update-ref" -- sh -c \
	"git update-ref refs/bench/stock \$(git commit-tree $tree -m stock)"
"$timeit" -n "$runs" -l "git chat send (a process per message)" -- \
	env GIT_CHAT_KEY="$keys/author3" "$chat" send -r "$room" -m "sent by the benchmark"
git update-ref -d refs/bench/stock
