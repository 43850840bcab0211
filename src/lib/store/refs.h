/*
 * Internal: the chat ref namespace.
 *
 *   refs/chat/<room>/<key>                    our verified copy of a log
 *   refs/chat-remotes/<remote>/<room>/<key>   a remote's verified copy (forks)
 */
#ifndef GITCHAT_STORE_REFS_H
#define GITCHAT_STORE_REFS_H

#include <git2.h>
#include "gitchat/key.h"
#include "gitchat/store.h"

#define GITCHAT_REFS_PREFIX "refs/chat/"
#define GITCHAT_REMOTES_PREFIX "refs/chat-remotes/"

/* gitchat_chatref and gitchat_chatref_parse are public (gitchat/store.h). */

int gitchat_chatref_format(gitchat_buf *out, const char *remote, const char *room,
                           const gitchat_pubkey *key);

typedef struct {
	char *refname;
	git_oid id;
	gitchat_chatref ref;
} gitchat_tip;

typedef struct {
	gitchat_tip *tips;
	size_t count;
} gitchat_tips;

/* The refs of `room` (NULL: every room) in both namespaces, sorted by name.
 * Ref names that do not parse are listed in `bad` (when not NULL) instead. */
int gitchat_tips_list(gitchat_tips *out, gitchat_tips *bad, git_repository *repo,
                      const char *room);
void gitchat_tips_dispose(gitchat_tips *tips);

#endif
