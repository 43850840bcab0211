#!/bin/sh
# Benchmark of private rooms (issue 11), each figure against the same room
# public in the same run:
#   - send: the `git chat send` command, private vs public (median of K
#     runs, each a fresh process, bench_timeit), and underneath it
#     gitchat_private_send vs gitchat_send in one process (median of K)
#   - log: `git chat log -n 50` (index warm) and the full read
#     (`log --format=json > /dev/null`) of an N-message private room vs the
#     same messages public; the private room's first full read (cold: no
#     sealed cache) on its own, then the median of warm ones
#   - rekey: a member added to a room of 50 (a new epoch sealed to 51 keys)
#   - what decryption costs underneath: one X25519, one sodium_malloc
# and the load average (the machine may be shared); each figure with the CPU
# time (user + system) of the run it comes from, which load disturbs less.
#
#   tests/bench/bench_private.sh [-n MESSAGES] [-k SENDS] [-w WORKDIR] BUILD_DIR
set -eu
n=100000
k=20
work=/tmp/gitchat-bench-private
while getopts n:k:w: opt; do
	case $opt in
	n) n=$OPTARG ;;
	k) k=$OPTARG ;;
	w) work=$OPTARG ;;
	*) echo "usage: $0 [-n MESSAGES] [-k SENDS] [-w WORKDIR] BUILD_DIR" >&2; exit 129 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-n MESSAGES] [-k SENDS] [-w WORKDIR] BUILD_DIR" >&2; exit 129; }
build=$(cd "$1" && pwd)
chat=$build/git-chat
gen=$build/tests/bench_private
timeit=$build/tests/bench_timeit
for f in "$chat" "$gen" "$timeit"; do
	[ -x "$f" ] || { echo "fatal: '$f' is missing; build the tree first" >&2; exit 128; }
done
dir=$work/room-$n
if [ ! -f "$dir/room" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "generating $n messages, public and private ..." >&2
	"$gen" gen "$n" "$dir" > "$dir/room.tmp"
	mv "$dir/room.tmp" "$dir/room"
fi
room=$(cat "$dir/room")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

tf=$work/time.$$
trap 'rm -f "$tf"' EXIT
once() { # one run of "$@": wall ms, and its CPU ms (user + system)
	s=$(date +%s%N)
	/usr/bin/time -f '%U %S' -o "$tf" "$@" > /dev/null 2>&1
	e=$(date +%s%N)
	echo "$(((e - s) / 1000000)) $(awk '{ printf "%d", ($1 + $2) * 1000 }' "$tf")"
}
ms() { # median of 5 runs of "$@"
	for i in 1 2 3 4 5; do
		once "$@"
	done | sort -n | sed -n 3p
}
wall() { echo "${1% *}"; }
med() { echo "$1" | sed 's/.*wall median *\([0-9.]*\).*/\1/'; }    # of a bench_timeit line
cmed() { echo "$1" | sed 's/.*cpu median *\([0-9.]*\).*/\1/'; }
cpu() { echo "${1#* }"; }
export GIT_CHAT_KEY="$dir/a"
pub() { GIT_DIR="$dir/pub.git" "$chat" "$@"; }
priv() { GIT_DIR="$dir/priv.git" "$chat" "$@"; }
pub log -r general -n 50 > /dev/null 2>&1     # the indexes, warm
priv log -r "$room" -n 50 > /dev/null 2>&1   # and the sealed cache, for the page
# (through env: /usr/bin/time runs programs, not shell functions)
# The first full read of the private room is cold: no sealed cache of
# decrypted messages (private-rooms.md "Performance"); it fills it, and the
# medians below read through it.
rm -f "$dir/priv.git/chat/index/$room+sealed-"*
fc=$(once env GIT_DIR="$dir/priv.git" "$chat" log -r "$room" --format=json)
# The page: bench_timeit (clock_gettime around fork and wait, median of
# 11), not /usr/bin/time, whose own start is a few ms of a 10 ms figure.
lp=$("$timeit" -n 11 -l "log -n 50, public " -- env GIT_DIR="$dir/pub.git" "$chat" log -r general -n 50 2>/dev/null | tail -n 1)
lq=$("$timeit" -n 11 -l "log -n 50, private" -- env GIT_DIR="$dir/priv.git" "$chat" log -r "$room" -n 50 2>/dev/null | tail -n 1)
fp=$(ms env GIT_DIR="$dir/pub.git" "$chat" log -r general --format=json)
fq=$(ms env GIT_DIR="$dir/priv.git" "$chat" log -r "$room" --format=json)
echo "$lp"
echo "$lq"
echo "full read, first (cold): private $(wall "$fc") ms (cpu $(cpu "$fc"))  load $(cut -d' ' -f1 /proc/loadavg)"
echo "full read (json):        public $(wall "$fp") ms (cpu $(cpu "$fp"))  private $(wall "$fq") ms (cpu $(cpu "$fq"))  ratio $(echo "scale=2; $(wall "$fq") / ($(wall "$fp") + 0.0001)" | bc)"
# The command as a user runs it: a fresh process per send, the index and
# the membership head brought up to date as sends do.
sp=$("$timeit" -n "$k" -l "send command, public " -- env GIT_DIR="$dir/pub.git" "$chat" send -r general -m "bench send" 2>/dev/null | tail -n 1)
sq=$("$timeit" -n "$k" -l "send command, private" -- env GIT_DIR="$dir/priv.git" "$chat" send -r "$room" -m "bench send" 2>/dev/null | tail -n 1)
echo "$sp"
echo "$sq"
echo "send command ratio: wall $(echo "scale=2; $(med "$sq") / $(med "$sp")" | bc), cpu $(echo "scale=2; $(cmed "$sq") / $(cmed "$sp")" | bc)"
"$gen" send "$k" "$dir" "$room"
"$gen" rekey 50
"$gen" prims
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
