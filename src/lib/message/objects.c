#include <string.h>
#include <git2/sys/odb_backend.h>

#include "message/commit.h"
#include "message/objects.h"
#include "util/buf.h"
#include "util/error.h"

int gitchat_objects_open(gitchat_objects *o, git_repository *repo)
{
	size_t i, n;
	int error;

	memset(o, 0, sizeof(*o));
	if ((error = git_repository_odb(&o->odb, repo)) < 0)
		return gitchat_error_from_git(error, "cannot open the object database");
	n = git_odb_num_backends(o->odb);
	for (i = 0; i < n && o->nbackends < sizeof(o->backends) / sizeof(*o->backends); i++) {
		git_odb_backend *b = NULL;
		if (git_odb_get_backend(&b, o->odb, i) == 0 && b && b->read)
			o->backends[o->nbackends++] = b;
	}
	return 0;
}

void gitchat_objects_close(gitchat_objects *o)
{
	git_odb_free(o->odb);
	memset(o, 0, sizeof(*o));
}

static int not_a_commit(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	return gitchat_error_set(GITCHAT_EINVALID, "object %s is not a commit",
	                         git_oid_tostr(hex, sizeof(hex), id));
}

static int corrupt(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	return gitchat_error_set(GITCHAT_EINVALID, "object %s is corrupt: its content does not "
	                         "hash to its id", git_oid_tostr(hex, sizeof(hex), id));
}

/* What libgit2's reads check (GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION). */
static int check_hash(const git_oid *id, const void *data, size_t len)
{
	git_oid got;

	if (git_odb_hash(&got, data, len, GIT_OBJECT_COMMIT) < 0 || !git_oid_equal(&got, id))
		return corrupt(id);
	return 0;
}

/* Through libgit2 (which checks the object's hash). */
static int odb_read_commit(gitchat_buf *out, git_odb *odb, const git_oid *id)
{
	git_odb_object *obj = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	gitchat_buf_clear(out);
	error = git_odb_read(&obj, odb, id);
	if (error == GIT_EMISMATCH)   /* libgit2's own hash check: the same verdict as ours */
		return corrupt(id);
	if (error < 0)
		return gitchat_error_set(error == GIT_ENOTFOUND ? GITCHAT_ENOTFOUND : GITCHAT_EGIT,
			"commit %s is missing from the store", git_oid_tostr(hex, sizeof(hex), id));
	if (git_odb_object_type(obj) != GIT_OBJECT_COMMIT)
		error = not_a_commit(id);
	else
		error = gitchat_buf_put(out, git_odb_object_data(obj), git_odb_object_size(obj));
	git_odb_object_free(obj);
	return error;
}

int gitchat_objects_read_commit(gitchat_buf *out, gitchat_objects *o, const git_oid *id)
{
	size_t i;
	int error;

	gitchat_buf_clear(out);
	if (o->cached)
		return odb_read_commit(out, o->odb, id);
	for (i = 0; i < o->nbackends; i++) {
		void *data = NULL;
		size_t len = 0;
		git_object_t type = GIT_OBJECT_INVALID;
		if (o->backends[i]->read(&data, &len, &type, o->backends[i], id) != 0)
			continue;
		if (type != GIT_OBJECT_COMMIT) {
			git_odb_backend_data_free(o->backends[i], data);
			return not_a_commit(id);
		}
		error = o->check_hash ? check_hash(id, data, len) : 0;
		if (error == 0)
			error = gitchat_buf_put(out, data, len);
		git_odb_backend_data_free(o->backends[i], data);
		return error;
	}
	/* Not where we looked: the slow path refreshes the packs (a fetch may
	 * have added one since we opened them) and knows every backend. */
	git_error_clear();
	return odb_read_commit(out, o->odb, id);
}

int gitchat_objects_exists(gitchat_objects *o, const git_oid *id)
{
	size_t i;

	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < o->nbackends; i++)
			if (o->backends[i]->exists && o->backends[i]->exists(o->backends[i], id))
				return 1;
		/* A pack written since the backends were opened. */
		if (pass == 0 && git_odb_refresh(o->odb) < 0)
			break;
	}
	git_error_clear();
	return 0;
}

int gitchat_commit_read_raw(gitchat_buf *raw, git_repository *repo, const git_oid *id)
{
	gitchat_objects o;
	int error;

	/* Not through libgit2's object cache either: what `send` reads back
	 * must be what is stored now, not what was a moment ago. */
	if ((error = gitchat_objects_open(&o, repo)) < 0)
		return error;
	o.check_hash = 1;
	error = gitchat_objects_read_commit(raw, &o, id);
	gitchat_objects_close(&o);
	return error;
}

int gitchat_commit_read_cached(gitchat_buf *raw, git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	int error;

	if ((error = git_repository_odb(&odb, repo)) < 0)
		return gitchat_error_from_git(error, "cannot open the object database");
	if ((error = odb_read_commit(raw, odb, id)) == 0)
		error = check_hash(id, raw->ptr, raw->size);   /* also where libgit2's is off */
	git_odb_free(odb);
	return error;
}
