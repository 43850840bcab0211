/*
 * Internal: a log we cannot push because the remote's copy is not in
 * ours: what that copy is, and what the remote lacks.
 */
#ifndef GITCHAT_SYNC_BLOCKED_H
#define GITCHAT_SYNC_BLOCKED_H

#include "gitchat/store.h"
#include "store/refs.h"
#include "sync/report.h"

/* Our log `t` is blocked by the remote's `theirs`: finds out why and
 * emits NOT_PUSHED (or nothing when `theirs` is simply ahead of ours). */
int sync_blocked_report(sync_report *rep, gitchat_store *store, const gitchat_tip *t,
                        const git_oid *theirs);

#endif
