#include <stdlib.h>
#include <string.h>

#include "gitchat/verify.h"
#include "message/commit.h"
#include "store/refs.h"
#include "util/buf.h"
#include "util/error.h"
#include "verify/cache.h"
#include "verify/verify.h"
#include "util/oidmap.h"

typedef struct {
	git_oid id;
	size_t first_parent;   /* index into parents[] */
	size_t nparents;
	int expanded;
} frame;

typedef struct {
	frame *frames;
	size_t n, cap;
	git_oid *parents;
	size_t np, capp;
} walk;

static int walk_push(walk *w, const git_oid *id)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		frame *f = realloc(w->frames, cap * sizeof(*f));
		if (!f)
			return gitchat_error_oom();
		w->frames = f;
		w->cap = cap;
	}
	memset(&w->frames[w->n], 0, sizeof(frame));
	git_oid_cpy(&w->frames[w->n++].id, id);
	return 0;
}

static int walk_save_parents(walk *w, frame *f, const git_oid *parents, size_t n)
{
	if (w->np + n > w->capp) {
		size_t cap = w->capp ? w->capp * 2 : 256;
		git_oid *p;
		while (cap < w->np + n)
			cap *= 2;
		if (!(p = realloc(w->parents, cap * sizeof(*p))))
			return gitchat_error_oom();
		w->parents = p;
		w->capp = cap;
	}
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

/* Checks one commit on its own (not its parents). 0, or GITCHAT_EVERIFY
 * with the reason; fills the parent list, and `top` when it is not NULL. */
static int check_self(git_oid **parents, size_t *nparents, gitchat_store *store,
                      const git_oid *id, const char *room, gitchat_buf *raw, verify_top *top)
{
	gitchat_commit c;
	gitchat_pubkey signer;
	const char *bytes;
	size_t len;
	int error;

	*parents = NULL;
	*nparents = 0;
	if (top && top->bytes) {
		bytes = top->bytes;
		len = top->len;
	} else if ((error = gitchat_commit_read_raw(raw, gitchat_store_repository(store), id)) < 0) {
		if (error == GITCHAT_ENOTFOUND || error == GITCHAT_EINVALID)
			return gitchat_error_set(GITCHAT_EVERIFY, "%s", gitchat_error_last()->message);
		return error;
	} else {
		bytes = raw->ptr;
		len = raw->size;
	}
	if ((error = gitchat_commit_parse(&c, bytes, len)) < 0)
		return gitchat_error_set(GITCHAT_EVERIFY, "%s", gitchat_error_last()->message);
	error = gitchat_commit_check(&signer, &c, gitchat_store_repository(store), room,
	                             gitchat_store_limits(store));
	if (error == 0) {
		if (top) {
			top->parsed = 1;
			top->signer = signer;
			if ((top->has_parent = c.parent_count > 0))
				git_oid_cpy(&top->first_parent, &c.parents[0]);
		}
		*parents = c.parents;
		*nparents = c.parent_count;
		c.parents = NULL;
	} else if (error != GITCHAT_EVERIFY && error != GITCHAT_ENOMEM) {
		error = gitchat_error_set(GITCHAT_EVERIFY, "%s", gitchat_error_last()->message);
	}
	gitchat_commit_dispose(&c);
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
 * records now (the public functions) or leave them to the caller's batches. */
static int verify_walk(gitchat_store *store, const git_oid *id, const char *room, git_oid *bad,
                       verify_top *top, int flush)
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
			error = check_self(&parents, &np, store, &fid, room, &raw,
			                   git_oid_equal(&fid, id) ? top : NULL);
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
		/* All parents decided. */
		for (i = 0; i < f->nparents; i++) {
			const git_oid *p = &w.parents[f->first_parent + i];
			const char *reason;
			git_oid cause;
			if (gitchat_verify_cache_get(cache, room, p, &reason, &cause) == GITCHAT_VSTATE_INVALID) {
				error = gitchat_verify_cache_set_invalid(cache, room, &fid, &cause, reason);
				break;
			}
		}
		if (i == f->nparents)
			error = gitchat_verify_cache_set_valid(cache, room, &fid);
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
	free(w.frames);
	free(w.parents);
	gitchat_buf_dispose(&raw);
	return error;
}

int gitchat_verify_commit(gitchat_store *store, const git_oid *id, const char *room, git_oid *bad)
{
	return verify_walk(store, id, room, bad, NULL, 1);
}

/* The signer and first parent of a commit the walk did not parse (it was
 * decided before): read (unless at hand) and parsed once. */
static int top_parse(verify_top *top, gitchat_store *store, const git_oid *id)
{
	gitchat_buf raw = GITCHAT_BUF_INIT;
	gitchat_commit c;
	int error;

	if (!top->bytes) {
		if ((error = gitchat_commit_read_raw(&raw, gitchat_store_repository(store), id)) < 0)
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

int gitchat_verify_ref_update_bytes(gitchat_store *store, const char *refname,
                                    const git_oid *old, const git_oid *new_id,
                                    const char *bytes, size_t len, git_oid *bad, int flush)
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
	if ((error = verify_walk(store, new_id, ref.room, bad, &top, flush)) < 0)
		return error;
	if (!top.parsed && (error = top_parse(&top, store, new_id)) < 0)
		return error;
	if (gitchat_pubkey_cmp(&top.signer, &ref.key) != 0) {
		gitchat_pubkey_fingerprint(want, &ref.key);
		gitchat_pubkey_fingerprint(got, &top.signer);
		return gitchat_error_set(GITCHAT_EVERIFY,
			"it is signed by %s, not by the log's owner %s", got, want);
	}
	return fast_forward(store, &top, old, new_id);
}

int gitchat_verify_ref_update(gitchat_store *store, const char *refname, const git_oid *old,
                              const git_oid *new_id, git_oid *bad)
{
	return gitchat_verify_ref_update_bytes(store, refname, old, new_id, NULL, 0, bad, 1);
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
