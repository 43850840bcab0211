/*
 * Verification (DESIGN.md): a commit is valid for room R when it carries
 * exactly one good SSHSIG signature, its chat-room is R, all its parents are
 * valid for R and its text and tree are within the limits. An update of
 * refs/chat/R/K from old to new is accepted when new is valid, new is signed
 * by K and old is an ancestor of new.
 */
#ifndef GITCHAT_VERIFY_H
#define GITCHAT_VERIFY_H

#include <git2.h>
#include "gitchat/common.h"
#include "gitchat/key.h"
#include "gitchat/store.h"
#include "gitchat/message.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One problem found: the ref (may be NULL), the commit (may be NULL) and
 * why. The strings live until the callback returns. */
typedef struct {
	const char *refname;
	const git_oid *commit;
	const char *reason;
} gitchat_problem;

typedef int (*gitchat_problem_cb)(const gitchat_problem *problem, void *payload);

/* Is `id` valid for `room` (itself and all its ancestors)? 0 when valid;
 * GITCHAT_EVERIFY with the reason in gitchat_error_last() when not, and
 * *bad set to the commit that failed on its own (id or an ancestor).
 * Results are cached in the store; each commit is checked once. */
GITCHAT_EXTERN(int) gitchat_verify_commit(gitchat_store *store, const git_oid *id,
                                          const char *room, git_oid *bad);

/* May `refname` (refs/chat/R/K or refs/chat-remotes/X/R/K) move from `old`
 * (NULL: creation) to `new_id`? 0 when yes, GITCHAT_EVERIFY with the reason
 * (and *bad when a commit is to blame) when not. */
GITCHAT_EXTERN(int) gitchat_verify_ref_update(gitchat_store *store, const char *refname,
                                              const git_oid *old, const git_oid *new_id,
                                              git_oid *bad);

/* Checks every chat ref of `room` (NULL: all rooms); reports each problem
 * through `cb`. Returns 0 when all holds, GITCHAT_EVERIFY when anything was
 * reported, another negative code when the check itself failed. */
GITCHAT_EXTERN(int) gitchat_verify_store(gitchat_store *store, const char *room,
                                         gitchat_problem_cb cb, void *payload);

#ifdef __cplusplus
}
#endif
#endif
