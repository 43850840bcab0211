/*
 * Internal: the "other parents" of a new message (DESIGN.md): the heads of
 * other logs in the room, local and remote copies, that are valid and not
 * already ancestors of the new commit; at most 16, newest first. A remote
 * copy of our own log that forked from ours is such a head too, which is
 * how the next message heals a fork.
 */
#ifndef GITCHAT_SEND_PARENTS_H
#define GITCHAT_SEND_PARENTS_H

#include <git2.h>
#include "gitchat/store.h"
#include "store/refs.h"

typedef struct {
	git_oid *ids;        /* the other parents, newest first */
	size_t count;
	git_oid *seen;       /* heads that will be ancestors of the new commit */
	size_t nseen;
} gitchat_parents;

/* Deciding that a head is already an ancestor of the own head can mean
 * walking the room's history back to it (an author silent for long), for
 * every message. So each message records the heads it has seen (chosen or
 * found to be ancestors) next to the log, keyed by the log's head:
 * $GIT_DIR/chat/ancestors/<room>/<key>. The next message skips those
 * heads without walking or reading them.
 *
 * The store object keeps the last record in memory too (a loop of sends
 * reads no file: send/'s state in the store, store/state.h) and writes it
 * to the file when it moves to another log or when the store is freed:
 * the file is a cache keyed by the head, so a record written late or never
 * only costs a walk.
 *
 * `tips` is the room's listing (gitchat_tips_list), read once by the
 * caller, which took the own head from it too. */
int gitchat_parents_choose(gitchat_parents *out, gitchat_store *store, const char *own_ref,
                           const git_oid *own_head, const gitchat_tips *tips);
/* After `head` became the log's head, written and verified by this store
 * object: records p->seen for it. Best effort. */
void gitchat_parents_remember(gitchat_store *store, const char *own_ref, const git_oid *head,
                              const gitchat_parents *p);
/* 1 when `head` of `own_ref` is the commit this store object last wrote
 * there (so it was verified as an update of that ref): a fact about an
 * immutable commit, whatever moved the ref since. */
int gitchat_parents_wrote(gitchat_store *store, const char *own_ref, const git_oid *head);
void gitchat_parents_dispose(gitchat_parents *p);

/* Reads the contents of an ancestors file: the ids it lists when its first
 * line is `own_head` (*out, malloc'd, *n of them), none otherwise. The one
 * reader of the format; the fuzzer calls it too (tests/fuzz/fuzz_ancestors.c). */
void gitchat_parents_memo_parse(git_oid **out, size_t *n, const char *data, size_t len,
                                const git_oid *own_head);

#endif
