/*
 * Internal: the "other parents" of a new message (DESIGN.md): the heads of
 * other logs in the room, local and remote copies, that are valid and not
 * already ancestors of the new commit; at most 16, newest first. A remote
 * copy of our own log that forked from ours is such a head too, which is
 * how the next message heals a fork.
 */
#ifndef GITCHAT_MESSAGE_PARENTS_H
#define GITCHAT_MESSAGE_PARENTS_H

#include <git2.h>
#include "gitchat/store.h"

typedef struct {
	git_oid *ids;
	size_t count;
} gitchat_parents;

int gitchat_parents_choose(gitchat_parents *out, gitchat_store *store, const char *room,
                           const char *own_ref, const git_oid *own_head);
void gitchat_parents_dispose(gitchat_parents *p);

#endif
