/*
 * Internal: locks a killed git-chat leaves behind. A ref update takes
 * `<ref>.lock` (libgit2, as git does); a process killed between taking and
 * renaming it leaves the file, and every later update of that ref fails with
 * GIT_ELOCKED, for ever. git says "remove it by hand"; git-chat knows more:
 * every git-chat write of a refs/chat* ref happens while the writer holds a
 * shared flock(2) on $GIT_DIR/chat/refs.lock (gitchat_store_refs_hold), and
 * the kernel drops that flock when the process dies. So whoever gets the
 * flock exclusively knows no git-chat is between taking and renaming a ref
 * lock: any `<ref>.lock` still there is stale (docs/decisions.md).
 */
#ifndef GITCHAT_STORE_REFLOCK_H
#define GITCHAT_STORE_REFLOCK_H

#include "gitchat/store.h"

/* Before writing refs: *fd holds the shared flock (release it with
 * gitchat_store_refs_release). A store where the file cannot be made (read-
 * only) gets *fd = -1 and 0: its ref writes fail with their own error. */
int gitchat_store_refs_hold(int *fd, gitchat_store *store);
void gitchat_store_refs_release(int fd);
/* After GIT_ELOCKED on `refname` (not holding the flock): removes the
 * ref's lock file when it is stale. 1 removed, 0 nothing to do (no file, or
 * a git-chat is writing refs now: retry), negative on error. */
int gitchat_store_ref_unstick(gitchat_store *store, const char *refname);

#endif
