/*
 * Internal: copying what one repository lacks of the objects reachable
 * from some commits of another (both on local paths), as one new pack and
 * its index written directly (pack.c says why not libgit2's packbuilder).
 * Knows nothing of remotes or results: progress goes to a callback.
 */
#ifndef GITCHAT_SYNC_PACK_H
#define GITCHAT_SYNC_PACK_H

#include <git2.h>
#include "gitchat/sync.h"

/* Non-zero from the callback cancels the copy. */
typedef int (*sync_pack_progress_fn)(const gitchat_sync_progress *p, void *payload);

typedef struct {
	gitchat_sync_direction dir;     /* for the progress reports */
	const char *where;              /* the other repository, for errors */
	sync_pack_progress_fn progress_cb;
	void *payload;
} sync_pack_how;

/* Copies into `to` the objects of `tips` (and their history) that `to`
 * lacks, reading them from `from`; no pack when nothing is missing. */
int sync_pack_copy(git_repository *from, git_repository *to, const git_oid *tips, size_t n,
                   const sync_pack_how *how);

#endif
