/*
 * Sync with a repository on a local path (a USB stick, a shared disk):
 * the missing objects are copied as one new pack (pack.c), and the
 * remote's refs are moved with a compare-and-swap, as a push would. Only
 * the asked logs travel (libgit2's own local transport sends the objects
 * of every ref of the remote). Unlike `git push PATH` (which runs
 * receive-pack, and so the hooks, there) this runs no hook of the remote
 * repository; local_note_hooks says so when one is installed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync/local.h"
#include "sync/pack.h"
#include "store/refs.h"
#include "util/error.h"

/* `base` first, so that a sync_conn * is one. */
typedef struct {
	sync_conn base;
	git_repository *repo;          /* ours */
	git_repository *peer;          /* theirs, once opened */
	const char *url;               /* its absolute path */
	sync_report *report;
} local_conn;

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

static int local_open(local_conn *r)
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
		r->base.created = 1;
		{
			gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_CREATED };
			sync_report_emit(r->report, &ev);
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

static int local_list(local_conn *r)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int error;

	sync_heads_dispose(&r->base.heads);
	if ((error = git_reference_iterator_glob_new(&it, r->peer, GITCHAT_REFS_PREFIX "*")) < 0)
		return gitchat_error_from_git(error, "cannot list the refs of '%s'", r->url);
	while ((error = git_reference_next(&ref, it)) == 0) {
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    (error = sync_heads_add(&r->base.heads, git_reference_name(ref),
		                            git_reference_target(ref))) < 0) {
			git_reference_free(ref);
			goto done;
		}
		git_reference_free(ref);
	}
	error = error == GIT_ITEROVER ? 0 :
	        gitchat_error_from_git(error, "cannot list the refs of '%s'", r->url);
	sync_heads_sort(&r->base.heads);
done:
	git_reference_iterator_free(it);
	return error;
}

static int local_connect(sync_conn *c, int direction)
{
	local_conn *r = (local_conn *)c;
	int error;

	(void)direction;
	return (error = local_open(r)) < 0 ? error : local_list(r);
}

static int pack_progress(const gitchat_sync_progress *p, void *payload)
{
	gitchat_sync_progress copy = *p;
	return sync_report_progress(payload, &copy);
}

static int copy_objects(local_conn *r, git_repository *from, git_repository *to,
                        const git_oid *ids, size_t n, gitchat_sync_direction dir)
{
	sync_pack_how how = { dir, r->url, pack_progress, r->report };
	return sync_pack_copy(from, to, ids, n, &how);
}

static int local_fetch(sync_conn *c, const git_oid *ids, const char *const *refnames, size_t n)
{
	local_conn *r = (local_conn *)c;

	(void)refnames;
	return copy_objects(r, r->peer, r->repo, ids, n, GITCHAT_SYNC_RECEIVING);
}

static int local_push(sync_conn *c, sync_update *updates, size_t n)
{
	local_conn *r = (local_conn *)c;
	git_reference *ref = NULL;
	git_oid *ids = NULL;
	size_t i;
	int error;

	if (n && !(ids = calloc(n, sizeof(*ids))))
		return gitchat_error_oom();
	for (i = 0; i < n; i++)
		ids[i] = updates[i].id;
	error = copy_objects(r, r->repo, r->peer, ids, n, GITCHAT_SYNC_SENDING);
	free(ids);
	if (error < 0)
		return error;
	/* Then the refs, each with a compare-and-swap on what we listed. */
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
		if (!u->reason)
			return gitchat_error_oom();
	}
	return 0;
}

static void local_close(sync_conn *c)
{
	local_conn *r = (local_conn *)c;

	git_repository_free(r->peer);
	r->peer = NULL;
}

/* Syncing by path writes the other repository's files directly, as anyone
 * who can write them could: its hooks do not run (git's own `git push
 * PATH` would run them, through receive-pack). A team that relies on a
 * pre-receive hook serves the repository over ssh, http(s) or git daemon;
 * this tells whoever pushes by path that the hook was not run. */
static void local_note_hooks(sync_conn *c)
{
	local_conn *r = (local_conn *)c;
	gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_HOOK_NOT_RUN };
	git_config *cfg = NULL;
	git_buf hooks = GIT_BUF_INIT;
	gitchat_buf path = GITCHAT_BUF_INIT;
	struct stat st;
	int error;

	if (!r->peer || r->base.created)
		return;
	/* core.hooksPath (relative: to the repository, bare as ours are), else
	 * hooks/ in the repository. */
	if (git_repository_config_snapshot(&cfg, r->peer) == 0 &&
	    git_config_get_path(&hooks, cfg, "core.hooksPath") == 0 && hooks.size)
		error = hooks.ptr[0] == '/' ? gitchat_buf_printf(&path, "%s/pre-receive", hooks.ptr)
		      : gitchat_buf_printf(&path, "%s%s/pre-receive", git_repository_path(r->peer),
		                           hooks.ptr);
	else
		error = gitchat_buf_printf(&path, "%shooks/pre-receive", git_repository_path(r->peer));
	if (error == 0 && stat(path.ptr, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path.ptr, X_OK) == 0) {
		ev.reason = path.ptr;
		sync_report_emit(r->report, &ev);
	}
	git_buf_dispose(&hooks);
	git_config_free(cfg);
	gitchat_buf_dispose(&path);
	git_error_clear();
}

static void local_free(sync_conn *c)
{
	local_close(c);
	sync_conn_base_dispose(c);
	free(c);
}

static const sync_conn_ops local_ops = {
	local_connect, local_fetch, local_push, local_note_hooks, local_close, local_free,
};

int sync_local_new(sync_conn **out, git_repository *repo, const char *path,
                   sync_report *report)
{
	local_conn *r;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))))
		return gitchat_error_oom();
	r->base.ops = &local_ops;
	r->repo = repo;
	r->url = path;
	r->report = report;
	*out = &r->base;
	return 0;
}
