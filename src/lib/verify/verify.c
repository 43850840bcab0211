#include <stdlib.h>
#include <string.h>

#include "gitchat/verify.h"
#include "message/commit.h"
#include "store/refs.h"
#include "util/buf.h"
#include "util/error.h"
#include "verify/verify.h"
#include "verify/walk.h"

int gitchat_verify_commit(gitchat_store *store, const git_oid *id, const char *room, git_oid *bad)
{
	verify_walk_opts o = { 1, 0, NULL };

	return verify_walk(store, id, room, bad, NULL, &o);
}

/* The signer and first parent of a commit the walk did not parse (it was
 * decided before): read (unless at hand) and parsed once. */
static int top_parse(verify_top *top, gitchat_store *store, const git_oid *id, int cached)
{
	gitchat_buf raw = GITCHAT_BUF_INIT;
	gitchat_commit c;
	int error;

	if (!top->bytes) {
		if ((error = verify_read_commit(&raw, store, id, cached)) < 0)
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
                      const verify_walk_opts *o)
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
	if ((error = verify_walk(store, new_id, ref.room, bad, &top, o)) < 0)
		return error;
	if (!top.parsed && (error = top_parse(&top, store, new_id, o->cached)) < 0)
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
	verify_walk_opts o = { flush, 0, NULL };

	return ref_update(store, refname, old, new_id, bytes, len, bad, &o);
}

int gitchat_verify_ref_update_cached(gitchat_store *store, const char *refname,
                                     const git_oid *old, const git_oid *new_id, git_oid *bad,
                                     const gitchat_verify_seen *seen)
{
	verify_walk_opts o = { 1, 1, seen };

	return ref_update(store, refname, old, new_id, NULL, 0, bad, &o);
}

int gitchat_verify_ref_update(gitchat_store *store, const char *refname, const git_oid *old,
                              const git_oid *new_id, git_oid *bad)
{
	verify_walk_opts o = { 1, 0, NULL };

	return ref_update(store, refname, old, new_id, NULL, 0, bad, &o);
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
