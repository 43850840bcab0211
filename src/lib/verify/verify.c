#include <stdlib.h>
#include <string.h>

#include "gitchat/verify.h"
#include "message/commit.h"
#include "store/refs.h"
#include "util/buf.h"
#include "util/array.h"
#include "util/error.h"
#include "verify/cache.h"
#include "verify/verify.h"
#include "util/oidmap.h"
#include "verify/pool.h"

/* A walk that has checked this many commits itself hands the rest to a
 * pool of workers (pool.h): below it, starting threads costs more than
 * it saves (a send checks one commit). */
#define VERIFY_POOL_AFTER 32
/* Commits in flight in the pool: the walk's memory beyond its stack. */
#define VERIFY_POOL_SLOTS 1024

/* How a frame's commit fared on its own. */
enum { SELF_OK, SELF_PENDING, SELF_FAILED, SELF_AGAIN };

typedef struct {
	git_oid id;
	size_t first_parent;   /* index into parents[] */
	size_t nparents;
	int expanded;
	int self;              /* SELF_*: set when expanded */
	size_t slot;           /* SELF_PENDING: its slot in the pool */
	char *reason;          /* SELF_FAILED: why */
	unsigned kind;         /* gitchat_message_kind: set when expanded */
} frame;

typedef struct {
	frame *frames;
	size_t n, cap;
	git_oid *parents;
	size_t np, capp;
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

static int walk_save_parents(walk *w, frame *f, const git_oid *parents, size_t n)
{
	int error = gitchat_array_grow(&w->parents, &w->capp, w->np + n, sizeof(*w->parents), 256);

	if (error < 0)
		return error;
	f->first_parent = w->np;
	f->nparents = n;
	if (n)   /* a root commit: both pointers may be NULL */
		memcpy(w->parents + w->np, parents, n * sizeof(git_oid));
	w->np += n;
	return 0;
}

/* What the walk learns about the commit it was asked about, so that
 * gitchat_verify_ref_update reads and parses it once: its bytes when the
 * caller has them (id checked), its signer and first parent when parsed. */
typedef struct {
	const char *bytes;
	size_t len;
	int parsed;
	gitchat_pubkey signer;
	int has_parent;
	git_oid first_parent;
} verify_top;

/* Reads a commit: through libgit2's object cache when `cached` (sync's
 * walks, message/objects.h), else past it. */
static int read_commit(gitchat_buf *raw, gitchat_store *store, const git_oid *id, int cached)
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
	if ((error = read_commit(raw, store, id, cached)) < 0) {
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

/* Moves a pool result into its frame. */
static void frame_take(walk *w, verify_pool_result *res)
{
	frame *f = &w->frames[res->tag];

	f->reason = res->reason;
	f->self = res->status == 0 ? SELF_OK
	        : res->status == GITCHAT_EVERIFY ? SELF_FAILED : SELF_AGAIN;
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

/* Checks the commit of frame `fi` on its own, now or (pool) later: 0 with
 * its parents, or check_self's errors. A commit whose tree is not empty
 * needs the repository (its files) and is checked here. */
static int expand(git_oid **parents, size_t *nparents, walk *w, size_t fi, gitchat_store *store,
                  const char *room, gitchat_buf *raw, verify_top *top)
{
	frame *f = &w->frames[fi];
	gitchat_commit c;
	verify_pool_result res;
	git_oid empty;
	const char *bytes = NULL;
	size_t len = 0, slot;
	int error, own;

	f->self = SELF_OK;
	if (top || !pool_wanted(w, store, room)) {
		w->checked++;
		return check_self(parents, nparents, &f->kind, store, &f->id, room, raw, top,
		                  w->cached);
	}
	*parents = NULL;
	*nparents = 0;
	if ((error = read_self(&bytes, &len, store, &f->id, raw, NULL, w->cached)) < 0)
		return error;
	if ((error = gitchat_commit_parse(&c, bytes, len)) < 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "%s", gitchat_error_last()->message);
	git_oid_fromstr(&empty, GITCHAT_EMPTY_TREE);
	if ((own = c.file_count || !git_oid_equal(&c.tree, &empty)))
		error = check_parsed(&c, store, room, NULL);
	if (error == 0) {
		*parents = c.parents;
		*nparents = c.parent_count;
		f->kind = (unsigned)c.kind;
		c.parents = NULL;
	}
	gitchat_commit_dispose(&c);
	if (error < 0 || own)
		return error;
	while (verify_pool_full(w->pool)) {
		verify_pool_collect(w->pool, verify_pool_oldest(w->pool), &res);
		frame_take(w, &res);
	}
	if ((error = verify_pool_submit(w->pool, fi, raw, &slot)) < 0) {
		free(*parents);
		*parents = NULL;
		return error;
	}
	f->self = SELF_PENDING;
	f->slot = slot;
	return 0;
}

/* The frame's own verdict, once its parents are decided: waits for the
 * pool's, or checks again a commit the pool could not. */
static int frame_self(walk *w, size_t fi, gitchat_store *store, const char *room,
                      gitchat_buf *raw)
{
	verify_pool_result res;
	git_oid *parents;
	size_t np;
	int error;

	if (w->frames[fi].self == SELF_PENDING) {
		verify_pool_collect(w->pool, w->frames[fi].slot, &res);
		frame_take(w, &res);
	}
	if (w->frames[fi].self != SELF_AGAIN)
		return 0;
	error = check_self(&parents, &np, &w->frames[fi].kind, store, &w->frames[fi].id, room, raw,
	                   NULL, w->cached);
	free(parents);
	w->frames[fi].self = SELF_OK;
	if (error == GITCHAT_EVERIFY) {
		if (!(w->frames[fi].reason = strdup(gitchat_error_last()->message)))
			return gitchat_error_oom();
		w->frames[fi].self = SELF_FAILED;
		return 0;
	}
	return error;
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

/* The walk behind gitchat_verify_commit. `flush`: write the cache's new
 * records now (the public functions) or leave them to the caller's batches;
 * `cached`: read_commit's. */
static int verify_walk(gitchat_store *store, const git_oid *id, const char *room, git_oid *bad,
                       verify_top *top, int flush, int cached, const gitchat_verify_seen *seen)
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
	w.cached = cached;
	w.seen = seen;
	if ((error = walk_push(&w, id)) < 0)
		goto done;
	/* Depth-first, iterative: a log can be millions of commits deep. */
	while (w.n) {
		frame *f = &w.frames[w.n - 1];
		git_oid fid = f->id;
		size_t i, first;

		if (gitchat_verify_cache_get(cache, room, &fid, NULL, NULL) != GITCHAT_VSTATE_UNKNOWN) {
			w.n--;
			continue;
		}
		if (!f->expanded) {
			git_oid *parents;
			size_t np;
			f->expanded = 1;
			error = expand(&parents, &np, &w, w.n - 1, store, room, &raw,
			               git_oid_equal(&fid, id) ? top : NULL);
			f = &w.frames[w.n - 1];
			if (error == GITCHAT_EVERIFY) {
				error = gitchat_verify_cache_set_invalid(cache, room, &fid, &fid,
				                                         gitchat_error_last()->message);
				w.n--;
				if (error < 0)
					goto done;
				continue;
			}
			if (error < 0)
				goto done;
			error = walk_save_parents(&w, f, parents, np);
			free(parents);
			if (error < 0)
				goto done;
			first = f->first_parent;
			for (i = 0; i < np; i++) {
				const git_oid *p = &w.parents[first + i];
				if (gitchat_verify_cache_get(cache, room, p, NULL, NULL) == GITCHAT_VSTATE_UNKNOWN &&
				    (error = walk_push(&w, p)) < 0)
					goto done;
			}
			continue;
		}
		/* All parents decided; its own check first (the serial walk's
		 * order: a commit bad on its own is invalid for that reason). */
		if ((error = frame_self(&w, w.n - 1, store, room, &raw)) < 0)
			goto done;
		f = &w.frames[w.n - 1];
		if (f->self == SELF_FAILED) {
			error = gitchat_verify_cache_set_invalid(cache, room, &fid, &fid, f->reason);
			free(f->reason);
			f->reason = NULL;
			w.np = f->first_parent;
			w.n--;
			if (error < 0)
				goto done;
			continue;
		}
		for (i = 0; i < f->nparents; i++) {
			const git_oid *p = &w.parents[f->first_parent + i];
			const char *reason;
			git_oid cause;
			if (gitchat_verify_cache_get(cache, room, p, &reason, &cause) == GITCHAT_VSTATE_INVALID) {
				error = gitchat_verify_cache_set_invalid(cache, room, &fid, &cause, reason);
				break;
			}
		}
		if (i == f->nparents &&
		    (error = gitchat_verify_cache_set_valid(cache, room, &fid)) == 0 && w.seen)
			error = w.seen->cb(&fid, &w.parents[f->first_parent], f->nparents, f->kind,
			                   w.seen->payload);
		/* Parent lists are a stack too: drop this frame's. */
		w.np = f->first_parent;
		w.n--;
		if (error < 0)
			goto done;
	}
	if (flush)
		gitchat_verify_cache_flush(cache);
	if (gitchat_verify_cache_get(cache, room, id, NULL, NULL) == GITCHAT_VSTATE_VALID)
		error = 0;
	else
		error = report_invalid(cache, room, id, bad);
done:
	verify_pool_free(w.pool);
	for (size_t k = 0; k < w.n; k++)
		free(w.frames[k].reason);
	free(w.frames);
	free(w.parents);
	gitchat_buf_dispose(&raw);
	return error;
}

int gitchat_verify_commit(gitchat_store *store, const git_oid *id, const char *room, git_oid *bad)
{
	return verify_walk(store, id, room, bad, NULL, 1, 0, NULL);
}

/* The signer and first parent of a commit the walk did not parse (it was
 * decided before): read (unless at hand) and parsed once. */
static int top_parse(verify_top *top, gitchat_store *store, const git_oid *id, int cached)
{
	gitchat_buf raw = GITCHAT_BUF_INIT;
	gitchat_commit c;
	int error;

	if (!top->bytes) {
		if ((error = read_commit(&raw, store, id, cached)) < 0)
			return error;
		top->bytes = raw.ptr;
		top->len = raw.size;
	}
	if ((error = gitchat_commit_parse(&c, top->bytes, top->len)) == 0) {
		if ((error = gitchat_commit_key(&top->signer, &c)) == 0 &&
		    (top->has_parent = c.parent_count > 0))
			git_oid_cpy(&top->first_parent, &c.parents[0]);
		gitchat_commit_dispose(&c);
	}
	if (top->bytes == raw.ptr)
		top->bytes = NULL;   /* not the caller's: do not keep a dangling pointer */
	gitchat_buf_dispose(&raw);
	return error;
}

/* Does `new_id` descend from `old`? The common case, a new message on top
 * of the old head, is answered by its first parent without a graph walk. */
static int fast_forward(gitchat_store *store, const verify_top *top, const git_oid *old,
                        const git_oid *new_id)
{
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	if (!old || git_oid_is_zero(old) || git_oid_equal(old, new_id) ||
	    (top->has_parent && git_oid_equal(&top->first_parent, old)))
		return 0;
	error = git_graph_descendant_of(gitchat_store_repository(store), new_id, old);
	if (error < 0)
		return gitchat_error_from_git(error, "cannot compare the old and new heads");
	if (error == 0) {
		git_oid_tostr(hex, sizeof(hex), old);
		return gitchat_error_set(GITCHAT_EVERIFY,
			"it does not descend from the current head %s (a history rewrite)", hex);
	}
	return 0;
}

static int ref_update(gitchat_store *store, const char *refname, const git_oid *old,
                      const git_oid *new_id, const char *bytes, size_t len, git_oid *bad,
                      int flush, int cached, const gitchat_verify_seen *seen)
{
	verify_top top = { 0 };
	gitchat_chatref ref;
	char want[GITCHAT_FINGERPRINT_SIZE], got[GITCHAT_FINGERPRINT_SIZE];
	git_oid hashed;
	int error;

	if (gitchat_chatref_parse(&ref, refname) < 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "%s", gitchat_error_last()->message);
	if (!new_id || git_oid_is_zero(new_id))
		return gitchat_error_set(GITCHAT_EVERIFY, "a chat log cannot be deleted");
	if (bad)
		git_oid_cpy(bad, new_id);
	if (bytes) {
		/* Bytes at hand stand for the stored object only when they hash to its id. */
		if ((error = git_odb_hash(&hashed, bytes, len, GIT_OBJECT_COMMIT)) < 0)
			return gitchat_error_from_git(error, "cannot hash the commit");
		if (!git_oid_equal(&hashed, new_id))
			return gitchat_error_set(GITCHAT_EINVALID,
				"internal: the commit bytes given do not hash to the commit's id");
		top.bytes = bytes;
		top.len = len;
	}
	if ((error = verify_walk(store, new_id, ref.room, bad, &top, flush, cached, seen)) < 0)
		return error;
	if (!top.parsed && (error = top_parse(&top, store, new_id, cached)) < 0)
		return error;
	if (gitchat_pubkey_cmp(&top.signer, &ref.key) != 0) {
		gitchat_pubkey_fingerprint(want, &ref.key);
		gitchat_pubkey_fingerprint(got, &top.signer);
		return gitchat_error_set(GITCHAT_EVERIFY,
			"it is signed by %s, not by the log's owner %s", got, want);
	}
	return fast_forward(store, &top, old, new_id);
}

int gitchat_verify_ref_update_bytes(gitchat_store *store, const char *refname,
                                    const git_oid *old, const git_oid *new_id,
                                    const char *bytes, size_t len, git_oid *bad, int flush)
{
	return ref_update(store, refname, old, new_id, bytes, len, bad, flush, 0, NULL);
}

int gitchat_verify_ref_update_cached(gitchat_store *store, const char *refname,
                                     const git_oid *old, const git_oid *new_id, git_oid *bad,
                                     const gitchat_verify_seen *seen)
{
	return ref_update(store, refname, old, new_id, NULL, 0, bad, 1, 1, seen);
}

int gitchat_verify_ref_update(gitchat_store *store, const char *refname, const git_oid *old,
                              const git_oid *new_id, git_oid *bad)
{
	return ref_update(store, refname, old, new_id, NULL, 0, bad, 1, 0, NULL);
}

int gitchat_verify_store(gitchat_store *store, const char *room, gitchat_problem_cb cb,
                         void *payload)
{
	gitchat_tips tips, bad;
	gitchat_problem p;
	size_t i;
	int error, found = 0;

	if ((error = gitchat_tips_list(&tips, &bad, gitchat_store_repository(store), room)) < 0)
		return error;
	for (i = 0; i < bad.count && !room; i++) {
		found = 1;
		p.refname = bad.tips[i].refname;
		p.commit = &bad.tips[i].id;
		p.reason = "the ref name is not refs/chat/<room>/<64 hex digit key>";
		if (cb && (error = cb(&p, payload)) != 0)
			goto done;
	}
	for (i = 0; i < tips.count; i++) {
		git_oid culprit = tips.tips[i].id;
		error = gitchat_verify_ref_update(store, tips.tips[i].refname, NULL,
		                                  &tips.tips[i].id, &culprit);
		if (error == GITCHAT_EVERIFY) {
			found = 1;
			p.refname = tips.tips[i].refname;
			p.commit = &culprit;
			p.reason = gitchat_error_last()->message;
			if (cb && (error = cb(&p, payload)) != 0)
				goto done;
			continue;
		}
		if (error < 0)
			goto done;
	}
	error = found ? gitchat_error_set(GITCHAT_EVERIFY, "the store holds invalid logs") : 0;
done:
	gitchat_tips_dispose(&tips);
	gitchat_tips_dispose(&bad);
	return error;
}
