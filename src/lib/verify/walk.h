/*
 * Internal: the walk behind every verification (verify.c): from a commit
 * down its ancestors that the verification cache does not know, each
 * commit checked on its own, then decided after its parents (invalid on
 * its own, for an invalid parent, else valid), into the cache.
 */
#ifndef GITCHAT_VERIFY_WALK_H
#define GITCHAT_VERIFY_WALK_H

#include "gitchat/store.h"
#include "util/buf.h"
#include "verify/verify.h"

/* What the walk learns about the commit it was asked about, so that
 * gitchat_verify_ref_update reads and parses it once: its bytes when the
 * caller has them (id checked), its signer and first parent when parsed. */
typedef struct {
	const char *bytes;
	size_t len;
	int parsed;
	gitchat_pubkey signer;
	int has_parent;
	git_oid first_parent;
} verify_top;

/* How a walk goes. `flush`: write the cache's new records now (the
 * public functions) or leave them to the caller's batches; `cached`:
 * verify_read_commit's; `seen`: sync's (verify.h). */
typedef struct {
	int flush;
	int cached;
	const gitchat_verify_seen *seen;
} verify_walk_opts;

/* Reads a commit: through libgit2's object cache when `cached` (sync's
 * walks, message/objects.h), else past it. */
int verify_read_commit(gitchat_buf *raw, gitchat_store *store, const git_oid *id, int cached);

/* 0 when `id` is valid in `room`; GITCHAT_EVERIFY with the reason, and
 * *bad the culprit (itself or an ancestor), when not; fills `top` (may
 * be NULL) with what it learns of `id`. */
int verify_walk(gitchat_store *store, const git_oid *id, const char *room, git_oid *bad,
                verify_top *top, const verify_walk_opts *o);

#endif
