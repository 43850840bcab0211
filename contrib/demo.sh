#!/bin/sh
# A real conversation: two identities, two stores, one bare repository
# standing in for a server. Installs the dependencies, builds git-chat, then
# runs Alice and Bob through keygen, send, sync, log, and a
# stock `git verify-commit` of one message. Each step is told on stderr.
# DEMO_GIT_CHAT=/path/to/git-chat skips the install and the build.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
step() { printf '%s\n' "$*" >&2; }
if [ -n "${DEMO_GIT_CHAT:-}" ]; then
	chat=$DEMO_GIT_CHAT
	step "using $chat (no install, no build)"
else
	step "installing packages (.ci/install-deps; nothing to do when they are there)..."
	.ci/install-deps
	step "configuring the build in build-demo..."
	cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGITCHAT_TESTS=OFF >/dev/null
	step "building git-chat (a minute or two the first time)..."
	cmake --build build-demo -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
	chat="$top/build-demo/git-chat"
fi

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

step "creating a bare repository that stands in for a server..."
say "git chat init server.git   # a bare repository standing in for a server"
"$chat" init "$work/server.git"
for who in alice bob; do
	step "creating $who's key and store..."
	say "git chat keygen -f $who.key && git chat init $who.git"
	"$chat" keygen -f "$work/$who.key" -C "$who@example.org" >/dev/null
	"$chat" init "$work/$who.git"
	git --git-dir="$work/$who.git" remote add origin "$work/server.git"
done

sync() { # sync WHO Name: verify and fast-forward what the server has, push what it lacks
	step "$2 syncs with the server..."
	say "$1: git chat sync origin"
	GIT_DIR="$work/$1.git" "$chat" sync origin
}

step "Alice sends a message..."
say "alice: git chat send -m 'Hi Bob — is the **build** green?'"
as alice Alice -- send -m 'Hi Bob — is the **build** green?' >/dev/null
sync alice Alice
sync bob Bob
step "Bob answers..."
say "bob: git chat send -m 'Green since this morning. Shipping at 5.'"
as bob Bob -- send -m 'Green since this morning. Shipping at 5.' >/dev/null
sync bob Bob
sync alice Alice
step "Alice sends a message..."
say "alice: git chat send -m 'Great, thanks!'"
last=$(as alice Alice -- send -m 'Great, thanks!')
sync alice Alice
sync bob Bob

step "Bob reads the conversation..."
say "bob: git chat log"
GIT_DIR="$work/bob.git" "$chat" log
step "stock git checks the signature of Alice's last message..."
say "git chat allowed-signers > signers && git verify-commit $last"
GIT_DIR="$work/bob.git" "$chat" allowed-signers > "$work/signers"
git --git-dir="$work/bob.git" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$work/signers" \
	verify-commit "$last"
step "Bob verifies every log of his store..."
say "git chat verify"
GIT_DIR="$work/bob.git" "$chat" verify
step "done."
