#!/bin/sh
# The layer check must catch what it is for: on a copy of the sources, an
# include that points up (util including render) and one of another
# module's internals (store including crypto/key_internal.h) each give a
# line and a failure; the untouched copy passes.
set -u
top=${1:?usage: layers_selftest.sh SOURCE_DIR}
check="$top/tests/lint/layers.sh"
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src" "$tmp/include"
cp -R "$top/src/lib" "$top/src/cli" "$tmp/src/" && cp -R "$top/include/gitchat" "$tmp/include/" || exit 2

sh "$check" "$tmp" >"$tmp/out" 2>&1 || { echo "the clean copy fails:"; cat "$tmp/out"; exit 1; }
printf '#include "gitchat/render.h"\n' >>"$tmp/src/lib/util/buf.c"
printf '#include "crypto/key_internal.h"\n' >>"$tmp/src/lib/store/refs.c"
if sh "$check" "$tmp" >"$tmp/out" 2>&1; then
	echo "the layer check passed a reversed include:"; cat "$tmp/out"; exit 1
fi
cat "$tmp/out"
grep -q '^src/lib/util/buf.c:[0-9]*: util includes gitchat/render.h, but render is above util' "$tmp/out" &&
grep -q '^src/lib/store/refs.c:[0-9]*: store includes the internals of crypto' "$tmp/out" ||
	{ echo "the layer check did not name both includes"; exit 1; }
