#!/bin/bash
# Kill trials (issue 14): SIGKILL at a random moment of `send`, `sync`
# (fetching, verifying and pushing: the moment is drawn over the whole
# command), `log` (while it rebuilds the order index and the caches) and the
# server's pre-receive hook. After every trial:
#   - git fsck --strict is clean, and git chat verify is clean;
#   - every message a send reported (printed its id, exit 0) is in the log;
#   - the next command works (the same command, not killed);
#   - no torn cache is trusted: `log --format=json` through the caches equals
#     `log --format=json` with $GIT_DIR/chat removed (rebuilt from the refs).
#
# usage: tests/faults/kill.sh TRIALS [BUILD_DIR] [COMMAND...]
#   COMMAND: send sync log hook (default: all). ctest runs 10 trials of each;
#   hundreds: tests/faults/kill.sh 300 build
# Prints one line per command: trials, how many the kill interrupted, and the
# failures; exit 0 when there were none.
set -u
trials=${1:?usage: kill.sh TRIALS [BUILD_DIR] [COMMAND...]}
build=${2:-build}
shift $(( $# < 2 ? $# : 2 ))
commands=${*:-send sync log hook}
GC=$(cd "$build" && pwd)/git-chat
[ -x "$GC" ] || { echo "kill.sh: no git-chat in $build" >&2; exit 2; }
w=$(mktemp -d "${TMPDIR:-/tmp}/gitchat-kill.XXXXXX")
export HOME=$w/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME=Killer GIT_AUTHOR_EMAIL=k@example.org
export GIT_COMMITTER_NAME=Killer GIT_COMMITTER_EMAIL=k@example.org
mkdir -p "$HOME"
daemon=
failures=0
trap '[ -n "$daemon" ] && kill "$daemon" 2>/dev/null; wait 2>/dev/null; [ "$failures" = 0 ] && [ -z "${KILL_DEBUG:-}" ] && rm -rf "$w"' EXIT
[ -n "${KILL_DEBUG:-}" ] && echo "work dir: $w"

fail() {
	echo "FAIL [$cmd, trial $t]: $*"
	failures=$((failures + 1))
	bad=$((bad + 1))
}

now_us() { echo $(( $(date +%s%N) / 1000 )); }

# Runs "$@" with stdout to $w/out, SIGKILL after $1 microseconds (if it
# still runs); sets $killed and returns the command's status.
run_killed() {
	local delay=$1 p st
	shift
	"$@" >"$w/out" 2>>"$w/err" &
	p=$!
	sleep "$(printf '%d.%06d' $((delay / 1000000)) $((delay % 1000000)))"
	killed=0
	kill -9 "$p" 2>/dev/null && killed=1
	{ wait "$p"; st=$?; } 2>/dev/null
	return $st
}

# How long "$@" takes, in microseconds (one run, not killed).
duration() {
	local t0
	t0=$(now_us)
	"$@" >/dev/null 2>&1
	echo $(( $(now_us) - t0 ))
}

# The checks after a trial, on store $1 (rooms: $rooms).
check_store() {
	local s=$1 room
	git --git-dir="$s" fsck --strict >/dev/null 2>"$w/fsck.err" ||
		fail "git fsck --strict on $s: $(head -c 300 "$w/fsck.err")"
	GIT_DIR=$s "$GC" verify >/dev/null 2>"$w/verify.err" ||
		fail "git chat verify on $s: $(head -c 300 "$w/verify.err")"
	for room in $rooms; do
		GIT_DIR=$s "$GC" log -r "$room" --format=json --no-mark-read >"$w/cached.$room" 2>"$w/log.err" ||
			fail "log -r $room: $(head -c 300 "$w/log.err")"
		mv "$s/chat" "$s/chat.kept" 2>/dev/null
		GIT_DIR=$s "$GC" log -r "$room" --format=json --no-mark-read >"$w/fresh" 2>/dev/null
		rm -rf "$s/chat"
		mv "$s/chat.kept" "$s/chat" 2>/dev/null
		cmp -s "$w/cached.$room" "$w/fresh" || fail "log -r $room through the caches differs from the refs"
	done
	# every message a send reported
	while read -r id room; do
		grep -q "\"id\":\"$id\"" "$w/cached.$room" ||
			fail "message $id (reported sent) is not in the log of $s"
	done < <(cat "$s.sent" 2>/dev/null)
}

send_ok() {   # store room text: a send that must work; its id is recorded
	local id
	if id=$(GIT_DIR=$1 "$GC" send -r "$2" -m "$3" 2>>"$w/err"); then
		echo "$id $2" >>"$1.sent"
	else
		fail "send to $1 failed: $(tail -1 "$w/err")"
	fi
}

newstore() {
	"$GC" init "$1" >/dev/null 2>&1 || { echo "kill.sh: cannot init $1" >&2; exit 2; }
}

report() {
	printf '%-5s %4d trials, %4d interrupted by the kill, %d failed\n' "$cmd" "$trials" "$hits" "$bad"
}

"$GC" keygen >/dev/null 2>&1 || { echo "kill.sh: keygen failed" >&2; exit 2; }

trial_send() {
	local s=$w/send.git
	rooms=general
	if [ "$t" = 1 ]; then
		newstore "$s"
		send_ok "$s" general first
		span=$(duration env GIT_DIR="$s" "$GC" send -r general -m timing)
	fi
	if run_killed $(( (RANDOM << 15 | RANDOM) % span )) env GIT_DIR="$s" "$GC" send -r general -m "trial $t"; then
		echo "$(cat "$w/out") general" >>"$s.sent"
	fi
	hits=$((hits + killed))
	check_store "$s"
	send_ok "$s" general "after trial $t"
}

start_daemon() {
	local port
	for port in $(shuf -i 20000-60000 -n 20); do
		git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$w/srv" \
			--export-all --enable=receive-pack "$w/srv" 2>>"$w/daemon.log" &
		daemon=$!
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			git ls-remote "git://127.0.0.1:$port/team.git" >/dev/null 2>&1 && { url=git://127.0.0.1:$port/team.git; return; }
			sleep 0.1
		done
		kill "$daemon" 2>/dev/null
		daemon=
	done
	echo "kill.sh: cannot start git daemon" >&2
	exit 2
}

setup_server() {
	[ -n "$daemon" ] && return
	mkdir -p "$w/srv"
	"$GC" init --server --program "$w/hook" "$w/srv/team.git" >/dev/null 2>&1 || exit 2
	# the hook, killed at a moment $w/hook-delay says (microseconds), if any
	cat >"$w/hook" <<HOOK
#!/bin/bash
if ! [ -s "$w/hook-delay" ]; then
	t0=\$(date +%s%N)
	"$GC" "\$@"
	st=\$?
	echo \$(( (\$(date +%s%N) - t0) / 1000 )) >>"$w/hook-span"
	exit \$st
fi
exec 3<&0
"$GC" "\$@" <&3 &
p=\$!
d=\$(cat "$w/hook-delay")
sleep "\$(printf '%d.%06d' \$((d / 1000000)) \$((d % 1000000)))"
kill -9 \$p 2>/dev/null && echo 1 >>"$w/hook-killed"
wait \$p
HOOK
	chmod +x "$w/hook"
	start_daemon
}

# sync: B receives what A pushed (6 messages more each time, to fetch and
# verify) and pushes its own 2, killed at a random moment of all that.
trial_sync() {
	local a=$w/a.git b=$w/b.git i
	rooms="general random"
	if [ "$t" = 1 ]; then
		setup_server
		newstore "$a"
		newstore "$b"
	fi
	for i in 1 2 3 4 5 6; do send_ok "$a" general "a $t.$i"; done
	for i in 1 2; do send_ok "$b" random "b $t.$i"; done
	GIT_DIR=$a "$GC" sync -q "$url" >/dev/null 2>>"$w/err" || fail "A's sync failed: $(tail -1 "$w/err")"
	if [ "$t" = 1 ]; then
		span=$(duration env GIT_DIR="$b" "$GC" sync -q "$url")
		for i in 1 2; do send_ok "$b" random "b $t.$i again"; done
		for i in 1 2 3 4 5 6; do send_ok "$a" general "a $t.$i again"; done
		GIT_DIR=$a "$GC" sync -q "$url" >/dev/null 2>>"$w/err"
	fi
	run_killed $(( (RANDOM << 15 | RANDOM) % span )) env GIT_DIR="$b" "$GC" sync -q "$url"
	hits=$((hits + killed))
	check_store "$b"
	GIT_DIR=$b "$GC" sync -q "$url" >/dev/null 2>>"$w/err" || fail "the next sync failed: $(tail -1 "$w/err")"
	git --git-dir="$w/srv/team.git" fsck --strict >/dev/null 2>&1 || fail "fsck on the server"
}

# log: the order index, message cache and verification cache rebuilt
# from 150 messages, killed at a random moment.
trial_log() {
	local s=$w/log.git i
	rooms=general
	if [ "$t" = 1 ]; then
		newstore "$s"
		for i in $(seq 1 150); do send_ok "$s" general "message $i"; done
		rm -rf "$s/chat"
		span=$(duration env GIT_DIR="$s" "$GC" log -r general --format=json --no-mark-read)
		GIT_DIR=$s "$GC" log -r general --format=json --no-mark-read >"$w/log.want" 2>/dev/null
	fi
	# every other trial from nothing, else from what the last kill left
	[ $((t % 2)) = 0 ] && rm -rf "$s/chat"
	run_killed $(( (RANDOM << 15 | RANDOM) % span )) env GIT_DIR="$s" "$GC" log -r general --format=json --no-mark-read
	hits=$((hits + killed))
	GIT_DIR=$s "$GC" log -r general --format=json --no-mark-read >"$w/log.got" 2>>"$w/err" ||
		fail "the next log failed: $(tail -1 "$w/err")"
	cmp -s "$w/log.want" "$w/log.got" || fail "the next log shows something else"
	check_store "$s"
}

# hook: the server's pre-receive check killed at a random moment of a push.
trial_hook() {
	local a=$w/h.git i
	rooms=general
	if [ "$t" = 1 ]; then
		setup_server
		newstore "$a"
		for i in 1 2 3; do send_ok "$a" general "h $t.$i"; done
		: >"$w/hook-delay"
		for i in 1 2 3 4; do
			send_ok "$a" general "h 0.$i"
			GIT_DIR=$a "$GC" sync -q "$url" >/dev/null 2>&1
		done
		# how long one run of the hook takes (the fastest of four)
		span=$(sort -n "$w/hook-span" | head -1)
	fi
	for i in 1 2 3; do send_ok "$a" general "h $t.$i"; done
	rm -f "$w/hook-killed"
	echo $(( (RANDOM << 15 | RANDOM) % span )) >"$w/hook-delay"
	GIT_DIR=$a "$GC" sync -q "$url" >/dev/null 2>>"$w/err"
	[ -s "$w/hook-killed" ] && hits=$((hits + 1))
	: >"$w/hook-delay"
	check_store "$a"
	rooms=general check_server
	GIT_DIR=$a "$GC" sync -q "$url" >/dev/null 2>>"$w/err" || fail "the next sync failed: $(tail -1 "$w/err")"
	# the server has every message A reported
	git --git-dir="$w/srv/team.git" rev-parse "$(git --git-dir="$a" for-each-ref --format='%(refname)' refs/chat/general)" \
		>/dev/null 2>&1 || fail "the server lacks A's log"
}

check_server() {
	local srv=$w/srv/team.git
	git --git-dir="$srv" fsck --strict >/dev/null 2>"$w/fsck.err" || fail "server fsck: $(head -c 300 "$w/fsck.err")"
	GIT_DIR=$srv "$GC" verify >/dev/null 2>"$w/verify.err" || fail "server verify: $(head -c 300 "$w/verify.err")"
}

for cmd in $commands; do
	hits=0
	bad=0
	for t in $(seq 1 "$trials"); do
		"trial_$cmd"
	done
	report
done
[ "$failures" = 0 ] || { echo "kill.sh: $failures failures; the stores are in $w"; exit 1; }
exit 0
