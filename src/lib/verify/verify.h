/*
 * Internal: gitchat_verify_ref_update for a caller that holds the new
 * commit's object bytes (send, which just wrote them). The bytes are hashed
 * and must give `new_id`, so they stand for the stored object and are not
 * read back; everything else is the public function's check (which is
 * this one without bytes: the commit is then read once). `flush`: 0 leaves the verification cache's new
 * records to the caller's batched gitchat_verify_cache_flush_some.
 */
#ifndef GITCHAT_VERIFY_VERIFY_H
#define GITCHAT_VERIFY_VERIFY_H

#include "gitchat/verify.h"

int gitchat_verify_ref_update_bytes(gitchat_store *store, const char *refname,
                                    const git_oid *old, const git_oid *new_id,
                                    const char *bytes, size_t len, git_oid *bad, int flush);

/* Told of each commit a walk finds valid that was not known to be valid
 * before (the verification cache did not have it), after its parents:
 * its id, its parents and its kind (gitchat_message_kind). A negative
 * return stops the walk with that error. Sync counts the messages a fetch
 * brought with these (sync/accept.c), instead of walking them again. */
typedef struct {
	int (*cb)(const git_oid *id, const git_oid *parents, size_t nparents, unsigned kind,
	          void *payload);
	void *payload;
} gitchat_verify_seen;

/* gitchat_verify_ref_update for sync, which walks the same new commits
 * with libgit2 right after (its ancestry checks): they are read through
 * libgit2's object cache (gitchat_commit_read_cached, message/objects.h),
 * so each is inflated once. The checks are the same. `seen` may be NULL. */
int gitchat_verify_ref_update_cached(gitchat_store *store, const char *refname,
                                     const git_oid *old, const git_oid *new_id, git_oid *bad,
                                     const gitchat_verify_seen *seen);

#endif
