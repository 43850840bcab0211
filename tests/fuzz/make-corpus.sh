#!/bin/sh
# Makes the fuzz harnesses' seed corpus (tests/fuzz/corpus/<target>/) with
# the real programs: git-chat (a room with two authors, replies, edits,
# reactions, a hook push), git, ssh-keygen and stock age. The corpus is in
# the tree; run this again only when a format changes, and commit the result.
# Usage: tests/fuzz/make-corpus.sh BUILD_DIR    (a build with git-chat in it)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "$1" && pwd)/git-chat
out=$top/tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" GIT_CONFIG_NOSYSTEM=1 TZ=UTC
mkdir -p "$HOME"
git config --global user.name 'Ada Lovelace'
git config --global user.email ada@example.org

put() { # target name: stdin to corpus/target/name
	mkdir -p "$out/$1"
	cat > "$out/$1/$2"
}
flagged() { # target name flagbyte file: the harness's flags byte, then the file
	{ printf "\\$(printf %03o "$3")"; cat "$4"; } | put "$1" "$2"
}

# ---- keys and a room --------------------------------------------------
"$bin" keygen -f "$tmp/ada" >/dev/null 2>&1
ssh-keygen -q -t ed25519 -N '' -C bob@example.org -f "$tmp/bob"
"$bin" init "$tmp/store.git" >/dev/null
export GIT_DIR="$tmp/store.git"
m1=$("$bin" send --key "$tmp/ada" -r general -m 'Hello, *world*: see <https://example.org>.')
m2=$(GIT_AUTHOR_NAME=Bob GIT_COMMITTER_NAME=Bob "$bin" send --key "$tmp/bob" -r general \
	--reply "$m1" -m '# Heading

- a list with `code` and [a link](http://example.org "title")
- ![an image](https://example.org/i.png) <b>raw html</b>

> a quote

```c
int main(void) { return 0; }
```')
m3=$("$bin" edit --key "$tmp/ada" -r general "$m1" 'Hello, **everyone**.')
m4=$("$bin" react --key "$tmp/bob" -r general "$m1" '👍')
m5=$("$bin" send --key "$tmp/ada" -r general -m 'second paragraph

日本語 and emoji 🎉, a tab	and a bell')
"$bin" log -r general >/dev/null

# ---- commit, sshsig, armor ----------------------------------------------
for m in "$m1" "$m2" "$m3" "$m4" "$m5"; do
	git cat-file commit "$m" | put commit "$m"
done
# The signature (gpgsig unfolded), a NUL, the signed payload.
for m in "$m1" "$m2"; do
	git cat-file commit "$m" > "$tmp/c"
	python3 - "$tmp/c" "$tmp/sig" <<'PY'
import sys
raw = open(sys.argv[1], 'rb').read()
head, _, body = raw.partition(b'\n\n')
lines, sig, payload, insig = head.split(b'\n'), [], [], False
for l in lines:
    if l.startswith(b'gpgsig '):
        insig = True; sig.append(l[7:]); continue
    if insig and l.startswith(b' '):
        sig.append(l[1:]); continue
    insig = False; payload.append(l)
open(sys.argv[2], 'wb').write(b'\n'.join(sig) + b'\n\0' + b'\n'.join(payload) + b'\n\n' + body)
PY
	put sshsig "$m" < "$tmp/sig"
done
printf 'a file signed by ssh-keygen\n' > "$tmp/data"
ssh-keygen -q -Y sign -n git -f "$tmp/bob" "$tmp/data"
{ cat "$tmp/data.sig"; printf '\0'; cat "$tmp/data"; } | put sshsig ssh-keygen
flagged armor signature-exact 2 "$tmp/data.sig"     # SSH SIGNATURE, exact
flagged armor key-lenient 1 "$tmp/ada"              # OPENSSH PRIVATE KEY, lenient
flagged armor key-secret 5 "$tmp/bob"               # lenient, secret

# ---- keys ---------------------------------------------------------------
put key git-chat-keygen < "$tmp/ada"
put key ssh-keygen < "$tmp/bob"
put pubkey git-chat-keygen < "$tmp/ada.pub"
put pubkey ssh-keygen < "$tmp/bob.pub"
git for-each-ref --format='%(refname)' refs/chat/general | head -1 | sed 's,.*/,,' | put pubkey hex

# ---- known_hosts (the harness's host key: tests/fuzz/fuzz_knownhosts.c) --
hk="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINrUbz22TG3neaSodKoh/hLDn6KYZ0p6+Jhs7fkNTADM"
printf 'example.org %s fuzz-host\n' "$hk" > "$tmp/kh"
printf '[127.0.0.1]:2222 %s\n' "$hk" >> "$tmp/kh"
put knownhosts plain < "$tmp/kh"
cp "$tmp/kh" "$tmp/kh2"
ssh-keygen -q -H -f "$tmp/kh2" >/dev/null 2>&1
put knownhosts hashed < "$tmp/kh2"
printf '# comment\n*.example.org,!bad.example.org %s\n@revoked example.org %s\n@cert-authority * %s\nexample.org ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ==\n' \
	"$hk" "$hk" "$hk" | put knownhosts patterns

# ---- local state: order index, message cache, verification cache, ancestors
ix="$GIT_DIR/chat/index/general"
flagged index general 1 "$ix"
flagged index general-nofix 0 "$ix"
for f in "$GIT_DIR"/chat/index/general.text-*; do
	flagged textcache general 1 "$f"
	# its first block's records as the writer lays them out before
	# compressing (flag 4: the harness compresses them)
	python3 - "$f" <<'PY' | put textcache records
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
zlen, raw, first, count = struct.unpack_from("<4I", d, 32 + 8)
sys.stdout.buffer.write(bytes([4]) + struct.pack("<H", count) + zlib.decompress(d[56:56 + zlen]))
PY
done
put vcache general < "$GIT_DIR/chat/verified/general"
# a private room of ada and bob (bob removed): its membership cache, and
# the head file a send rewrites
priv=$(GIT_CHAT_KEY="$tmp/ada" "$bin" room create --private --title 'Plans' --member "$tmp/bob.pub")
GIT_CHAT_KEY="$tmp/ada" "$bin" send -r "$priv" -m 'inside' >/dev/null
GIT_CHAT_KEY="$tmp/ada" "$bin" member remove -r "$priv" "$tmp/bob.pub" >/dev/null
GIT_CHAT_KEY="$tmp/ada" "$bin" log -r "$priv" >/dev/null
flagged members_cache private 1 "$GIT_DIR/chat/index/$priv+members"
flagged members_cache private-nofix 0 "$GIT_DIR/chat/index/$priv+members"
GIT_CHAT_KEY="$tmp/ada" "$bin" send -r "$priv" -m 'after' >/dev/null
flagged members_cache head 1 "$GIT_DIR/chat/index/$priv+members-head"
# the reader's sealed cache: a real one (its blocks under ada's epoch key,
# so the harness's key opens none: checks and AEAD), and one the harness
# seals itself (flag 1: each block's bytes are its plaintext and 16 bytes
# for the tag) and records it writes (flag 2)
for f in "$GIT_DIR/chat/index/$priv+sealed-"*; do
	flagged keycache real-nofix 0 "$f"
done
python3 - > "$tmp/sealed" <<'PY'
import struct, sys
def block(items):
    head, body = struct.pack('<I', len(items)), b''
    for oid, sealed, text in items:
        head += oid + struct.pack('<II', sealed, len(text))
        body += text
    return head + body + b'\0' * 16
epochs = [b'age1kw0vu6nu3tjhqrh4ycu80clchsksl7fdrgm83kyj72l6qkcql5pqjsv5s5', b'age1second']
msgs = [(bytes([0x10] * 20), 0, 0, b'chat-kind text\n\nhello, inside\n'),
        (bytes([0x20] * 20), 0, 1, b'chat-file 1 5 a.txt\n\nwith a file\n'),
        (bytes([0x05] * 20), 1, 0, b'chat-title Plans\n\n'),
        (bytes([0x30] * 20), 1, 0, b'')]
groups = {}
for oid, ep, sealed, text in msgs:
    groups.setdefault(ep, []).append((oid, sealed, text))
bl = [(ep, block(items), items) for ep, items in sorted(groups.items())]
recs = sorted((oid, b, slot) for b, (_, _, items) in enumerate(bl)
              for slot, (oid, _, _) in enumerate(items))
start = 32 + 112 * len(bl) + 28 * len(recs)
out = b'GCSEAL1\n' + struct.pack('<IIIIQ', 1, len(bl), len(recs), 0,
                                 start + sum(len(d) for _, d, _ in bl))
off = start
for ep, data, items in bl:
    out += epochs[ep].ljust(64, b'\0') + bytes(range(24))
    out += struct.pack('<IIQQ', len(items), len(data), off, 0)
    off += len(data)
for oid, b, slot in recs:
    out += oid + struct.pack('<II', b, slot)
sys.stdout.buffer.write(out + b''.join(d for _, d, _ in bl))
PY
flagged keycache resealed 1 "$tmp/sealed"
flagged keycache resealed-nofix 0 "$tmp/sealed"
{ printf '\002'; printf 'AAAAAAAAAAAAAAAAAAAA\000\005hello'; printf 'BBBBBBBBBBBBBBBBBBBB\004\003abc'
  printf 'CCCCCCCCCCCCCCCCCCCC\002\000'; } | put keycache records
for f in "$GIT_DIR"/chat/ancestors/general/*; do
	put ancestors "$(basename "$f" | cut -c1-16)" < "$f"
done
# The tail: one more message after the index was written, read again.
"$bin" send --key "$tmp/ada" -r general -m 'one more, appended to the tail' >/dev/null
"$bin" log -r general -n 1 >/dev/null
if [ -f "$ix+tail" ]; then
	flagged tail appended 1 "$ix+tail"
	flagged tail appended-nofix 0 "$ix+tail"
fi

# ---- pre-receive lines: what git gives the hook for a push --------------
zero=0000000000000000000000000000000000000000
git for-each-ref --format="$zero %(objectname) %(refname)" refs/chat/ | put hook create
git for-each-ref --format="%(objectname) $zero %(refname)" refs/chat/ | put hook delete
printf '%s %s refs/heads/main\n' "$zero" "$m1" | put hook other-ref

# ---- renderers: flags, width, name, email, text, reply name, reply text, emoji
for m in "$m1" "$m2" "$m5"; do
	git cat-file commit "$m" > "$tmp/c"
	for t in render_text render_json render_html; do
		{ printf '\001\110Ada Lovelace\000ada@example.org\000'
		  sed '1,/^$/d' "$tmp/c"
		  printf '\000Bob\000the *message* replied to\000👍\000🎉'; } | put $t "$m"
	done
done
printf '\000\000<script>alert(1)</script>\000x@y\000[a](javascript:alert(1)) [b](data:text/html,x) <img src=x onerror=alert(1)> [c](jav&#x61;script:x)\000\000\000' |
	tee "$tmp/hostile" | put render_html hostile
put render_text hostile < "$tmp/hostile"
put render_json hostile < "$tmp/hostile"

# ---- age: files from stock age, to the harness's identities (age_ids.h) --
ids="$top/tests/fuzz/age_ids.h"
x25519=$(sed -n 's/.*FZ_AGE_X25519_RECIPIENT "\(.*\)"/\1/p' "$ids")
ssh=$(sed -n '/FZ_AGE_SSH_RECIPIENT/{n;s/^[[:space:]]*"\(.*\)"/\1/p}' "$ids")
secret=$(sed -n 's/.*FZ_AGE_X25519 "\(.*\)"/\1/p' "$ids")
printf 'a secret message\n' > "$tmp/plain"
age -r "$x25519" -o "$tmp/a1" "$tmp/plain"
age -r "$ssh" -o "$tmp/a2" "$tmp/plain"
age -a -r "$x25519" -r "$ssh" -o "$tmp/a3" "$tmp/plain"
head -c 70000 /dev/zero | age -r "$x25519" -o "$tmp/a4"     # two chunks
printf '%s\n' "$secret" | age -r "$x25519" -o "$tmp/a5"      # sealed identities
put age_decrypt x25519 < "$tmp/a1"
put age_decrypt ssh-ed25519 < "$tmp/a2"
put age_decrypt armored < "$tmp/a3"
put age_decrypt two-chunks < "$tmp/a4"
put age_decrypt identities < "$tmp/a5"
put age_header x25519 < "$tmp/a1"
put age_header ssh-ed25519 < "$tmp/a2"
put age_armor two-recipients < "$tmp/a3"
head -c 3000 /dev/zero | age -a -r "$x25519" -o "$tmp/a6"
put age_armor long < "$tmp/a6"
printf '%s' "$secret" | put age_keys identity
printf '%s' "$x25519" | put age_keys recipient
printf '%s' "$ssh" | put age_keys ssh-recipient
echo "corpus written to $out"
