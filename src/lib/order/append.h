/*
 * Internal: bringing an order index up to date by appending to its tail
 * (order/tail.h) instead of rewriting it, when that gives exactly what a
 * rewrite would (docs/order-index.md "Appending": the condition and why it
 * is exact).
 *
 * Only the commits the index lacks are read: the walk from the tips stops
 * at commits the index holds (gitchat_index_find), which are valid by
 * construction. The new commits must all be valid, signed by keys the
 * index has, reach every old tip, answer no link an old message left
 * open, name no ref that is signed by another key than its own, and each
 * must have an effective time after the last message's time E (or equal
 * to it and descend from that message). Then the old order is a prefix of
 * the new one, the new messages are ordered among themselves, and the
 * tail (old tail + new messages) is written.
 */
#ifndef GITCHAT_ORDER_APPEND_H
#define GITCHAT_ORDER_APPEND_H

#include "gitchat/common.h"
#include "gitchat/store.h"
#include "order/index.h"
#include "store/refs.h"

/* 0 and *out (the index reopened with its new tail), 1 when appending
 * would not give what a rewrite gives (the caller rewrites), or a negative
 * code. `*parsed` counts the commits read. */
int gitchat_order_append(gitchat_index **out, size_t *parsed, gitchat_index *ix,
                         const char *path, gitchat_store *store, const char *room,
                         const gitchat_tips *tips, int read_cached);

#endif
