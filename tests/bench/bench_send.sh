#!/bin/sh
# Messages per second, in one run on one machine (issue 2, "Measure and note"):
#
#   stock git   `git commit-tree -S` (gpg.format=ssh, same key) + `git update-ref`
#               per message, and the same unsigned for scale
#   git chat    one `git chat send` process per message
#   library     gitchat_send in a loop (tests/bench/bench_send.c), and the bare
#               libgit2 floor under it
#
# usage: tests/bench/bench_send.sh [BUILD_DIR [N]]
#   BUILD_DIR  a build with the benchmarks (default: build-rel, else build);
#              use a Release build for figures
#   N          messages per loop (default 1000)
#   BENCH_DIR  environment: where the scratch stores go (default $TMPDIR or /tmp)
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-}
if [ -z "$build" ]; then
	if [ -x "$here/build-rel/git-chat" ]; then build=$here/build-rel; else build=$here/build; fi
fi
build=$(cd "$build" && pwd)
n=${2:-1000}
chat=$build/git-chat
lib=$build/tests/bench_send
[ -x "$chat" ] && [ -x "$lib" ] || { echo "build $build first (git-chat, tests/bench_send)" >&2; exit 1; }

tmp=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/gitchat-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.org
unset GIT_DIR GIT_CHAT_KEY
mkdir -p "$HOME"
key=$tmp/key
"$chat" keygen -f "$key" >/dev/null 2>&1
empty=4b825dc642cb6eb9a060e54bf8d69288fbee4904

now() { date +%s.%N; }
results=$tmp/results
: > "$results"
record() {   # name start end
	echo "$1|$2|$3" >> "$results"
}

# Stock git: what `git commit -S` does for one message, without an index.
stock() {   # dir sign(0|1)
	git init -q --bare "$1"
	export GIT_DIR=$1
	git hash-object -w -t tree /dev/null >/dev/null
	prev=
	i=1
	while [ $i -le "$n" ]; do
		if [ "$2" = 1 ]; then
			c=$(git -c gpg.format=ssh -c user.signingkey="$key" commit-tree -S \
			    ${prev:+-p $prev} -m "message $i" $empty)
		else
			c=$(git commit-tree ${prev:+-p $prev} -m "message $i" $empty)
		fi
		git update-ref refs/heads/log "$c" $prev
		prev=$c
		i=$((i + 1))
	done
	unset GIT_DIR
}

echo "measuring $n messages per loop in $tmp ..." >&2

t0=$(now); stock "$tmp/stock-signed.git" 1; t1=$(now)
record "git commit-tree -S + update-ref (ssh)" "$t0" "$t1"
[ "$(GIT_DIR=$tmp/stock-signed.git git rev-list --count refs/heads/log)" = "$n" ]

t0=$(now); stock "$tmp/stock-unsigned.git" 0; t1=$(now)
record "git commit-tree + update-ref (unsigned)" "$t0" "$t1"

"$chat" init "$tmp/chat.git" 2>/dev/null
t0=$(now)
i=1
while [ $i -le "$n" ]; do
	GIT_DIR=$tmp/chat.git "$chat" send --key "$key" -m "message $i" >/dev/null
	i=$((i + 1))
done
t1=$(now)
record "git chat send (one process each)" "$t0" "$t1"
GIT_DIR=$tmp/chat.git "$chat" verify 2>/dev/null
[ "$(GIT_DIR=$tmp/chat.git git rev-list --count --all)" = "$n" ]

# The library loop times itself (no process start-up to subtract).
libout=$("$lib" "$n" "$tmp")
echo "$libout" | sed -n 's/^gitchat_send library loop: [0-9]* messages in \([0-9.]*\) s.*/gitchat_send library loop|0|\1/p' >> "$results"
echo "$libout" | sed -n 's/^libgit2 floor (sign, write, CAS): [0-9]* messages in \([0-9.]*\) s.*/libgit2 floor: sign, write, CAS|0|\1/p' >> "$results"

stock_secs=$(awk -F'|' 'NR == 1 { print $3 - $2 }' "$results")
printf '\n%-42s %8s %9s %9s %8s\n' "method ($n messages)" "seconds" "msgs/s" "ms/msg" "speedup"
awk -F'|' -v n="$n" -v base="$stock_secs" '{
	s = $3 - $2
	printf "%-42s %8.2f %9.0f %9.3f %7.2fx\n", $1, s, n / s, 1000 * s / n, base / s
}' "$results"
echo "(speedup: against the signed stock git pair, in this run)"
echo
echo "$libout" | grep -i cpu | sed 's/^/  /'
echo "  machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), stores in $(df -P "$tmp" | awk 'NR == 2 { print $1 }')"
