#!/bin/sh
# A real conversation: two identities, two stores, one bare repository
# standing in for a server. Installs the dependencies, builds git-chat, then
# runs Alice and Bob through keygen, send, sync, log, and a
# stock `git verify-commit` of one message.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
.ci/install-deps
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGITCHAT_TESTS=OFF >/dev/null
cmake --build build-demo -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
chat="$top/build-demo/git-chat"

work=$(mktemp -d "${TMPDIR:-/tmp}/git-chat-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$work/home"
mkdir -p "$HOME"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }
as() { # as WHO NAME -- git-chat args...: WHO's key, store and email
	who=$1 name=$2; shift 3
	GIT_DIR="$work/$who.git" GIT_CHAT_KEY="$work/$who.key" GIT_AUTHOR_NAME="$name" \
		GIT_AUTHOR_EMAIL="$who@example.org" "$chat" "$@"
}

say "git chat init server.git   # a bare repository standing in for a server"
"$chat" init "$work/server.git"
for who in alice bob; do
	say "git chat keygen -f $who.key && git chat init $who.git"
	"$chat" keygen -f "$work/$who.key" -C "$who@example.org" >/dev/null
	"$chat" init "$work/$who.git"
	git --git-dir="$work/$who.git" remote add origin "$work/server.git"
done

sync() { # sync WHO: verify and fast-forward what the server has, push what it lacks
	say "$1: git chat sync origin"
	GIT_DIR="$work/$1.git" "$chat" sync origin
}

say "alice: git chat send -m 'Hi Bob — is the **build** green?'"
as alice Alice -- send -m 'Hi Bob — is the **build** green?' >/dev/null
sync alice
sync bob
say "bob: git chat send -m 'Green since this morning. Shipping at 5.'"
as bob Bob -- send -m 'Green since this morning. Shipping at 5.' >/dev/null
sync bob
sync alice
say "alice: git chat send -m 'Great, thanks!'"
last=$(as alice Alice -- send -m 'Great, thanks!')
sync alice
sync bob

say "bob: git chat log"
GIT_DIR="$work/bob.git" "$chat" log
say "git chat allowed-signers > signers && git verify-commit $last"
GIT_DIR="$work/bob.git" "$chat" allowed-signers > "$work/signers"
git --git-dir="$work/bob.git" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$work/signers" \
	verify-commit "$last"
say "git chat verify"
GIT_DIR="$work/bob.git" "$chat" verify
