#include <stdlib.h>
#include <string.h>

#include "sync/heads.h"
#include "util/array.h"
#include "util/error.h"

static int head_cmp(const void *a, const void *b)
{
	return strcmp(((const sync_head *)a)->refname, ((const sync_head *)b)->refname);
}

int sync_heads_add(sync_heads *h, const char *refname, const git_oid *id)
{
	int error = gitchat_array_grow(&h->v, &h->cap, h->n + 1, sizeof(*h->v), 16);

	if (error < 0)
		return error;
	if (!(h->v[h->n].refname = strdup(refname)))
		return gitchat_error_oom();
	git_oid_cpy(&h->v[h->n++].id, id);
	return 0;
}

void sync_heads_sort(sync_heads *h)
{
	if (h->n)
		qsort(h->v, h->n, sizeof(*h->v), head_cmp);
}

const sync_head *sync_heads_find(const sync_heads *h, const char *refname)
{
	sync_head key;

	if (!h->n)
		return NULL;
	key.refname = (char *)refname;
	return bsearch(&key, h->v, h->n, sizeof(*h->v), head_cmp);
}

void sync_heads_dispose(sync_heads *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i].refname);
	free(h->v);
	memset(h, 0, sizeof(*h));
}

int sync_rooms_wanted(const sync_rooms *rooms, const char *room)
{
	if (!rooms->v)
		return 1;
	for (size_t i = 0; i < rooms->n; i++)
		if (!strcmp(rooms->v[i], room))
			return 1;
	return 0;
}

int sync_odb_has(git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	int has = 0;

	if (git_repository_odb(&odb, repo) == 0)
		has = git_odb_exists(odb, id);
	git_odb_free(odb);
	return has;
}
