/*
 * The merger: the valid messages reachable from a room's refs (local and
 * remote copies), in the order DESIGN.md fixes:
 *
 *   e(c) = min(author time of c, e(d) for every child d)
 *   topological order, parents first; among the ready messages take the
 *   smallest (e(c), author time, key, oid).
 *
 * The order is a function of the set of messages alone, so every replica
 * that holds the same messages renders the same conversation.
 */
#ifndef GITCHAT_CONVERSATION_H
#define GITCHAT_CONVERSATION_H

#include "gitchat/common.h"
#include "gitchat/message.h"
#include "gitchat/store.h"
#include "gitchat/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gitchat_conversation gitchat_conversation;

/* Loads and orders `room`. Commits that do not verify are left out and
 * reported through `cb` (may be NULL), as are refs whose head is not
 * signed by the ref's key. */
GITCHAT_EXTERN(int) gitchat_conversation_load(gitchat_conversation **out, gitchat_store *store,
                                              const char *room, gitchat_problem_cb cb,
                                              void *payload);
GITCHAT_EXTERN(size_t) gitchat_conversation_count(const gitchat_conversation *conv);
/* The i-th message in order; NULL past the end. */
GITCHAT_EXTERN(const gitchat_message *) gitchat_conversation_get(const gitchat_conversation *conv,
                                                                 size_t i);
GITCHAT_EXTERN(void) gitchat_conversation_free(gitchat_conversation *conv);

#ifdef __cplusplus
}
#endif
#endif
