#!/bin/sh
# Benchmark of the pre-receive hook: is a push of NEW messages checked in
# about the time of NEW signature verifications, whatever the size of the
# room? Measured in one run:
#   sigs    NEW gitchat_sshsig_verify calls (C loop, payloads signed before)
#   hook    the time of 'git chat hook pre-receive' inside a stock git push
#           of NEW new messages onto a room that already holds BASE
#   push    that push through the hooked repository, and the same push
#           into an identical repository without the hook (stock git alone)
#   room    'git chat verify' of the whole room (BASE + NEW) on the server,
#           what the hook would cost if it verified the history
#
# usage: tests/bench/bench_hook.sh [BUILD-DIR]   (default: build)
#        BASE=100000 NEW=10000 AUTHORS=10 tests/bench/bench_hook.sh build
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
BASE=${BASE:-100000}
NEW=${NEW:-10000}
AUTHORS=${AUTHORS:-10}
chat=$build/git-chat
gen=$build/tests/bench_hook
[ -x "$chat" ] && [ -x "$gen" ] || {
	echo "build first: cmake -S . -B build && make -C build (missing $chat or $gen)" >&2
	exit 1
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-hook-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME" "$tmp/keys"

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
stamp() { date +%s.%N; }

echo "room: $BASE messages by $AUTHORS authors; push: $NEW new messages" >&2
git init -q --bare "$tmp/base.git"
"$gen" gen "$tmp/base.git" general "$AUTHORS" "$BASE" "$tmp/keys"
# The server, with the hook (its time recorded by a wrapper), and the same
# server without it; both with the receive.* options of init --server.
git clone -q --mirror "$tmp/base.git" "$tmp/hooked.git"
git clone -q --mirror "$tmp/base.git" "$tmp/plain.git"
"$chat" init --server "$tmp/hooked.git" 2>/dev/null
for opt in denyNonFastForwards denyDeletes fsckObjects; do
	git -C "$tmp/plain.git" config "receive.$opt" true
done
cat > "$tmp/timed-git-chat" <<WRAP
#!/bin/sh
s=\$(date +%s.%N)
"$chat" "\$@"
rc=\$?
echo "\$s \$(date +%s.%N)" > "$tmp/hook-time"
exit \$rc
WRAP
chmod +x "$tmp/timed-git-chat"
git -C "$tmp/hooked.git" config chat.hook.program "$tmp/timed-git-chat"
# The client: the room as the server has it, plus NEW messages.
git clone -q --mirror "$tmp/base.git" "$tmp/client.git"
"$gen" gen "$tmp/client.git" general "$AUTHORS" "$NEW" "$tmp/keys"

sigs=$("$gen" sigs "$NEW")

s=$(stamp)
git --git-dir="$tmp/client.git" push -q "$tmp/plain.git" 'refs/chat/*:refs/chat/*'
plain=$(elapsed "$s" "$(stamp)")

s=$(stamp)
git --git-dir="$tmp/client.git" push -q "$tmp/hooked.git" 'refs/chat/*:refs/chat/*' 2>"$tmp/push.err" || {
	cat "$tmp/push.err" >&2
	exit 1
}
hooked=$(elapsed "$s" "$(stamp)")
read hs he < "$tmp/hook-time"
hook=$(elapsed "$hs" "$he")
[ "$(git --git-dir="$tmp/hooked.git" for-each-ref refs/chat)" = \
  "$(git --git-dir="$tmp/client.git" for-each-ref refs/chat)" ] || {
	echo "the hooked push did not land" >&2
	exit 1
}

s=$(stamp)
GIT_DIR="$tmp/hooked.git" "$chat" verify 2>/dev/null
room=$(elapsed "$s" "$(stamp)")

awk -v sigs="$sigs" -v hook="$hook" -v plain="$plain" -v hooked="$hooked" -v room="$room" \
    -v new="$NEW" -v base="$BASE" 'BEGIN {
	printf "verify %d signatures (C loop):         %8.3f s\n", new, sigs
	printf "hook on a push of %d new messages:     %8.3f s   (%.2f x the signatures)\n", new, hook, hook / sigs
	printf "push without hook (stock git alone):   %8.3f s\n", plain
	printf "push with hook:                        %8.3f s   (%.2f x stock git)\n", hooked, hooked / plain
	printf "verify the whole room (%d messages): %8.3f s   (%.1f x the hook)\n", base + new, room, room / hook
}'
