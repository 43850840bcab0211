#include <stdlib.h>
#include <string.h>

#include "gitchat/verify.h"
#include "message/parents.h"
#include "store/refs.h"
#include "store/store_internal.h"
#include "util/error.h"

typedef struct {
	git_oid id;
	int64_t time;
	int dropped;
} candidate;

static int newest_first(const void *a, const void *b)
{
	const candidate *x = a, *y = b;
	if (x->time != y->time)
		return x->time > y->time ? -1 : 1;
	return git_oid_cmp(&x->id, &y->id);
}

/* 1 when `a` is an ancestor of `d` (or equal). */
static int is_ancestor(git_repository *repo, const git_oid *a, const git_oid *d)
{
	return git_oid_equal(a, d) || git_graph_descendant_of(repo, d, a) == 1;
}

int gitchat_parents_choose(gitchat_parents *out, gitchat_store *store, const char *room,
                           const char *own_ref, const git_oid *own_head)
{
	gitchat_tips tips;
	candidate *c = NULL;
	size_t i, j, n = 0;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = gitchat_tips_list(&tips, NULL, store->repo, room)) < 0)
		return error;
	if (tips.count && !(c = calloc(tips.count, sizeof(*c)))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (i = 0; i < tips.count; i++) {
		const gitchat_tip *t = &tips.tips[i];
		git_commit *commit = NULL;
		if (strcmp(t->refname, own_ref) == 0 || (own_head && git_oid_equal(&t->id, own_head)))
			continue;
		for (j = 0; j < n && !git_oid_equal(&c[j].id, &t->id); j++)
			;
		if (j < n)
			continue;
		/* Only verified heads: an invalid parent would make ours invalid. */
		if (gitchat_verify_ref_update(store, t->refname, NULL, &t->id, NULL) < 0) {
			gitchat_error_clear();
			continue;
		}
		if (git_commit_lookup(&commit, store->repo, &t->id) < 0)
			continue;
		c[n].id = t->id;
		c[n].time = git_commit_author(commit)->when.time;
		git_commit_free(commit);
		n++;
	}
	if (n)
		qsort(c, n, sizeof(*c), newest_first);
	for (i = 0; i < n; i++) {
		if (own_head && is_ancestor(store->repo, &c[i].id, own_head)) {
			c[i].dropped = 1;
			continue;
		}
		for (j = 0; j < n && !c[i].dropped; j++)
			if (j != i && !c[j].dropped && is_ancestor(store->repo, &c[i].id, &c[j].id))
				c[i].dropped = 1;
	}
	if (n && !(out->ids = calloc(n, sizeof(git_oid)))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (i = 0; i < n && out->count < GITCHAT_MAX_OTHER_PARENTS; i++)
		if (!c[i].dropped)
			out->ids[out->count++] = c[i].id;
	error = 0;
done:
	free(c);
	gitchat_tips_dispose(&tips);
	return error;
}

void gitchat_parents_dispose(gitchat_parents *p)
{
	free(p->ids);
	memset(p, 0, sizeof(*p));
}
