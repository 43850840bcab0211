#!/bin/sh
# Big rooms (issue 15), one command: every figure the issue asks for,
# each against stock git in the same run, then a table with the load
# average of the moment.
#
#   sh tests/bench/bench_bigroom.sh [-n MESSAGES] [-a AUTHORS] [-r RUNS] [-w WORKDIR] BUILD_DIR
#
# Defaults: 1,000,000 messages, 8 authors, 5 runs, WORKDIR
# /tmp/gitchat-bigroom (keep it outside the tree; a million-message room is
# about 0.6 GB, and sync copies it once more). Use -a 100 for the room of
# 100 authors (the generator then holds 800 bytes a message of vector
# clocks). BUILD_DIR is a Release build with the bench tools
# (-DGITCHAT_TESTS=ON).
#
# Measured:
#   1. one new message (`git chat send`), then `log -n 50`, against `git
#      commit-tree -S` + `update-ref` then `git log -n 50 --topo-order` with
#      a commit-graph (tests/bench/bench_log.sh, which also gives the
#      figures that hold today: warm latest page, full JSON against `git log
#      --date-order`, peak bytes a message);
#   2. `git chat sync` of the whole room into a new store, against `git
#      fetch` of the same refs into a new bare repository: time and peak
#      memory;
#   3. the first `log -n 50` after that sync, against `git log -n 50
#      --topo-order` in the fetched copy;
#   4. local state (chat/: index, tail, message cache, verification cache)
#      against the pack;
#   5. `sync` of 1,000 new onto 100,000 (tests/bench/bench_sync.sh), with
#      `git fetch` over a path and git://.
# SKIP="log sync100k" leaves out steps 1 (its figures are then read from
# the last run's results) and 5, for a second run on the same room.
set -eu

n=1000000
authors=8
runs=5
work=/tmp/gitchat-bigroom
usage="usage: $0 [-n MESSAGES] [-a AUTHORS] [-r RUNS] [-w WORKDIR] BUILD_DIR"
while getopts n:a:r:w: opt; do
	case $opt in
	n) n=$OPTARG ;;
	a) authors=$OPTARG ;;
	r) runs=$OPTARG ;;
	w) work=$OPTARG ;;
	*) echo "$usage" >&2; exit 129 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "$usage" >&2; exit 129; }
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
chat=$build/git-chat
gen=$build/tests/bench_gen_room
timeit=$build/tests/bench_timeit
for f in "$chat" "$gen" "$timeit"; do
	[ -x "$f" ] || { echo "fatal: '$f' is missing; build the tree first" >&2; exit 128; }
done

w=$work/a$authors
mkdir -p "$w"
store=$w/room-$n
keys=$w/keys-$n
room=general
results=$w/bigroom-$n.txt
: > "$results"
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.org
loads=""
load() { loads="$loads $(cut -d' ' -f1 /proc/loadavg)"; }
say() { printf '%s\n' "$*" | tee -a "$results"; }
t() { label=$1; shift; load; "$timeit" -n "$runs" -l "$label" "$@" 2>>"$w/runs.log" | tee -a "$results"; }
t1() { label=$1; shift; load; "$timeit" -n 1 -l "$label" "$@" 2>>"$w/runs.log" | tee -a "$results"; }
field() { # label, wall|cpu|max
	line=$(grep "^$1 " "$results" | tail -1)
	case $2 in
	max) printf '%s\n' "$line" | sed -n 's/.*(max *\([0-9]*\)).*/\1/p' ;;
	*) printf '%s\n' "$line" | sed -n "s/.*$2 median *\\([0-9.]*\\).*/\\1/p" ;;
	esac
}

say "git-chat big room: $n messages, $authors authors, $runs runs, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say "machine: $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg); git $(git --version | cut -d' ' -f3)"
df -h "$work" | tail -1 | awk '{ print "disk: " $4 " free under '"$work"'" }' | tee -a "$results"

if [ ! -d "$store" ]; then
	t1 "generate room" -- "$gen" -n "$n" -a "$authors" -k "$keys" "$store"
fi

# 1. The figures of bench_log.sh, on this room (it verifies once, fills the
# index, and times the new message then the latest page).
skip() { case " ${SKIP:-} " in *" $1 "*) return 0 ;; esac; return 1; }
skip log || sh "$here/bench_log.sh" -n "$n" -r "$runs" -w "$w" "$build" | tee "$w/bench_log.txt"
grep -E "^(log -n 50, index warm|log --format=json, index warm|log -n 50 after 1 new message|git rev-list --date-order, commit-graph|git log -n 50 --topo-order, commit-graph) " \
	"$w/results-$n.txt" >> "$results"

# Stock git: a signed commit on one author's log, then the latest page.
git --git-dir="$store" config gpg.format ssh
git --git-dir="$store" config user.signingKey "$keys/author3"
head3=$(git --git-dir="$store" for-each-ref --count=1 --format='%(refname)' "refs/chat/$room/" )
git --git-dir="$store" config core.commitGraph true   # bench_log.sh turns it off
git --git-dir="$store" commit-graph write --reachable 2>/dev/null
t "git: commit -S + update-ref, log -n 50" \
	-p "c=\$(git --git-dir='$store' commit-tree -S -m 'one more' -p '$head3' 4b825dc642cb6eb9a060e54bf8d69288fbee4904) && git --git-dir='$store' update-ref refs/bench/git \$c" \
	-- git --git-dir="$store" log -n 50 --topo-order --format=%H "--glob=refs/chat/$room/*" --glob=refs/bench/git
git --git-dir="$store" update-ref -d refs/bench/git || true
rm -f "$store/objects/info/commit-graph"
git --git-dir="$store" config core.commitGraph false

# 2-3. The whole room into a new store, against git fetch.
rm -rf "$w/sync-chat" "$w/sync-git"
t1 "git chat sync, whole room" -p "rm -rf '$w/sync-chat' && '$chat' init '$w/sync-chat' >/dev/null" \
	-- sh -c "cd '$w/sync-chat' && '$chat' sync -q '$store'"
t1 "git fetch, whole room" -p "rm -rf '$w/sync-git' && git init -q --bare '$w/sync-git'" \
	-- git --git-dir="$w/sync-git" fetch -q "$store" '+refs/chat/*:refs/chat/*'
t1 "first log -n 50 after sync" -- sh -c "cd '$w/sync-chat' && '$chat' log -r '$room' -n 50 >/dev/null"
t1 "git log -n 50 after fetch" -- git --git-dir="$w/sync-git" log -n 50 --topo-order --format=%H "--glob=refs/chat/$room/*"

# What the message cache buys (issue 15: keep it, shrink it, or drop it):
# the full JSON read with and without it, in the synced store.
cp -a "$w/sync-chat/chat/index" "$w/index.keep"
t "log --format=json, message cache" -- sh -c "cd '$w/sync-chat' && '$chat' log -r '$room' --format=json >/dev/null"
t "log -n 50, message cache" -- sh -c "cd '$w/sync-chat' && '$chat' log -r '$room' -n 50 >/dev/null"
rm -f "$w/sync-chat/chat/index/$room".text-*
t "log --format=json, no message cache" -- sh -c "cd '$w/sync-chat' && '$chat' log -r '$room' --format=json >/dev/null"
t "log -n 50, no message cache" -- sh -c "cd '$w/sync-chat' && '$chat' log -r '$room' -n 50 >/dev/null"
rm -rf "$w/sync-chat/chat/index" && mv "$w/index.keep" "$w/sync-chat/chat/index"
# Stock git reading the same fields (id, parents, author, dates, text) in
# date order, with a commit-graph: what the full JSON must stay ahead of.
git --git-dir="$w/sync-git" commit-graph write --reachable 2>/dev/null
t "git log --date-order, same fields, commit-graph" -- sh -c "git -c core.commitGraph=true --git-dir='$w/sync-git' log --date-order --format='%H%x00%P%x00%an%x00%ae%x00%at%x00%ct%x00%B' '--glob=refs/chat/$room/*' >/dev/null"

# 4. Local state against the pack.
pack_kb=$(du -sk "$w/sync-chat/objects/pack" | cut -f1)
state_kb=$(du -sk "$w/sync-chat/chat" | cut -f1)
say "local state: chat/ $state_kb KB ($(cd "$w/sync-chat/chat" && du -sk index verified 2>/dev/null | tr '\t\n' '  ')), pack $pack_kb KB"
rm -rf "$w/sync-git"

# 5. 1,000 new onto 100,000 (its own rooms, made by bench_sync_gen).
load
skip sync100k || sh "$here/bench_sync.sh" "$build" "$runs" 100000 1000 2>&1 | tee "$w/bench_sync.txt" | tail -12
load

r() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "-" }'; }
ms() { awk -v a="$1" 'BEGIN { printf "%.0f ms", a }'; }
mb() { awk -v a="$1" 'BEGIN { printf "%.0f MB", a / 1024 }'; }
nw=$(field "log -n 50 after 1 new message" wall); gw=$(field "git: commit -S + update-ref, log -n 50" wall)
sw=$(field "git chat sync, whole room" wall); fw=$(field "git fetch, whole room" wall)
sm=$(field "git chat sync, whole room" max); fm=$(field "git fetch, whole room" max)
lw=$(field "first log -n 50 after sync" wall); gl=$(field "git log -n 50 after fetch" wall)
ww=$(field "log -n 50, index warm" wall)
jw=$(field "log --format=json, index warm" wall); jg=$(field "git rev-list --date-order, commit-graph" wall)
jm=$(field "log --format=json, index warm" max)
say ""
say "| work, $n messages, $authors authors | git-chat | stock git, same run | ratio | goal |"
say "| --- | --- | --- | --- | --- |"
say "| one new message, then log -n 50 (git: the log only, after commit -S) | $(ms "$nw") | $(ms "$gw") | $(r "$nw" "$gw") | under 30 ms |"
say "| sync of the whole room into a new store | $(ms "$sw"), $(mb "$sm") | $(ms "$fw"), $(mb "$fm") | $(r "$sw" "$fw") time, $(r "$sm" "$fm") memory | 1.5x, 1x |"
say "| first log -n 50 after that sync | $(ms "$lw") | $(ms "$gl") | $(r "$lw" "$gl") | under 50 ms |"
say "| local state beside the pack | $state_kb KB | pack $pack_kb KB | $(awk -v a="$state_kb" -v b="$pack_kb" 'BEGIN { printf "%.0f%%", 100 * a / b }') | 25% |"
say "| sync 1,000 onto 100,000 | see $w/bench_sync.txt | | $(grep -E 'ratio|x git' "$w/bench_sync.txt" | head -2 | tr '\n' ' ') | 1.5x |"
cw=$(field "log --format=json, message cache" wall); nw2=$(field "log --format=json, no message cache" wall)
cp=$(field "log -n 50, message cache" wall); np2=$(field "log -n 50, no message cache" wall)
say "| full JSON / latest page, without the message cache against with it | $(ms "$nw2") / $(ms "$np2") | $(ms "$cw") / $(ms "$cp") (with) | $(r "$nw2" "$cw") / $(r "$np2" "$cp") | decides issue 15's third point |"
gf=$(field "git log --date-order, same fields, commit-graph" wall)
say "| full JSON of the synced store with / without the message cache, against git log --date-order of the same fields with a commit-graph | $(ms "$cw") / $(ms "$nw2") | $(ms "$gf") | $(r "$cw" "$gf") / $(r "$nw2" "$gf") | ahead of git (below 1x) |"
say "| warm latest page | $(ms "$ww") | | | under 20 ms |"
say "| full JSON, warm, against rev-list --date-order with commit-graph | $(ms "$jw") | $(ms "$jg") | $(r "$jw" "$jg") | ahead of git |"
say "| peak memory, full JSON | $(mb "$jm") | | $(awk -v kb="$jm" -v n="$n" 'BEGIN { printf "%.0f bytes/message", kb * 1024 / n }') | under 150 |"
say ""
say "load average (1 min) sampled before each measurement:$loads"
say "results in $results"
