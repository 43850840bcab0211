/*
 * The verification walk (walk.h): depth-first from a commit over the
 * ancestors the cache does not know, each checked on its own (here, or
 * in the pool) and decided after its parents.
 */
#include <stdlib.h>
#include <string.h>

#include "message/commit.h"
#include "util/array.h"
#include "util/error.h"
#include "util/oidmap.h"
#include "verify/cache.h"
#include "verify/pool.h"
#include "verify/walk.h"

/* A walk that has checked this many commits itself hands the rest to a
 * pool of workers (pool.h): below it, starting threads costs more than
 * it saves (a send checks one commit). */
#define VERIFY_POOL_AFTER 32
/* Commits in flight in the pool: the walk's memory beyond its stack.
 * (A test builds the walk with a handful, to fill the pool and the ring.) */
#ifndef VERIFY_POOL_SLOTS
#define VERIFY_POOL_SLOTS 1024
#endif
/* Commits whose parents are all walked, waiting in pop order to be decided. */
#define VERIFY_READY_CAP (2 * VERIFY_POOL_SLOTS)
/* A pool tag with this bit names a slot of the ready ring, else a frame. */
#define TAG_READY ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* How a commit fared on its own. */
enum { SELF_OK, SELF_PENDING, SELF_FAILED, SELF_AGAIN };

/* A commit's own verdict: known, or in the pool's `slot`. */
typedef struct {
	int self;              /* SELF_* */
	size_t slot;           /* SELF_PENDING: its slot in the pool */
	char *reason;          /* SELF_FAILED: why */
} self_verdict;

typedef struct {
	git_oid id;
	size_t first_parent;   /* on the stack: its parents in walk.pstack */
	git_oid *parents;      /* in the ring: its own copy of them */
	size_t nparents;       /* set when expanded */
	int expanded;
	self_verdict v;        /* set when expanded */
	unsigned kind;         /* gitchat_message_kind: set when expanded */
} frame;

/* The walk is depth-first, so a commit is done with after its parents.
 * Its verdict then waits in a ring, in that order, until the pool has
 * checked it: the walk reads on meanwhile instead of waiting for the
 * check it has just handed out. (In a room of merges most commits are
 * reached by a short branch whose parents are known; waiting there kept
 * a whole-room verify of 100,000 messages at 1.3 of the two cores.) */
typedef struct {
	frame *v;
	size_t head, n;
} ready_ring;

typedef struct {
	frame *frames;
	size_t n, cap;
	/* The parents of the frames on the stack, a stack too: a walk down a
	 * long log holds many frames, and one array costs less than one
	 * allocation each. */
	git_oid *pstack;
	size_t np, capp;
	ready_ring ready;
	/* The ring's commits: walked, not decided. An expanded frame on the
	 * stack cannot be met again (it would be its own ancestor: each
	 * frame's parents go above it); a second, unexpanded frame of a
	 * commit is dropped when it reaches the top (`known`). */
	gitchat_oidmap waiting;
	size_t checked;        /* commits checked by the walk itself */
	verify_pool *pool;
	int no_pool;           /* one core, or the pool could not start */
	int cached;            /* read through libgit2's object cache (sync) */
	const gitchat_verify_seen *seen;   /* told of each commit found valid */
} walk;

static int walk_push(walk *w, const git_oid *id)
{
	int error = gitchat_array_grow(&w->frames, &w->cap, w->n + 1, sizeof(*w->frames), 64);

	if (error < 0)
		return error;
	memset(&w->frames[w->n], 0, sizeof(frame));
	git_oid_cpy(&w->frames[w->n++].id, id);
	return 0;
}

/* Keeps the parents of frame `f` (of `n`, malloc'd by the parser, freed
 * here) on the parents' stack. */
static int save_parents(walk *w, frame *f, git_oid *parents, size_t n)
{
	int error = gitchat_array_grow(&w->pstack, &w->capp, w->np + n, sizeof(*w->pstack), 256);

	if (error == 0) {
		f->first_parent = w->np;
		f->nparents = n;
		if (n)   /* a root commit: both pointers may be NULL */
			memcpy(w->pstack + w->np, parents, n * sizeof(git_oid));
		w->np += n;
	}
	free(parents);
	return error;
}

static void frame_dispose(frame *f)
{
	free(f->parents);
	free(f->v.reason);
	f->parents = NULL;
	f->v.reason = NULL;
}

int verify_read_commit(gitchat_buf *raw, gitchat_store *store, const git_oid *id, int cached)
{
	git_repository *repo = gitchat_store_repository(store);

	return cached ? gitchat_commit_read_cached(raw, repo, id)
	              : gitchat_commit_read_raw(raw, repo, id);
}

/* The commit's bytes: the caller's (`top`), else read into `raw`. */
static int read_self(const char **bytes, size_t *len, gitchat_store *store, const git_oid *id,
                     gitchat_buf *raw, const verify_top *top, int cached)
{
	int error;

	if (top && top->bytes) {
		*bytes = top->bytes;
		*len = top->len;
		return 0;
	}
	if ((error = verify_read_commit(raw, store, id, cached)) < 0) {
		if (error == GITCHAT_ENOTFOUND || error == GITCHAT_EINVALID)
			return gitchat_error_set(GITCHAT_EVERIFY, "%s", gitchat_error_last()->message);
		return error;
	}
	*bytes = raw->ptr;
	*len = raw->size;
	return 0;
}

/* gitchat_commit_check with the walk's rule: every failure but memory is
 * the commit's (GITCHAT_EVERIFY and the reason). Fills `top` when given. */
static int check_parsed(const gitchat_commit *c, gitchat_store *store, const char *room,
                        verify_top *top)
{
	gitchat_pubkey signer;
	int error = gitchat_commit_check(&signer, c, gitchat_store_repository(store), room,
	                                 gitchat_store_limits(store));

	if (error == 0 && top) {
		top->parsed = 1;
		top->signer = signer;
		if ((top->has_parent = c->parent_count > 0))
			git_oid_cpy(&top->first_parent, &c->parents[0]);
	} else if (error < 0 && error != GITCHAT_EVERIFY && error != GITCHAT_ENOMEM) {
		error = gitchat_error_set(GITCHAT_EVERIFY, "%s", gitchat_error_last()->message);
	}
	return error;
}

/* Checks one commit on its own (not its parents). 0, or GITCHAT_EVERIFY
 * with the reason; fills the parent list, and `top` when it is not NULL. */
static int check_self(git_oid **parents, size_t *nparents, unsigned *kind,
                      gitchat_store *store, const git_oid *id, const char *room,
                      gitchat_buf *raw, verify_top *top, int cached)
{
	gitchat_commit c;
	const char *bytes = NULL;
	size_t len = 0;
	int error;

	*parents = NULL;
	*nparents = 0;
	if ((error = read_self(&bytes, &len, store, id, raw, top, cached)) < 0)
		return error;
	if ((error = gitchat_commit_parse(&c, bytes, len)) < 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "%s", gitchat_error_last()->message);
	if ((error = check_parsed(&c, store, room, top)) == 0) {
		*parents = c.parents;
		*nparents = c.parent_count;
		*kind = (unsigned)c.kind;
		c.parents = NULL;
	}
	gitchat_commit_dispose(&c);
	return error;
}

/* A pool result into its frame, which must be the commit's: a result that
 * lands elsewhere is a bug of the walk, and an error, never a verdict. */
static int result_into(frame *f, verify_pool_result *res)
{
	if (!git_oid_equal(&res->id, &f->id)) {
		free(res->reason);
		return gitchat_error_set(GITCHAT_ERROR, "internal: a check's result reached "
		                         "another commit's place in the verification walk");
	}
	f->v.reason = res->reason;
	f->v.self = res->status == 0 ? SELF_OK
	          : res->status == GITCHAT_EVERIFY ? SELF_FAILED : SELF_AGAIN;
	return 0;
}

/* Where a pool result goes: its tag names a frame on the stack, or one in
 * the ring. */
static int take_result(walk *w, verify_pool_result *res)
{
	frame *f = res->tag & TAG_READY ? &w->ready.v[res->tag & ~TAG_READY] : &w->frames[res->tag];

	return result_into(f, res);
}

/* Does this walk hand its checks to a pool? Started once the walk has
 * checked VERIFY_POOL_AFTER commits itself; never on one core. */
static int pool_wanted(walk *w, gitchat_store *store, const char *room)
{
	size_t threads;

	if (w->pool)
		return 1;
	if (w->no_pool || w->checked < VERIFY_POOL_AFTER)
		return 0;
	threads = verify_pool_threads(gitchat_store_repository(store));
	if (threads < 2 || verify_pool_new(&w->pool, threads, VERIFY_POOL_SLOTS, room,
	                                    gitchat_store_limits(store)) < 0) {
		gitchat_error_clear();
		w->no_pool = 1;
		return 0;
	}
	return 1;
}

/* Checks the commit of frame `fi` on its own, now or (pool) later, and
 * fills its parents; check_self's errors. A commit whose tree is not
 * empty needs the repository (its files) and is checked here. */
static int expand(walk *w, size_t fi, gitchat_store *store, const char *room, gitchat_buf *raw,
                  verify_top *top)
{
	frame *f = &w->frames[fi];
	gitchat_commit c;
	verify_pool_result res;
	git_oid empty;
	const char *bytes = NULL;
	size_t len = 0, slot;
	int error, here;

	f->v.self = SELF_OK;
	if (top) {
		git_oid *parents;
		size_t np;
		w->checked++;
		if ((error = check_self(&parents, &np, &f->kind, store, &f->id, room, raw, top,
		                        w->cached)) < 0)
			return error;
		return save_parents(w, f, parents, np);
	}
	if ((error = read_self(&bytes, &len, store, &f->id, raw, NULL, w->cached)) < 0)
		return error;
	if ((error = gitchat_commit_parse(&c, bytes, len)) < 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "%s", gitchat_error_last()->message);
	git_oid_fromstr(&empty, GITCHAT_EMPTY_TREE);
	here = c.file_count || !git_oid_equal(&c.tree, &empty) || !pool_wanted(w, store, room);
	if (here) {
		w->checked++;
		error = check_parsed(&c, store, room, NULL);
	}
	if (error == 0) {
		f->kind = (unsigned)c.kind;
		error = save_parents(w, f, c.parents, c.parent_count);
		c.parents = NULL;
	}
	gitchat_commit_dispose(&c);
	if (error < 0 || here)
		return error;
	while (verify_pool_full(w->pool)) {
		verify_pool_collect(w->pool, verify_pool_oldest(w->pool), &res);
		if ((error = take_result(w, &res)) < 0)
			return error;
	}
	if ((error = verify_pool_submit(w->pool, fi, &f->id, raw, &slot)) < 0)
		return error;
	f->v.self = SELF_PENDING;
	f->v.slot = slot;
	return 0;
}

/* The frame's own verdict: waits for the pool's, or checks again a
 * commit the pool could not. */
static int self_verdict_of(walk *w, frame *f, gitchat_store *store, const char *room,
                           gitchat_buf *raw)
{
	verify_pool_result res;
	git_oid *parents;
	size_t np;
	unsigned kind;
	int error;

	if (f->v.self == SELF_PENDING) {
		/* Its tag names where the frame was; `f` is where it is. */
		verify_pool_collect(w->pool, f->v.slot, &res);
		if ((error = result_into(f, &res)) < 0)
			return error;
	}
	if (f->v.self != SELF_AGAIN)
		return 0;
	error = check_self(&parents, &np, &kind, store, &f->id, room, raw, NULL, w->cached);
	free(parents);
	if (error == 0)
		f->v.self = SELF_OK;
	if (error == GITCHAT_EVERIFY) {
		if (!(f->v.reason = strdup(gitchat_error_last()->message)))
			return gitchat_error_oom();
		f->v.self = SELF_FAILED;
		return 0;
	}
	return error;
}

/* Decides a frame whose parents are decided: its own check first (the
 * serial walk's order: a commit bad on its own is invalid for that
 * reason), then its parents'. */
static int decide(walk *w, frame *f, const git_oid *parents, gitchat_verify_cache *cache,
                  gitchat_store *store, const char *room, gitchat_buf *raw)
{
	const char *reason;
	git_oid cause;
	size_t i;
	int error;

	if ((error = self_verdict_of(w, f, store, room, raw)) < 0)
		return error;
	if (f->v.self == SELF_FAILED)
		return gitchat_verify_cache_set_invalid(cache, room, &f->id, &f->id, f->v.reason);
	for (i = 0; i < f->nparents; i++) {
		switch (gitchat_verify_cache_get(cache, room, &parents[i], &reason, &cause)) {
		case GITCHAT_VSTATE_INVALID:
			return gitchat_verify_cache_set_invalid(cache, room, &f->id, &cause, reason);
		case GITCHAT_VSTATE_VALID:
			break;
		default:   /* fail closed: a commit is never decided before a parent */
			return gitchat_error_set(GITCHAT_ERROR, "internal: the verification walk "
			                         "reached a commit before one of its parents");
		}
	}
	if ((error = gitchat_verify_cache_set_valid(cache, room, &f->id)) == 0 && w->seen)
		error = w->seen->cb(&f->id, parents, f->nparents, f->kind, w->seen->payload);
	return error;
}

/* Decides the ring's frames in order while their checks are done, and
 * waits for them while more than `most` are left. */
static int ready_drain(walk *w, size_t most, gitchat_verify_cache *cache, gitchat_store *store,
                       const char *room, gitchat_buf *raw)
{
	ready_ring *r = &w->ready;
	int error;

	while (r->n) {
		frame *f = &r->v[r->head];
		if (r->n <= most && f->v.self == SELF_PENDING && !verify_pool_ready(w->pool, f->v.slot))
			break;
		error = decide(w, f, f->parents, cache, store, room, raw);
		gitchat_oidmap_remove(&w->waiting, &f->id);
		frame_dispose(f);
		r->head = (r->head + 1) % VERIFY_READY_CAP;
		r->n--;
		if (error < 0)
			return error;
	}
	return 0;
}

/* The top frame, its parents done with: decided now when nothing waits
 * before it and its check is known, else queued in the ring. */
static int frame_done(walk *w, gitchat_verify_cache *cache, gitchat_store *store,
                      const char *room, gitchat_buf *raw)
{
	ready_ring *r = &w->ready;
	frame *f = &w->frames[w->n - 1];
	git_oid *parents = NULL;
	size_t at;
	int error = 0;

	if ((error = ready_drain(w, VERIFY_READY_CAP, cache, store, room, raw)) < 0)
		return error;
	if (!r->n && f->v.self != SELF_PENDING) {
		error = decide(w, f, w->pstack + f->first_parent, cache, store, room, raw);
		w->np = f->first_parent;
		frame_dispose(f);
		w->n--;
		return error;
	}
	if (!r->v && !(r->v = calloc(VERIFY_READY_CAP, sizeof(*r->v))))
		return gitchat_error_oom();
	if ((error = ready_drain(w, VERIFY_READY_CAP - 1, cache, store, room, raw)) < 0 ||
	    (error = gitchat_oidmap_set(&w->waiting, &f->id, 0)) < 0)
		return error;
	if (f->nparents && !(parents = malloc(f->nparents * sizeof(git_oid))))
		return gitchat_error_oom();
	if (parents)
		memcpy(parents, w->pstack + f->first_parent, f->nparents * sizeof(git_oid));
	w->np = f->first_parent;
	at = (r->head + r->n++) % VERIFY_READY_CAP;
	r->v[at] = *f;
	r->v[at].parents = parents;
	if (f->v.self == SELF_PENDING)
		verify_pool_retag(w->pool, f->v.slot, TAG_READY | at);
	memset(f, 0, sizeof(*f));
	w->n--;
	return ready_drain(w, VERIFY_READY_CAP, cache, store, room, raw);
}

/* Decided, or waiting in the ring to be. */
static int known(walk *w, gitchat_verify_cache *cache, const char *room, const git_oid *id)
{
	return gitchat_verify_cache_get(cache, room, id, NULL, NULL) != GITCHAT_VSTATE_UNKNOWN ||
	       gitchat_oidmap_get(&w->waiting, id, NULL);
}

static int report_invalid(gitchat_verify_cache *cache, const char *room, const git_oid *id,
                          git_oid *bad)
{
	const char *reason = "invalid";
	git_oid cause;
	char hex[GIT_OID_HEXSZ + 1];

	gitchat_verify_cache_get(cache, room, id, &reason, &cause);
	if (bad)
		*bad = cause;
	if (git_oid_equal(&cause, id))
		return gitchat_error_set(GITCHAT_EVERIFY, "%s", reason);
	git_oid_tostr(hex, sizeof(hex), &cause);
	return gitchat_error_set(GITCHAT_EVERIFY, "its ancestor %s is invalid: %s", hex, reason);
}

/* Expands the top frame: its own check (or its hand-off to the pool),
 * then its parents not known yet on the stack. */
static int frame_expand(walk *w, gitchat_verify_cache *cache, gitchat_store *store,
                        const char *room, gitchat_buf *raw, const git_oid *id, verify_top *top)
{
	size_t fi = w->n - 1, i;
	git_oid fid = w->frames[fi].id;
	int error;

	w->frames[fi].expanded = 1;
	error = expand(w, fi, store, room, raw, git_oid_equal(&fid, id) ? top : NULL);
	if (error == GITCHAT_EVERIFY) {
		frame_dispose(&w->frames[fi]);
		w->n--;
		return gitchat_verify_cache_set_invalid(cache, room, &fid, &fid,
		                                        gitchat_error_last()->message);
	}
	if (error < 0)
		return error;
	for (i = 0; i < w->frames[fi].nparents; i++) {
		git_oid p = w->pstack[w->frames[fi].first_parent + i];
		if (!known(w, cache, room, &p) && (error = walk_push(w, &p)) < 0)
			return error;
	}
	return 0;
}

static void walk_dispose(walk *w)
{
	size_t k;

	verify_pool_free(w->pool);
	for (k = 0; k < w->n; k++)
		frame_dispose(&w->frames[k]);
	for (k = 0; k < w->ready.n; k++)
		frame_dispose(&w->ready.v[(w->ready.head + k) % VERIFY_READY_CAP]);
	free(w->frames);
	free(w->pstack);
	free(w->ready.v);
	gitchat_oidmap_dispose(&w->waiting);
}

int verify_walk(gitchat_store *store, const git_oid *id, const char *room, git_oid *bad,
                verify_top *top, const verify_walk_opts *o)
{
	gitchat_verify_cache *cache;
	walk w = { 0 };
	gitchat_buf raw = GITCHAT_BUF_INIT;
	int error;

	if ((error = gitchat_verify_cache_of(&cache, store)) < 0)
		return error;
	switch (gitchat_verify_cache_get(cache, room, id, NULL, NULL)) {
	case GITCHAT_VSTATE_VALID: return 0;
	case GITCHAT_VSTATE_INVALID: return report_invalid(cache, room, id, bad);
	default: break;
	}
	w.cached = o->cached;
	w.seen = o->seen;
	if ((error = walk_push(&w, id)) < 0)
		goto done;
	/* Depth-first, iterative: a log can be millions of commits deep. */
	while (w.n) {
		frame *f = &w.frames[w.n - 1];
		if (f->expanded)
			error = frame_done(&w, cache, store, room, &raw);
		else if (known(&w, cache, room, &f->id))
			w.n--;   /* a second path to it */
		else
			error = frame_expand(&w, cache, store, room, &raw, id, top);
		if (error < 0)
			goto done;
	}
	if ((error = ready_drain(&w, 0, cache, store, room, &raw)) < 0)
		goto done;
	if (o->flush)
		gitchat_verify_cache_flush(cache);
	if (gitchat_verify_cache_get(cache, room, id, NULL, NULL) == GITCHAT_VSTATE_VALID)
		error = 0;
	else
		error = report_invalid(cache, room, id, bad);
done:
	walk_dispose(&w);
	gitchat_buf_dispose(&raw);
	return error;
}
