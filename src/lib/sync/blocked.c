/*
 * A log we cannot push: the remote's copy is not in ours, so the push would
 * not be a fast-forward, and pushes are never forced. Left unsaid, the
 * author's messages would silently stay on their machine for good (a
 * server that holds a forged commit on top of someone's log refuses every
 * later push of it). So each sync tells, per log: what the remote's copy is
 * (invalid, a fork, or not fetched), how many commits of the log's own
 * chain the remote lacks, and the newest of them it holds, which is where
 * an admin can put the ref back.
 */
#include <stdlib.h>
#include <string.h>

#include "sync/sync_internal.h"
#include "gitchat/verify.h"
#include "util/error.h"
#include "util/oidmap.h"

/* The commits of `ours` that `theirs` does not reach. 0, or -1 when the
 * walk failed (a commit missing): then nothing can be said. */
static int missing_there(gitchat_oidmap *out, git_repository *repo, const git_oid *ours,
                         const git_oid *theirs)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int error;

	if ((error = git_revwalk_new(&walk, repo)) < 0 || (error = git_revwalk_push(walk, ours)) < 0 ||
	    (error = git_revwalk_hide(walk, theirs)) < 0)
		goto done;
	while ((error = git_revwalk_next(&id, walk)) == 0)
		if (gitchat_oidmap_set(out, &id, 1) < 0) {
			error = GITCHAT_ENOMEM;
			goto done;
		}
	error = error == GIT_ITEROVER ? 0 : error;
done:
	git_revwalk_free(walk);
	if (error < 0 && error != GITCHAT_ENOMEM) {
		git_error_clear();
		error = -1;
	}
	return error;
}

/* Walks the log's own chain from `ours` (first parent while the signer is
 * the log's key): *count = its commits in `missing`, *base = the first one
 * that is not (the newest the remote holds); *has_base = 0 when the chain
 * ends first. */
static void own_chain(size_t *count, git_oid *base, int *has_base, sync_remote *r,
                      const gitchat_tip *t, const gitchat_oidmap *missing)
{
	git_oid id = t->id;
	uint32_t v;

	*count = 0;
	*has_base = 0;
	for (;;) {
		git_commit *c = NULL;
		gitchat_pubkey signer;

		if (!gitchat_oidmap_get(missing, &id, &v)) {
			*base = id;
			*has_base = 1;
			break;
		}
		(*count)++;
		if (git_commit_lookup(&c, r->repo, &id) < 0 || git_commit_parentcount(c) == 0) {
			git_commit_free(c);
			break;
		}
		git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_commit_free(c);
		if (gitchat_commit_signer(&signer, r->store, &id) < 0 ||
		    gitchat_pubkey_cmp(&signer, &t->ref.key) != 0)
			break;
	}
	git_error_clear();
	gitchat_error_clear();
}

int sync_blocked_report(sync_remote *r, const gitchat_tip *t, const git_oid *theirs)
{
	gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_NOT_PUSHED };
	gitchat_oidmap missing = GITCHAT_OIDMAP_INIT;
	gitchat_buf why = GITCHAT_BUF_INIT;
	git_oid bad, base;
	int has_base = 0, error;

	ev.refname = t->refname;
	ev.room = t->ref.room;
	ev.key = &t->ref.key;
	ev.commit = &t->id;
	ev.old = theirs;
	ev.blocked = GITCHAT_SYNC_BLOCKED_UNKNOWN;
	if (sync_odb_has(r->repo, theirs)) {
		/* Checked again at each sync: an invalid commit is not cached. */
		git_oid_cpy(&bad, theirs);
		error = gitchat_verify_ref_update(r->store, t->refname, NULL, theirs, &bad);
		if (error == GITCHAT_EVERIFY) {
			char hex[GIT_OID_HEXSZ + 1];
			ev.blocked = GITCHAT_SYNC_BLOCKED_INVALID;
			if (git_oid_equal(&bad, theirs))
				error = gitchat_buf_puts(&why, gitchat_error_last()->message);
			else
				error = gitchat_buf_printf(&why, "its ancestor %s: %s",
				                           git_oid_tostr(hex, sizeof(hex), &bad),
				                           gitchat_error_last()->message);
			if (error < 0)
				goto done;
			ev.reason = why.ptr;
		} else if (error < 0) {
			goto done;
		} else if (git_graph_descendant_of(r->repo, theirs, &t->id) == 1) {
			/* Valid and ahead of ours (not fetched: --no-fetch): nothing
			 * of ours is held back; the next fetch takes it. */
			error = 0;
			goto done;
		} else {
			ev.blocked = GITCHAT_SYNC_BLOCKED_FORK;
		}
		if ((error = missing_there(&missing, r->repo, &t->id, theirs)) == GITCHAT_ENOMEM)
			goto done;
		if (error == 0) {
			own_chain(&ev.count, &base, &has_base, r, t, &missing);
			ev.base = has_base ? &base : NULL;
		}
	}
	gitchat_error_clear();
	r->res->pub.not_pushed++;
	if (ev.blocked == GITCHAT_SYNC_BLOCKED_INVALID)
		r->res->blocked_invalid++;
	error = sync_emit(r, &ev);
done:
	git_error_clear();
	gitchat_oidmap_dispose(&missing);
	gitchat_buf_dispose(&why);
	return error;
}
