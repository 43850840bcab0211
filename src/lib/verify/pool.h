/*
 * Internal: the signature checks of a verification walk on every core.
 *
 * The walk (walk.c) reads each commit, parses it for its parents and
 * hands its bytes here; worker threads check it on its own (signature,
 * times, room, text: gitchat_commit_check without a repository, so only
 * commits whose tree is empty come here) while the walk reads on. The walk
 * decides each commit after its parents, with the rule of the serial walk
 * (its own check first), so the verdicts, the reasons and the cache
 * records are the serial walk's; it collects a result when it is ready,
 * and waits only when nothing else is left to do.
 *
 * No libgit2 object crosses threads: workers see bytes only. At most
 * `slots` commits are in flight (the memory of a batch, not of the room);
 * the walk makes room by collecting the oldest (verify_pool_oldest).
 */
#ifndef GITCHAT_VERIFY_POOL_H
#define GITCHAT_VERIFY_POOL_H

#include "gitchat/common.h"
#include "gitchat/store.h"

typedef struct verify_pool verify_pool;

/* A result: 0 (the commit is good on its own), GITCHAT_EVERIFY and its
 * reason (malloc'd, the caller's), or another code: the worker could not
 * check it (out of memory), and the walk checks it itself. */
typedef struct {
	size_t tag;
	git_oid id;              /* the commit's, as submitted */
	int status;
	char *reason;
} verify_pool_result;

/* `threads` workers for commits of `room` under `limits` (both must
 * outlive the pool). */
int verify_pool_new(verify_pool **out, size_t threads, size_t slots, const char *room,
                    const gitchat_limits *limits);
/* The number of workers worth starting here: the online cores, or
 * chat.verifyThreads of the repository's config when set (1: none). */
size_t verify_pool_threads(git_repository *repo);
/* 1 when every slot holds a commit not yet collected. */
int verify_pool_full(const verify_pool *p);
/* Queues commit `id` in `bytes` (taken: the buffer is left empty) under
 * `tag`; *slot names it for verify_pool_collect. The pool must not be full.
 * The result carries `id` back, for the walk to check where it lands. */
int verify_pool_submit(verify_pool *p, size_t tag, const git_oid *id, gitchat_buf *bytes,
                       size_t *slot);
/* 1 when the slot's check is done (verify_pool_collect would not wait). */
int verify_pool_ready(verify_pool *p, size_t slot);
/* Gives the slot's result another tag: the walk moved what it belongs to. */
void verify_pool_retag(verify_pool *p, size_t slot, size_t tag);
/* The slot submitted longest ago and not collected yet. The pool must hold one. */
size_t verify_pool_oldest(const verify_pool *p);
/* Waits for the slot's check and frees the slot. */
void verify_pool_collect(verify_pool *p, size_t slot, verify_pool_result *out);
/* Stops the workers (queued checks are dropped) and frees everything. */
void verify_pool_free(verify_pool *p);

#endif
