#!/bin/bash
# The soak (issue 14; not in CI): six writers on three replicas, a git
# daemon whose repository has git-chat's pre-receive hook, random sends,
# edits, reactions and syncs for SECONDS, while a killer sends SIGKILL to
# some of the git-chat processes (one in six of the writers' commands, one
# in five runs of the hook, each at a random moment). Then every
# replica syncs until nothing moves, and must hold byte-identical
# `git chat log --format=json` for every room, pass `git fsck --strict` and
# `git chat verify`, and hold every message a send reported.
#
# usage: tests/soak/soak.sh SECONDS [BUILD_DIR]     (run it under nice -n 19)
# prints the figures on the last lines; exit 0 when everything converged.
set -u
dur=${1:?usage: soak.sh SECONDS [BUILD_DIR]}
build=${2:-build}
GC=$(cd "$build" && pwd)/git-chat
[ -x "$GC" ] || { echo "soak: no git-chat in $build" >&2; exit 2; }
w=$(mktemp -d "${TMPDIR:-/tmp}/gitchat-soak.XXXXXX")
export HOME=$w/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
mkdir -p "$HOME" "$w/srv" "$w/stats"
rooms="general random"
end=$(( $(date +%s) + dur ))
pids=

descendants() {   # every process below $1, by parent id
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done
}

cleanup() {
	for p in $pids $daemon; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

# the server: git daemon on a free port, the hook on
"$GC" init --server --program "$GC" "$w/srv/team.git" >/dev/null 2>&1 || exit 2
# the hook: one run in five is killed (SIGKILL) after 0..50 ms
cat >"$w/hook-killer" <<HOOK
#!/bin/bash
[ \$((RANDOM % 5)) -eq 0 ] || exec "$GC" "\$@"
exec 3<&0
"$GC" "\$@" <&3 &
p=\$!
sleep "0.0\$((RANDOM % 5))\$((RANDOM % 10))"
kill -9 \$p 2>/dev/null && echo "kill hook" >>"$w/stats/kills.hook"
wait \$p
HOOK
chmod +x "$w/hook-killer"
git --git-dir="$w/srv/team.git" config chat.hook.program "$w/hook-killer"
for port in $(shuf -i 20000-60000 -n 20); do
	git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$w/srv" \
		--export-all --enable=receive-pack --informative-errors "$w/srv" 2>>"$w/daemon.log" &
	daemon=$!
	sleep 0.5
	kill -0 "$daemon" 2>/dev/null && git ls-remote "git://127.0.0.1:$port/team.git" \
		>/dev/null 2>&1 && break
	kill "$daemon" 2>/dev/null
	daemon=
done
[ -n "$daemon" ] || { echo "soak: cannot start git daemon" >&2; exit 2; }
url=git://127.0.0.1:$port/team.git

for r in 1 2 3; do
	"$GC" init "$w/r$r.git" >/dev/null 2>&1
	git --git-dir="$w/r$r.git" remote add origin "$url"
	git --git-dir="$w/r$r.git" config chat.timeout 10
done
for i in 1 2 3 4 5 6; do
	"$GC" keygen -f "$w/k$i" -C "w$i@soak" >/dev/null 2>&1
done

# A command of writer $i: one in six is killed (SIGKILL) after 0..150 ms,
# if it still runs then. Its stdout goes to $out; its status is returned.
run() {
	local p st
	if [ $((RANDOM % 6)) -ne 0 ]; then
		"$@" >"$out" 2>>"$s.err"
		return
	fi
	"$@" >"$out" 2>>"$s.err" &
	p=$!
	sleep "0.$(printf %03d $((RANDOM % 150)))"
	kill -9 "$p" 2>/dev/null && echo "kill $2" >>"$w/stats/kills.$i"
	wait "$p"
	st=$?
	return $st
}

# one writer: person $1 on replica $2 until the end
writer() {
	local i=$1 r=$2 n=0 s=$w/stats/w$1 out=$w/out.$1 id room text
	export GIT_DIR=$w/r$r.git GIT_AUTHOR_NAME="Writer $i" GIT_AUTHOR_EMAIL="w$i@soak"
	export GIT_COMMITTER_NAME="Writer $i" GIT_COMMITTER_EMAIL="w$i@soak"
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		room=$(shuf -e -n1 $rooms)
		case $((RANDOM % 100)) in
		[0-5][0-9])
			text="w$i message $n $(head -c 9 /dev/urandom | base64)"
			if run "$GC" send --key "$w/k$i" -r "$room" -m "$text"; then
				echo "$(cat "$out") $room" >>"$w/sent.$i"; echo send ok >>"$s"
			else echo "send fail $?" >>"$s"; fi ;;
		6[0-9])
			id=$(shuf -n1 "$w/sent.$i" 2>/dev/null | cut -d' ' -f1)
			[ -n "$id" ] || continue
			if run "$GC" edit --key "$w/k$i" "$id" -m "w$i edit $n"
			then echo edit ok >>"$s"; else echo "edit fail $?" >>"$s"; fi ;;
		7[0-9])
			id=$(cat "$w"/sent.* 2>/dev/null | shuf -n1 | cut -d' ' -f1)
			[ -n "$id" ] || continue
			if run "$GC" react --key "$w/k$i" "$id" "+$((RANDOM % 5))"
			then echo react ok >>"$s"; else echo "react fail $?" >>"$s"; fi ;;
		8[0-9])
			if run "$GC" log -r "$room" -n 5
			then echo log ok >>"$s"; else echo "log fail $?" >>"$s"; fi ;;
		*)
			if run "$GC" sync -q origin
			then echo sync ok >>"$s"; else echo "sync fail $?" >>"$s"; fi ;;
		esac
	done
}

for i in 1 2 3 4 5 6; do
	writer "$i" $(( (i - 1) % 3 + 1 )) &
	wpids="${wpids:-} $!"
done
pids=$wpids

wait $pids 2>/dev/null
pids=

# converge: sync each replica in turn until a full round changes nothing
for round in 1 2 3 4 5; do
	before=$(for r in 1 2 3; do git --git-dir="$w/r$r.git" for-each-ref refs/chat; done | md5sum)
	for r in 1 2 3; do
		GIT_DIR=$w/r$r.git "$GC" sync -q origin >/dev/null 2>>"$w/final.err" ||
			echo "final sync of r$r failed in round $round" >>"$w/final.err"
	done
	after=$(for r in 1 2 3; do git --git-dir="$w/r$r.git" for-each-ref refs/chat; done | md5sum)
	[ "$round" -gt 1 ] && [ "$before" = "$after" ] && break
done

ok=1
for room in $rooms; do
	for r in 1 2 3; do
		GIT_DIR=$w/r$r.git "$GC" log -r "$room" --format=json >"$w/log.$room.$r" 2>>"$w/final.err"
	done
	cmp -s "$w/log.$room.1" "$w/log.$room.2" && cmp -s "$w/log.$room.1" "$w/log.$room.3" ||
		{ echo "NOT CONVERGED: room $room differs between replicas"; ok=0; }
done
for r in 1 2 3; do
	git --git-dir="$w/r$r.git" fsck --strict >/dev/null 2>"$w/fsck.$r" ||
		{ echo "FSCK FAILED on r$r: $(head -3 "$w/fsck.$r")"; ok=0; }
	GIT_DIR=$w/r$r.git "$GC" verify >/dev/null 2>"$w/verify.$r" ||
		{ echo "VERIFY FAILED on r$r: $(head -3 "$w/verify.$r")"; ok=0; }
done
git --git-dir="$w/srv/team.git" fsck --strict >/dev/null 2>&1 || { echo "FSCK FAILED on the server"; ok=0; }
lost=0
cat "$w"/sent.* 2>/dev/null | while read -r id room; do
	grep -q "\"id\":\"$id\"" "$w/log.$room.1" || echo "$id"
done >"$w/lost"
lost=$(wc -l <"$w/lost")
[ "$lost" -eq 0 ] || { echo "LOST: $lost reported messages missing"; ok=0; }

count() { cat "$w"/stats/w? 2>/dev/null | grep -c "^$1" || true; }
echo "soak: $dur s, 6 writers on 3 replicas, git daemon with the hook ($w)"
echo "  sends ok $(count 'send ok'), failed $(count 'send fail')"
echo "  edits ok $(count 'edit ok'), failed $(count 'edit fail')"
echo "  reactions ok $(count 'react ok'), failed $(count 'react fail')"
echo "  syncs ok $(count 'sync ok'), failed $(count 'sync fail')"
echo "  logs ok $(count 'log ok'), failed $(count 'log fail')"
echo "  kills: $(cat "$w"/stats/kills.* 2>/dev/null | sort | uniq -c | awk '{printf "%s %s, ", $3, $1}')total $(cat "$w"/stats/kills.* 2>/dev/null | wc -l)"
for room in $rooms; do
	echo "  room $room: $(wc -l <"$w/log.$room.1") entries on every replica"
done
echo "  lost reported messages: $lost"
if [ "$ok" = 1 ]; then
	echo "  CONVERGED: byte-identical log --format=json on the 3 replicas; fsck --strict and verify clean"
	exit 0
fi
echo "  errors: $w/final.err, $w/stats/*.err"
exit 1
