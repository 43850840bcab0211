#!/bin/sh
# Messages per second, in one run on one machine (issue 2, "Measure and note"):
#
#   stock git   `git commit-tree -S` (gpg.format=ssh, same key) + `git update-ref`
#               per message, and the same unsigned for scale
#   git chat    one `git chat send` process per message
#   library     gitchat_send in a loop (tests/bench/bench_send.c), and the bare
#               libgit2 floor under it (sign, write the commit, compare-and-swap)
#
# The methods take turns in ROUNDS rounds of N/ROUNDS messages each, every
# method continuing its own log, so that load that comes and goes on the
# machine weighs on all of them alike.
#
# usage: tests/bench/bench_send.sh [BUILD_DIR [N [ROUNDS]]]
#   BUILD_DIR  a build with the benchmarks (default: build-rel, else build);
#              use a Release build for figures
#   N          messages per method (default 1000)
#   ROUNDS     default 10
#   BENCH_DIR  environment: where the scratch stores go (default $TMPDIR or /tmp)
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-}
if [ -z "$build" ]; then
	if [ -x "$here/build-rel/git-chat" ]; then build=$here/build-rel; else build=$here/build; fi
fi
build=$(cd "$build" && pwd)
n=${2:-1000}
rounds=${3:-10}
per=$((n / rounds))
n=$((per * rounds))
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
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a + b }'; }

# Stock git: what `git commit -S` does for one message, without an index.
stock() {   # dir sign(0|1) first last
	export GIT_DIR=$1
	prev=$(git rev-parse -q --verify refs/heads/log || true)
	i=$3
	while [ "$i" -le "$4" ]; do
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

chat_loop() {   # first last
	i=$1
	while [ "$i" -le "$2" ]; do
		GIT_DIR=$tmp/chat.git "$chat" send --key "$key" -m "message $i" >/dev/null
		i=$((i + 1))
	done
}

git init -q --bare "$tmp/stock-signed.git"
git init -q --bare "$tmp/stock-unsigned.git"
GIT_DIR=$tmp/stock-signed.git git hash-object -w -t tree /dev/null >/dev/null
GIT_DIR=$tmp/stock-unsigned.git git hash-object -w -t tree /dev/null >/dev/null
"$chat" init "$tmp/chat.git" 2>/dev/null
mkdir "$tmp/lib"

echo "measuring $n messages per method, $rounds rounds, in $tmp ..." >&2
t_signed=0 t_unsigned=0 t_chat=0 t_lib=0 t_floor=0 c_lib=0 c_floor=0
r=0
while [ $r -lt "$rounds" ]; do
	first=$((r * per + 1))
	last=$(((r + 1) * per))
	t0=$(now); stock "$tmp/stock-signed.git" 1 $first $last; t1=$(now)
	t_signed=$(add "$t_signed" "$(add "$t1" "-$t0")")
	t0=$(now); stock "$tmp/stock-unsigned.git" 0 $first $last; t1=$(now)
	t_unsigned=$(add "$t_unsigned" "$(add "$t1" "-$t0")")
	t0=$(now); chat_loop $first $last; t1=$(now)
	t_chat=$(add "$t_chat" "$(add "$t1" "-$t0")")
	out=$("$lib" "$per" "$tmp/lib" "$key")
	# "... N messages in S s: ... (CPU C ms/msg)" for the loop and the floor
	s=$(echo "$out" | sed -n 's/^gitchat_send library loop: [0-9]* messages in \([0-9.]*\) s.*CPU \([0-9.]*\) ms.*/\1 \2/p')
	f=$(echo "$out" | sed -n 's/^libgit2 floor.*messages in \([0-9.]*\) s.*CPU \([0-9.]*\) ms.*/\1 \2/p')
	t_lib=$(add "$t_lib" "${s% *}"); c_lib=$(add "$c_lib" "${s#* }")
	t_floor=$(add "$t_floor" "${f% *}"); c_floor=$(add "$c_floor" "${f#* }")
	r=$((r + 1))
	echo "  round $r/$rounds done" >&2
done

# Every log is whole and every message verifies.
[ "$(GIT_DIR=$tmp/stock-signed.git git rev-list --count refs/heads/log)" = "$n" ]
[ "$(GIT_DIR=$tmp/chat.git git rev-list --count --all)" = "$n" ]
GIT_DIR=$tmp/chat.git "$chat" verify 2>/dev/null

printf '\n%-42s %8s %9s %9s %8s\n' "method ($n messages)" "seconds" "msgs/s" "ms/msg" "speedup"
row() {
	awk -v name="$1" -v s="$2" -v n="$n" -v base="$t_signed" 'BEGIN {
		printf "%-42s %8.2f %9.0f %9.3f %7.2fx\n", name, s, n / s, 1000 * s / n, base / s }'
}
row "git commit-tree -S + update-ref (ssh)" "$t_signed"
row "git commit-tree + update-ref (unsigned)" "$t_unsigned"
row "git chat send (one process each)" "$t_chat"
row "gitchat_send library loop" "$t_lib"
row "libgit2 floor: sign, write, CAS" "$t_floor"
echo "(speedup: against the signed stock git pair, same run, rounds interleaved)"
awk -v a="$c_lib" -v b="$c_floor" -v r="$rounds" 'BEGIN {
	printf "CPU per message in the library process: gitchat_send %.3f ms, floor %.3f ms\n", a / r, b / r }'
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), stores on $(df -P "$tmp" | awk 'NR == 2 { print $1 }')"
