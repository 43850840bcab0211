/*
 * Internal: what a layer above the merger reads of a loaded conversation
 * beyond the public API (members/, for its cache beside the index): a
 * message's parents as positions, the tips the conversation was built
 * from, and where its index lies.
 */
#ifndef GITCHAT_ORDER_KNOWN_H
#define GITCHAT_ORDER_KNOWN_H

#include "gitchat/conversation.h"
#include "store/refs.h"

/* The parents of message i as positions: *count of them, at most `max`
 * into `out` (GITCHAT_EINVALID when there are more). */
int gitchat_conversation_parents(uint32_t *out, size_t max, size_t *count,
                                 const gitchat_conversation *conv, size_t i);
/* 1 when the conversation was ordered from exactly these tips (ref names
 * and ids), else 0 (or a negative code). */
int gitchat_conversation_tips_match(const gitchat_conversation *conv, const gitchat_tips *tips);
/* The tips it was ordered from. */
int gitchat_conversation_tips(gitchat_tips *out, const gitchat_conversation *conv);
/* Its index file, or NULL when it was ordered in memory (nothing beside
 * it may be written then). */
const char *gitchat_conversation_index_path(const gitchat_conversation *conv);

#endif
