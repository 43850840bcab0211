#!/bin/sh
# Benchmark of `git chat sync` against plain `git fetch` of the same refs,
# in the same run, on the same data (issue 3, "Measure and note"):
#
#   a receiver already holding a room of BASE messages (100,000) fetches NEW
#   more (1,000) over a file path and over git:// (git daemon on 127.0.0.1);
#   then both fetch again with nothing new.
#
# usage: sh tests/bench/bench_sync.sh [BUILD_DIR] [RUNS] [BASE] [NEW]
#        (defaults: build 5 100000 1000)
#        OLD_BUILD=DIR also times DIR/git-chat (another version of this
#        tree, say main's) in the same rounds, on a copy of its own, and
#        prints new/old: how a change moves sync, with the load of the
#        moment shared by both.
#        DATA=DIR keeps the prepared room and receiver in DIR and reuses
#        them on the next run with the same BASE and NEW (preparing 100,000
#        messages takes a while); the receiver's verify cache is then the
#        one the first run's build wrote.
#
# Each run copies the prepared receiver twice (outside the timing) and times
# `git --git-dir=R fetch -q URL '+refs/chat/*:refs/chat/*'` on one copy and
# `git chat sync -q URL` on the other (which fetches into quarantine,
# verifies the new commits, fast-forwards and finds nothing to push), in
# alternating order; then each once more with nothing new. Prints the
# median of each, and the ratios; with `perf stat` at hand, also the median
# CPU time (all threads and child processes: the machine may be shared,
# and the wall time then says more about the neighbours). The receiver's verify cache is warm (it
# ran `git chat verify` once), as it is for anyone who used the store.
set -eu

BUILD=${1:-build}
RUNS=${2:-5}
BASE=${3:-100000}
NEW=${4:-1000}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
CHAT=$BUILD/git-chat
GEN=$BUILD/tests/bench_sync_gen
[ -x "$CHAT" ] && [ -x "$GEN" ] || { echo "build first: $CHAT, $GEN" >&2; exit 1; }
OLD_CHAT=
if [ -n "${OLD_BUILD:-}" ]; then
	OLD_CHAT=$(cd "$OLD_BUILD" && pwd)/git-chat
	[ -x "$OLD_CHAT" ] || { echo "build first: $OLD_CHAT" >&2; exit 1; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench_sync.XXXXXX")
DAEMON_PID=
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" GIT_CONFIG_NOSYSTEM=1
PREP=${DATA:-$WORK}
case $PREP in /*) ;; *) PREP=$(pwd)/$PREP ;; esac
mkdir -p "$HOME" "$PREP"
unset GIT_DIR

now_ms() { date +%s%N | cut -c1-13; }
HAVE_PERF=0
perf stat -x, -e task-clock -o /dev/null true >/dev/null 2>&1 && HAVE_PERF=1
# timed WALL_FILE CPU_FILE COMMAND...: appends the wall and CPU ms.
timed() {
	w=$1 c=$2
	shift 2
	t=$(now_ms)
	if [ $HAVE_PERF = 1 ]; then
		perf stat -x, -e task-clock -o "$WORK/cpu1" -- "$@"
		echo $(( $(now_ms) - t )) >>"$w"
		awk -F, '$3 == "task-clock" { printf "%d\n", $1 }' "$WORK/cpu1" >>"$c"
	else
		"$@"
		echo $(( $(now_ms) - t )) >>"$w"
		echo 0 >>"$c"
	fi
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                                               else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

SENDER=$PREP/srv/room.git
RECV=$PREP/receiver.git
if [ -n "${DATA:-}" ] && [ "$(cat "$PREP/prepared" 2>/dev/null)" = "$BASE $NEW" ]; then
	echo "reusing the room prepared in $PREP" >&2
else
	echo "preparing: a room of $BASE messages (4 authors), then $NEW more..." >&2
	t0=$(now_ms)
	rm -rf "$PREP/srv" "$RECV" "$PREP/keys" "$PREP/prepared"
	mkdir -p "$PREP/keys" "$PREP/srv"
	git init -q --bare "$SENDER"
	"$GEN" "$SENDER" general "$BASE" 4 "$PREP/keys" >/dev/null
	cp -a "$SENDER" "$RECV"
	GIT_DIR=$RECV "$CHAT" verify >/dev/null 2>&1      # warm the verify cache, as any used store
	"$GEN" "$SENDER" general "$NEW" 4 "$PREP/keys" >/dev/null
	touch "$SENDER/git-daemon-export-ok"
	echo "$BASE $NEW" >"$PREP/prepared"
	echo "prepared in $(( $(now_ms) - t0 )) ms" >&2
fi

PORT=$(( 20000 + $$ % 20000 ))
"$(git --exec-path)/git-daemon" --reuseaddr --listen=127.0.0.1 --port=$PORT \
	--base-path="$PREP/srv" --export-all "$PREP/srv" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
i=0
until git ls-remote "git://127.0.0.1:$PORT/room.git" >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "git daemon did not start" >&2; exit 1; }
	sleep 0.1
done

want=$(git --git-dir="$SENDER" for-each-ref --format='%(objectname) %(refname)' refs/chat)

bench() {   # $1 = label, $2 = URL
	: >"$WORK/t_fetch"; : >"$WORK/t_sync"; : >"$WORK/t_fetch0"; : >"$WORK/t_sync0"
	: >"$WORK/t_old"; : >"$WORK/t_old0"
	: >"$WORK/c_fetch"; : >"$WORK/c_sync"; : >"$WORK/c_old"
	r=0
	while [ $r -lt "$RUNS" ]; do
		rm -rf "$WORK/f.git" "$WORK/s.git" "$WORK/o.git"
		cp -a "$RECV" "$WORK/f.git"
		cp -a "$RECV" "$WORK/s.git"
		[ -z "$OLD_CHAT" ] || cp -a "$RECV" "$WORK/o.git"
		sync 2>/dev/null || true
		if [ -n "$OLD_CHAT" ] && [ $((r % 2)) = 0 ]; then
			timed "$WORK/t_old" "$WORK/c_old" env GIT_DIR="$WORK/o.git" "$OLD_CHAT" sync -q "$2"
		fi
		for which in a b; do
			if { [ $which = a ] && [ $((r % 2)) = 0 ]; } || { [ $which = b ] && [ $((r % 2)) = 1 ]; }; then
				timed "$WORK/t_fetch" "$WORK/c_fetch" \
					git --git-dir="$WORK/f.git" fetch -q "$2" '+refs/chat/*:refs/chat/*'
			else
				timed "$WORK/t_sync" "$WORK/c_sync" env GIT_DIR="$WORK/s.git" "$CHAT" sync -q "$2"
			fi
		done
		if [ -n "$OLD_CHAT" ] && [ $((r % 2)) = 1 ]; then
			timed "$WORK/t_old" "$WORK/c_old" env GIT_DIR="$WORK/o.git" "$OLD_CHAT" sync -q "$2"
		fi
		got=$(git --git-dir="$WORK/s.git" for-each-ref --format='%(objectname) %(refname)' refs/chat)
		[ "$got" = "$want" ] || { echo "sync did not end with the sender's refs" >&2; exit 1; }
		t=$(now_ms); git --git-dir="$WORK/f.git" fetch -q "$2" '+refs/chat/*:refs/chat/*'
		echo $(( $(now_ms) - t )) >>"$WORK/t_fetch0"
		t=$(now_ms); GIT_DIR="$WORK/s.git" "$CHAT" sync -q "$2"
		echo $(( $(now_ms) - t )) >>"$WORK/t_sync0"
		if [ -n "$OLD_CHAT" ]; then
			t=$(now_ms); GIT_DIR="$WORK/o.git" "$OLD_CHAT" sync -q "$2"
			echo $(( $(now_ms) - t )) >>"$WORK/t_old0"
		fi
		r=$((r + 1))
	done
	f=$(median <"$WORK/t_fetch"); s=$(median <"$WORK/t_sync")
	f0=$(median <"$WORK/t_fetch0"); s0=$(median <"$WORK/t_sync0")
	printf '%-8s %6s new: git fetch %7s ms  git chat sync %7s ms  ratio %5s   ' \
		"$1" "$NEW" "$f" "$s" "$(echo "$s $f" | awk '{ printf "%.2f", $1 / $2 }')"
	printf 'nothing new: git fetch %5s ms  git chat sync %5s ms  ratio %5s\n' \
		"$f0" "$s0" "$(echo "$s0 $f0" | awk '{ printf "%.2f", $1 / $2 }')"
	if [ $HAVE_PERF = 1 ]; then
		cf=$(median <"$WORK/c_fetch"); cs=$(median <"$WORK/c_sync")
		printf '%-8s %6s new, CPU: git fetch %7s ms  git chat sync %7s ms  ratio %5s' \
			"$1" "$NEW" "$cf" "$cs" "$(echo "$cs $cf" | awk '{ printf "%.2f", $1 / $2 }')"
		if [ -n "$OLD_CHAT" ]; then
			co=$(median <"$WORK/c_old")
			printf '   old git chat sync %7s ms  new/old %5s' "$co" \
				"$(echo "$cs $co" | awk '{ printf "%.2f", $1 / $2 }')"
		fi
		printf '\n'
	fi
	if [ -n "$OLD_CHAT" ]; then
		o=$(median <"$WORK/t_old"); o0=$(median <"$WORK/t_old0")
		printf '%-8s %6s new: old git chat sync %7s ms  new/old %5s   ' \
			"$1" "$NEW" "$o" "$(echo "$s $o" | awk '{ printf "%.2f", $1 / $2 }')"
		printf 'nothing new: old %5s ms  new/old %5s\n' \
			"$o0" "$(echo "$s0 $o0" | awk '{ printf "%.2f", $1 / $2 }')"
	fi
}

echo "room of $BASE messages, $NEW new, median of $RUNS runs (times in ms), load average" \
	"$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null):"
bench path "$SENDER"
bench git:// "git://127.0.0.1:$PORT/room.git"
