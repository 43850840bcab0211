#!/bin/sh
# A store on a full filesystem, then on a read-only one (issue 14). Runs
# itself in a new mount namespace (unshare -m, as root: what the sshd tests
# use) with a small tmpfs, so that nothing outside the test is touched.
#
#   full:      send until the disk is full: a clear error, nothing reported
#              lost, fsck and verify clean, log and verify still work; when
#              space returns, send, log and sync work again.
#   read-only: every write (send, sync, react) fails with a clear error;
#              log, verify, rooms still work.
#
# usage: tests/faults/disk.sh [BUILD_DIR]   exit 0 ok, 1 failures, 77 skipped
set -u
build=${1:-build}
GC=$(cd "$build" && pwd)/git-chat
if [ -z "${DISK_SH_INSIDE:-}" ]; then
	DISK_SH_INSIDE=1 exec unshare -m sh "$0" "$@" ||
		{ echo "disk.sh: unshare -m is not allowed here: skipped"; exit 77; }
fi
w=$(mktemp -d "${TMPDIR:-/tmp}/gitchat-disk.XXXXXX")
mnt=$w/mnt
mkdir -p "$mnt" "$w/home"
export HOME=$w/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Disk GIT_AUTHOR_EMAIL=d@example.org
export GIT_COMMITTER_NAME=Disk GIT_COMMITTER_EMAIL=d@example.org
mount --make-rprivate / 2>/dev/null
mount -t tmpfs -o size=2m tmpfs "$mnt" || { echo "disk.sh: cannot mount a tmpfs: skipped"; exit 77; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
s=$mnt/store.git
"$GC" keygen >/dev/null 2>&1
"$GC" init "$s" >/dev/null 2>&1 || { echo "disk.sh: init failed"; exit 1; }
"$GC" init "$w/peer.git" >/dev/null 2>&1
export GIT_DIR=$s
: >"$w/sent"
"$GC" send -r general -m "first" >>"$w/sent" 2>/dev/null || fail "the first send failed"

checks() {   # $1: what state
	git fsck --strict >/dev/null 2>"$w/fsck.err" || fail "$1: fsck: $(head -c 300 "$w/fsck.err")"
	"$GC" verify >/dev/null 2>"$w/verify.err" || fail "$1: verify: $(head -c 300 "$w/verify.err")"
	"$GC" log -r general --format=json --no-mark-read >"$w/log" 2>"$w/log.err" ||
		fail "$1: log: $(head -c 300 "$w/log.err")"
	while read -r id; do
		grep -q "\"id\":\"$id\"" "$w/log" || fail "$1: message $id, reported sent, is not in the log"
	done <"$w/sent"
}

# --- full --------------------------------------------------------------
dd if=/dev/zero of="$mnt/filler" bs=4096 2>/dev/null
rm -f "$mnt/filler"
# leave about 40 KB
dd if=/dev/zero of="$mnt/filler" bs=4096 count=$(( $(df -k --output=avail "$mnt" | tail -1) / 4 - 10 )) 2>/dev/null
n=0 full=0
while [ $n -lt 200 ]; do
	n=$((n + 1))
	if "$GC" send -r general -m "message $n $(head -c 600 /dev/urandom | base64 -w0)" >>"$w/sent" 2>"$w/send.err"; then
		continue
	fi
	full=1
	break
done
[ "$full" = 1 ] || fail "the disk never filled"
err=$(cat "$w/send.err")
echo "full disk, after $((n - 1)) sends: $err"
case $err in
*"No space left on device"*|*"disk is full"*|*"no space"*) ;;
*) fail "the error does not say the disk is full: $err" ;;
esac
case $err in
*"free some space"*|*"free space"*) ;;
*) fail "the error does not say what to do: $err" ;;
esac
"$GC" send -r general -m "again, still full" >>"$w/sent" 2>/dev/null && echo "(a second send fitted)"
checks "full"
rm -rf "$s/chat"   # the caches rebuilt on a full disk: log still answers
"$GC" log -r general --format=json --no-mark-read >"$w/log2" 2>"$w/log2.err" ||
	fail "log without its caches on a full disk: $(cat "$w/log2.err")"
cmp -s "$w/log" "$w/log2" || fail "log on a full disk shows something else"
rm -f "$mnt/filler"
"$GC" send -r general -m "space is back" >>"$w/sent" 2>"$w/send.err" ||
	fail "send after space returned: $(cat "$w/send.err")"
"$GC" sync -q "$w/peer.git" >/dev/null 2>"$w/sync.err" || fail "sync after space returned: $(cat "$w/sync.err")"
checks "space back"
[ "$(GIT_DIR=$w/peer.git git for-each-ref refs/chat | wc -l)" = 1 ] || fail "the peer lacks the log"

# --- read-only -----------------------------------------------------------
"$GC" log -r general >/dev/null 2>&1   # warm caches, then freeze
mount -o remount,ro "$mnt" || { echo "disk.sh: cannot remount read-only"; exit 1; }
rm -rf "$w/expect"
if "$GC" send -r general -m "on a read-only store" >/dev/null 2>"$w/ro.err"; then
	fail "send on a read-only store succeeded"
fi
echo "read-only send: $(cat "$w/ro.err")"
case $(cat "$w/ro.err") in
*"read-only"*|*"Read-only"*) ;;
*) fail "the send error does not say the store is read-only: $(cat "$w/ro.err")" ;;
esac
GIT_DIR=$w/peer.git "$GC" send -r general -m "from the peer" >/dev/null 2>&1
"$GC" sync -q "$w/peer.git" >/dev/null 2>"$w/ro-sync.err" && fail "sync into a read-only store succeeded"
echo "read-only sync: $(cat "$w/ro-sync.err")"
grep -q "mounted read-write" "$w/ro-sync.err" || fail "the sync error does not say what to do"
id=$(head -1 "$w/sent")
"$GC" react "$id" "+1" >/dev/null 2>"$w/ro-react.err" && fail "react on a read-only store succeeded"
"$GC" log -r general --format=json --no-mark-read >"$w/ro-log" 2>"$w/ro-log.err" ||
	fail "log on a read-only store: $(cat "$w/ro-log.err")"
"$GC" log -r general >/dev/null 2>"$w/ro-log.err" ||
	fail "log (marking read) on a read-only store: $(cat "$w/ro-log.err")"
"$GC" verify >/dev/null 2>"$w/ro-verify.err" || fail "verify on a read-only store: $(cat "$w/ro-verify.err")"
"$GC" rooms >/dev/null 2>"$w/ro-rooms.err" || fail "rooms on a read-only store: $(cat "$w/ro-rooms.err")"
git fsck --strict >/dev/null 2>&1 || fail "fsck on the read-only store"
mount -o remount,rw "$mnt"
"$GC" send -r general -m "writable again" >/dev/null 2>&1 || fail "send once writable again"

umount "$mnt"
if [ "$failures" = 0 ]; then
	rm -rf "$w"
	echo "disk.sh: ok"
	exit 0
fi
echo "disk.sh: $failures failures (in $w)"
exit 1
