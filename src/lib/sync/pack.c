/*
 * Copying the objects one repository lacks from another on a local path,
 * as one new pack, with libgit2's packbuilder and indexer
 * (git_packbuilder_write): no pack or index format of our own.
 *
 * The walk stops at commits the target already has (their history came
 * with them, as git's own negotiation assumes); each commit brings its
 * tree. The pack lands in the target's objects/pack through libgit2's
 * indexer, which checks every object's hash as it indexes it.
 */
#include <string.h>

#include "sync/pack.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct {
	git_odb *to;
	gitchat_sync_direction dir;
	sync_pack_progress_fn cb;
	void *payload;
	int cancelled;
} copy_ctx;

/* The walk hides what the target has: a commit there brings its history. */
static int hide_cb(const git_oid *id, void *payload)
{
	copy_ctx *c = payload;
	return git_odb_exists_ext(c->to, id, GIT_ODB_LOOKUP_NO_REFRESH) ? 1 : 0;
}

static int tell(copy_ctx *c, size_t objects, size_t total, size_t bytes, int done)
{
	gitchat_sync_progress p = { 0 };

	if (!c->cb)
		return 0;
	p.direction = c->dir;
	p.objects = objects;
	p.indexed_objects = objects;
	p.total_objects = total;
	p.bytes = bytes;
	p.done = done;
	if (c->cb(&p, c->payload) != 0) {
		c->cancelled = 1;
		return GIT_EUSER;
	}
	return 0;
}

static int index_progress_cb(const git_indexer_progress *st, void *payload)
{
	return tell(payload, st->indexed_objects, 0, st->received_bytes, 0);
}

int sync_pack_copy(git_repository *from, git_repository *to, const git_oid *tips, size_t n,
                   const sync_pack_how *how)
{
	copy_ctx ctx = { NULL, how->dir, how->progress_cb, how->payload, 0 };
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	gitchat_buf dir = GITCHAT_BUF_INIT;
	git_oid id;
	size_t i;
	int error;

	if ((error = git_repository_odb(&ctx.to, to)) < 0 ||
	    (error = git_packbuilder_new(&pb, from)) < 0 ||
	    (error = git_revwalk_new(&walk, from)) < 0 ||
	    (error = git_revwalk_add_hide_cb(walk, hide_cb, &ctx)) < 0) {
		error = gitchat_error_from_git(error, "cannot copy objects from '%s'", how->where);
		goto done;
	}
	git_packbuilder_set_threads(pb, 1);
	for (i = 0; i < n; i++)
		if ((error = git_revwalk_push(walk, &tips[i])) < 0) {
			error = gitchat_error_from_git(error, "cannot copy objects from '%s'", how->where);
			goto done;
		}
	while ((error = git_revwalk_next(&id, walk)) == 0)
		if ((error = git_packbuilder_insert_commit(pb, &id)) < 0)
			break;
	if (error != GIT_ITEROVER) {
		error = gitchat_error_from_git(error, "cannot copy objects from '%s'", how->where);
		goto done;
	}
	if (!git_packbuilder_object_count(pb)) {
		error = 0;     /* nothing missing: no pack */
		goto done;
	}
	if (gitchat_buf_printf(&dir, "%sobjects/pack", git_repository_path(to)) < 0) {
		error = GITCHAT_ENOMEM;
		goto done;
	}
	error = git_packbuilder_write(pb, dir.ptr, 0, index_progress_cb, &ctx);
	if (error < 0) {
		error = ctx.cancelled ? gitchat_error_set(GITCHAT_ERROR, "cancelled by the caller")
		      : gitchat_error_from_git(error, "cannot write the new pack in '%s'", dir.ptr);
		goto done;
	}
	if ((error = git_odb_refresh(ctx.to)) < 0) {
		error = gitchat_error_from_git(error, "cannot read the new pack in '%s'", dir.ptr);
		goto done;
	}
	if (tell(&ctx, git_packbuilder_written(pb), git_packbuilder_written(pb), 0, 1))
		error = gitchat_error_set(GITCHAT_ERROR, "cancelled by the caller");
done:
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	git_odb_free(ctx.to);
	gitchat_buf_dispose(&dir);
	return error;
}
