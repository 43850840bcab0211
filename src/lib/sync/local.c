/*
 * Sync with a repository on a local path (a USB stick, a shared disk):
 * objects are packed straight from one repository into the other, and the
 * remote's refs are moved with a compare-and-swap, as a push would. Only
 * the asked logs travel (libgit2's own local transport sends the objects
 * of every ref of the remote). Like libgit2's and git's local transports
 * this runs no hooks of the remote repository.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sync/sync_internal.h"
#include "util/error.h"

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

static int same_repository(git_repository *a, git_repository *b)
{
	struct stat sa, sb;

	return stat(git_repository_path(a), &sa) == 0 && stat(git_repository_path(b), &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int sync_local_open(sync_remote *r)
{
	struct stat st;
	int error, create = 0;

	if (r->peer)
		return 0;
	if (stat(r->url, &st) < 0) {
		if (errno != ENOENT)
			return gitchat_error_set(GITCHAT_EIO, "cannot read '%s': %s", r->url,
			                         strerror(errno));
		create = 1;
	} else if (S_ISDIR(st.st_mode) && dir_is_empty(r->url)) {
		create = 1;
	}
	if (create) {
		/* Sneakernet: a new stick or directory becomes a bare repository. */
		if ((error = git_repository_init(&r->peer, r->url, 1)) < 0)
			return gitchat_error_from_git(error, "cannot create a repository at '%s'", r->url);
		r->created = 1;
		{
			gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_CREATED };
			sync_emit(r, &ev);
		}
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return gitchat_error_set(GITCHAT_ENOTFOUND,
			"'%s' is not a git repository (it is a file); give the path of a bare "
			"repository, or a new path to create one", r->url);
	error = git_repository_open_ext(&r->peer, r->url, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (error < 0)
		return gitchat_error_set(GITCHAT_ENOTFOUND,
			"'%s' is not a git repository; give the path of a bare repository, or a "
			"new path to create one", r->url);
	if (same_repository(r->peer, r->repo)) {
		git_repository_free(r->peer);
		r->peer = NULL;
		return gitchat_error_set(GITCHAT_EINVALID, "'%s' is this store itself", r->url);
	}
	return 0;
}

static int head_cmp(const void *a, const void *b)
{
	return strcmp(((const sync_head *)a)->refname, ((const sync_head *)b)->refname);
}

int sync_local_list(sync_remote *r)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	size_t cap = 0;
	int error;

	sync_heads_dispose(&r->heads);
	if ((error = git_reference_iterator_glob_new(&it, r->peer, GITCHAT_REFS_PREFIX "*")) < 0)
		return gitchat_error_from_git(error, "cannot list the refs of '%s'", r->url);
	while ((error = git_reference_next(&ref, it)) == 0) {
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT) {
			if (r->heads.n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				sync_head *nv = realloc(r->heads.v, ncap * sizeof(*nv));
				if (!nv) {
					git_reference_free(ref);
					error = gitchat_error_oom();
					goto done;
				}
				r->heads.v = nv;
				cap = ncap;
			}
			if (!(r->heads.v[r->heads.n].refname = strdup(git_reference_name(ref)))) {
				git_reference_free(ref);
				error = gitchat_error_oom();
				goto done;
			}
			git_oid_cpy(&r->heads.v[r->heads.n++].id, git_reference_target(ref));
		}
		git_reference_free(ref);
	}
	error = error == GIT_ITEROVER ? 0 :
	        gitchat_error_from_git(error, "cannot list the refs of '%s'", r->url);
	if (r->heads.n)
		qsort(r->heads.v, r->heads.n, sizeof(*r->heads.v), head_cmp);
done:
	git_reference_iterator_free(it);
	return error;
}

typedef struct {
	sync_remote *r;
	git_odb_writepack *wp;
	git_indexer_progress stats;
	gitchat_sync_direction dir;
} copy_ctx;

static int copy_progress(const git_indexer_progress *stats, void *payload)
{
	copy_ctx *c = payload;
	gitchat_sync_progress p = { 0 };

	p.direction = c->dir;
	p.objects = stats->received_objects;
	p.total_objects = stats->total_objects;
	p.indexed_objects = stats->indexed_objects;
	p.bytes = stats->received_bytes;
	return sync_progress(c->r, &p) ? GIT_EUSER : 0;
}

static int copy_chunk(void *buf, size_t len, void *payload)
{
	copy_ctx *c = payload;

	c->stats.received_bytes += len;
	return c->wp->append(c->wp, buf, len, &c->stats);
}

/* Packs what `walk` reaches in `from` (objects of `pb`) into `to`. */
static int copy_pack(sync_remote *r, git_packbuilder *pb, git_repository *to,
                     gitchat_sync_direction dir)
{
	copy_ctx c;
	git_odb *odb = NULL;
	gitchat_sync_progress p = { 0 };
	int error;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.dir = dir;
	if (git_packbuilder_object_count(pb) == 0)
		return 0;
	if ((error = git_repository_odb(&odb, to)) < 0 ||
	    (error = git_odb_write_pack(&c.wp, odb, copy_progress, &c)) < 0)
		goto done;
	if ((error = git_packbuilder_foreach(pb, copy_chunk, &c)) < 0 ||
	    (error = c.wp->commit(c.wp, &c.stats)) < 0)
		goto done;
	p.direction = dir;
	p.objects = c.stats.received_objects;
	p.total_objects = c.stats.total_objects;
	p.indexed_objects = c.stats.indexed_objects;
	p.bytes = c.stats.received_bytes;
	p.done = 1;
	sync_progress(r, &p);
done:
	if (c.wp)
		c.wp->free(c.wp);
	git_odb_free(odb);
	if (error < 0)
		return r->cancelled ? gitchat_error_set(GITCHAT_ERROR, "'%s': cancelled", r->url) :
		       gitchat_error_from_git(error, "cannot copy the objects %s '%s'",
		                              dir == GITCHAT_SYNC_RECEIVING ? "from" : "to", r->url);
	return 0;
}

/* Hides from `walk` every commit `ids` names that `walk`'s repository has. */
static void hide_known(git_revwalk *walk, const git_oid *id)
{
	if (git_revwalk_hide(walk, id) < 0)
		git_error_clear();  /* not there (or not a commit): nothing to hide */
}

static int hide_chat_tips(git_revwalk *walk, git_repository *tips_of)
{
	gitchat_tips tips;
	int error;

	if ((error = gitchat_tips_list(&tips, NULL, tips_of, NULL)) < 0)
		return error;
	for (size_t i = 0; i < tips.count; i++)
		hide_known(walk, &tips.tips[i].id);
	gitchat_tips_dispose(&tips);
	return 0;
}

static int add_tip(git_packbuilder *pb, git_revwalk *walk, git_repository *repo,
                   const git_oid *id)
{
	git_object *obj = NULL;
	int error;

	if ((error = git_object_lookup(&obj, repo, id, GIT_OBJECT_ANY)) < 0)
		return error;
	/* A non-commit under refs/chat/ is bad data; send it so that it is
	 * rejected by name rather than silently missing. */
	error = git_object_type(obj) == GIT_OBJECT_COMMIT ? git_revwalk_push(walk, id) :
	        git_packbuilder_insert_recur(pb, id, NULL);
	git_object_free(obj);
	return error;
}

int sync_local_fetch(sync_remote *r, const git_oid *ids, size_t n)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	size_t i;
	int error;

	if ((error = git_packbuilder_new(&pb, r->peer)) < 0 ||
	    (error = git_revwalk_new(&walk, r->peer)) < 0) {
		error = gitchat_error_from_git(error, "cannot read '%s'", r->url);
		goto done;
	}
	git_packbuilder_set_threads(pb, 0);
	for (i = 0; i < n; i++)
		if ((error = add_tip(pb, walk, r->peer, &ids[i])) < 0) {
			error = gitchat_error_from_git(error, "cannot read the logs of '%s'", r->url);
			goto done;
		}
	if ((error = hide_chat_tips(walk, r->repo)) < 0)
		goto done;
	if ((error = git_packbuilder_insert_walk(pb, walk)) < 0) {
		error = gitchat_error_from_git(error, "cannot read the logs of '%s'", r->url);
		goto done;
	}
	error = copy_pack(r, pb, r->repo, GITCHAT_SYNC_RECEIVING);
done:
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return error;
}

int sync_local_push(sync_remote *r, sync_update *updates, size_t n)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	git_reference *ref = NULL;
	size_t i;
	int error;

	if ((error = git_packbuilder_new(&pb, r->repo)) < 0 ||
	    (error = git_revwalk_new(&walk, r->repo)) < 0) {
		error = gitchat_error_from_git(error, "cannot read the store");
		goto done;
	}
	git_packbuilder_set_threads(pb, 0);
	for (i = 0; i < n; i++)
		if ((error = add_tip(pb, walk, r->repo, &updates[i].id)) < 0) {
			error = gitchat_error_from_git(error, "cannot read the log '%s'",
			                               updates[i].refname);
			goto done;
		}
	for (i = 0; i < r->heads.n; i++)
		hide_known(walk, &r->heads.v[i].id);
	if ((error = git_packbuilder_insert_walk(pb, walk)) < 0) {
		error = gitchat_error_from_git(error, "cannot pack the logs for '%s'", r->url);
		goto done;
	}
	if ((error = copy_pack(r, pb, r->peer, GITCHAT_SYNC_SENDING)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		sync_update *u = &updates[i];
		int rc;
		if (git_oid_is_zero(&u->old))
			rc = git_reference_create(&ref, r->peer, u->refname, &u->id, 0, "git-chat: sync");
		else
			rc = git_reference_create_matching(&ref, r->peer, u->refname, &u->id, 1, &u->old,
			                                   "git-chat: sync");
		git_reference_free(ref);
		ref = NULL;
		if (rc == 0) {
			u->done = 1;
			continue;
		}
		if (rc == GIT_EEXISTS || rc == GIT_EMODIFIED || rc == GIT_ELOCKED)
			u->reason = strdup("the log changed there while we pushed; sync again");
		else
			u->reason = strdup(git_error_last() ? git_error_last()->message : "cannot update");
		git_error_clear();
		if (!u->reason) {
			error = gitchat_error_oom();
			goto done;
		}
	}
	error = 0;
done:
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return error;
}

void sync_local_close(sync_remote *r)
{
	git_repository_free(r->peer);
	r->peer = NULL;
}
