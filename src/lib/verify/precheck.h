/*
 * Internal: checks of commits on their own, started before the walk that
 * will need them. A sync over a path hands here each commit it copies
 * (sync/pack.c has its bytes in hand): the pool's workers check the
 * signatures on the other core while the copy goes on, and the walk
 * (verify.c) later takes their verdicts instead of checking again. Over
 * the network the pack arrives inside libgit2, so nothing comes here.
 *
 * A check here knows no room, nor the repository (gitchat_commit_check
 * with neither). The walk takes a verdict only for a commit of its own
 * room whose tree is empty, and only a pass; any failure it checks again
 * itself, so its verdicts and reasons are the serial walk's.
 *
 * Memory: the passes wait here until a walk takes them, at most
 * VERIFY_PRECHECK_MAX (about 60 bytes each); past that, commits are left
 * to the walk, as they are when the machine has one core.
 */
#ifndef GITCHAT_VERIFY_PRECHECK_H
#define GITCHAT_VERIFY_PRECHECK_H

#include "gitchat/store.h"

#define VERIFY_PRECHECK_MAX (1u << 19)

typedef struct verify_precheck verify_precheck;

/* For commits of `store` (its limits, its chat.verifyThreads); no thread
 * starts before the first commit. */
int verify_precheck_new(verify_precheck **out, gitchat_store *store);
/* Hands over a commit's bytes (copied). 0 also when it is not checked
 * here (one core, the cap): the walk checks it then. */
int verify_precheck_add(verify_precheck *p, const git_oid *id, const char *bytes, size_t len);
/* 1 when the commit passed here (waiting for its check if need be), and
 * forgets it; 0 when it failed or never came. */
int verify_precheck_take(verify_precheck *p, const git_oid *id);
/* May be NULL. Checks still queued are dropped. */
void verify_precheck_free(verify_precheck *p);

#endif
