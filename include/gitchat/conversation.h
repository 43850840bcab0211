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

#define GITCHAT_NO_INDEX ((size_t)-1)

/* What is known of the i-th message without loading its text: enough to
 * page, filter by author and time, and attach edits, redactions,
 * reactions and replies to their targets. Pointers live as long as conv. */
typedef struct {
	const git_oid *id;
	int64_t time;                 /* author time */
	const gitchat_pubkey *key;    /* the signer */
	gitchat_message_kind kind;
	size_t target;                /* edit/redact/react: index of the target, or GITCHAT_NO_INDEX */
	size_t reply_to;              /* index of the message replied to, or GITCHAT_NO_INDEX */
} gitchat_conversation_entry;

/* 0, or GITCHAT_ENOTFOUND past the end. */
GITCHAT_EXTERN(int) gitchat_conversation_entry_get(gitchat_conversation_entry *out,
                                                   const gitchat_conversation *conv, size_t i);

/* Loads the i-th message in order (caller frees with gitchat_message_free). */
GITCHAT_EXTERN(int) gitchat_conversation_message(gitchat_message **out,
                                                 gitchat_conversation *conv, size_t i);

/* The index of message `id`, or GITCHAT_ENOTFOUND. */
GITCHAT_EXTERN(int) gitchat_conversation_find(size_t *out, const gitchat_conversation *conv,
                                              const git_oid *id);

GITCHAT_EXTERN(void) gitchat_conversation_free(gitchat_conversation *conv);

#ifdef __cplusplus
}
#endif
#endif
