/*
 * A log we cannot push: the remote's copy is not in ours, so the push would
 * not be a fast-forward, and pushes are never forced. Left unsaid, the
 * author's messages would silently stay on their machine for good (a
 * server that holds a forged commit on top of someone's log refuses every
 * later push of it). So each sync tells, per log: what the remote's copy is
 * (invalid, a fork, or not fetched), how many commits of the log's own
 * chain the remote lacks, and, for an invalid copy, where an admin can put
 * the ref back: the newest valid commit of the log in the remote's own
 * copy (not ours: a store that is behind would roll the server back past
 * valid messages), a deletion only when nothing there is the log's, or
 * "unknown" rather than a guess.
 */
#include <stdlib.h>
#include <string.h>

#include "sync/blocked.h"
#include "sync/heads.h"
#include "gitchat/verify.h"
#include "util/error.h"
#include "util/oidmap.h"

typedef struct {
	sync_report *report;
	gitchat_store *store;
	git_repository *repo;
} blocked_ctx;

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
 * that is not (the newest of ours the remote holds); *has_base = 0 when the
 * chain ends first. */
static void own_chain(size_t *count, git_oid *base, int *has_base, blocked_ctx *r,
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

/* 1 when `from` or one of its ancestors is signed by `key`, 0 when none
 * is, -1 when that cannot be told (a commit missing here). */
static int any_signed_by(blocked_ctx *r, const git_oid *from, const gitchat_pubkey *key)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int error, found = 0;

	if ((error = git_revwalk_new(&walk, r->repo)) < 0 ||
	    (error = git_revwalk_push(walk, from)) < 0)
		goto done;
	while ((error = git_revwalk_next(&id, walk)) == 0) {
		gitchat_pubkey signer;
		int e = gitchat_commit_signer(&signer, r->store, &id);
		if (e == 0 && !gitchat_pubkey_cmp(&signer, key)) {
			found = 1;
			break;
		}
		if (e < 0 && e != GITCHAT_EVERIFY) {
			error = -1;
			goto done;
		}
	}
	error = found || error == GIT_ITEROVER ? 0 : -1;
done:
	git_revwalk_free(walk);
	git_error_clear();
	gitchat_error_clear();
	return error < 0 ? -1 : found;
}

/* Where the remote's invalid copy `theirs` can be put back without losing
 * anything valid: the newest commit on its first-parent chain that the ref
 * may point at (valid, the log's key, its room), which may be ahead of our
 * own copy (*base: REPAIR_RESET); a deletion only when nothing in it is
 * signed by the log's key at all; else unknown (a commit of it missing
 * here, say), never a guess. */
static gitchat_sync_repair remote_base(git_oid *base, blocked_ctx *r, const gitchat_tip *t,
                                       const git_oid *theirs)
{
	gitchat_sync_repair repair = GITCHAT_SYNC_REPAIR_UNKNOWN;
	git_oid id = *theirs, bad;

	for (;;) {
		git_commit *c = NULL;
		size_t parents;

		if (!sync_odb_has(r->repo, &id))
			break;
		if (!git_oid_equal(&id, theirs)) {
			int error = gitchat_verify_ref_update(r->store, t->refname, NULL, &id, &bad);
			if (error == 0) {
				*base = id;
				repair = GITCHAT_SYNC_REPAIR_RESET;
				break;
			}
			if (error != GITCHAT_EVERIFY)
				break;
		}
		if (git_commit_lookup(&c, r->repo, &id) < 0)
			break;
		parents = git_commit_parentcount(c);
		if (parents)
			git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_commit_free(c);
		if (!parents) {
			if (any_signed_by(r, theirs, &t->ref.key) == 0)
				repair = GITCHAT_SYNC_REPAIR_DELETE;
			break;
		}
	}
	git_error_clear();
	gitchat_error_clear();
	return repair;
}

static int report_one(blocked_ctx *r, const gitchat_tip *t, const git_oid *theirs)
{
	gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_NOT_PUSHED };
	gitchat_oidmap missing = GITCHAT_OIDMAP_INIT;
	gitchat_buf why = GITCHAT_BUF_INIT;
	git_oid bad, base, ours_base;
	const git_oid *hide = theirs;
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
			/* The message names the ancestor to blame, if any. */
			if ((error = gitchat_buf_puts(&why, gitchat_error_last()->message)) < 0)
				goto done;
			ev.blocked = GITCHAT_SYNC_BLOCKED_INVALID;
			ev.reason = why.ptr;
			/* The repair restores the remote's own last valid commit,
			 * never ours: ours may be behind it. */
			ev.repair = remote_base(&base, r, t, theirs);
			if (ev.repair == GITCHAT_SYNC_REPAIR_RESET) {
				ev.base = &base;
				hide = &base;
			}
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
		if ((error = missing_there(&missing, r->repo, &t->id, hide)) == GITCHAT_ENOMEM)
			goto done;
		if (error == 0) {
			own_chain(&ev.count, &ours_base, &has_base, r, t, &missing);
			if (ev.blocked == GITCHAT_SYNC_BLOCKED_FORK)
				ev.base = has_base ? &ours_base : NULL;
		}
	}
	gitchat_error_clear();
	r->report->res->pub.not_pushed++;
	if (ev.blocked == GITCHAT_SYNC_BLOCKED_INVALID)
		r->report->res->blocked_invalid++;
	error = sync_report_emit(r->report, &ev);
done:
	git_error_clear();
	gitchat_oidmap_dispose(&missing);
	gitchat_buf_dispose(&why);
	return error;
}

int sync_blocked_report(sync_report *rep, gitchat_store *store, const gitchat_tip *t,
                        const git_oid *theirs)
{
	blocked_ctx ctx = { rep, store, gitchat_store_repository(store) };
	return report_one(&ctx, t, theirs);
}
