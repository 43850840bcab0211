#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gitchat/verify.h"
#include "send/parents.h"
#include "store/refs.h"
#include "store/state.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"

#define MEMO_LINE (GIT_OID_HEXSZ + 1)

enum { KEPT = 0, ANCESTOR_OF_OWN, ANCESTOR_OF_OTHER };

typedef struct {
	git_oid id;
	int64_t time;
	int dropped;
} candidate;

static int memo_path(gitchat_buf *out, git_repository *repo, const char *own_ref)
{
	size_t n = strlen(GITCHAT_REFS_PREFIX);
	if (strncmp(own_ref, GITCHAT_REFS_PREFIX, n) != 0)
		return -1;
	return gitchat_buf_printf(out, "%schat/ancestors/%s", git_repository_path(repo),
	                          own_ref + n);
}

struct gitchat_send_memo {
	char *ref;           /* the log */
	git_oid head;        /* its head, as this store object wrote it */
	git_oid *seen;       /* heads known to be ancestors of `head` */
	size_t nseen;
	int dirty;           /* not yet in the file */
};

/* The memo is send/'s state in the store object (store/state.h); its
 * address names it there. */
static const char memo_key;

static struct gitchat_send_memo *memo_of(gitchat_store *store)
{
	return gitchat_store_state(store, &memo_key);
}

/* The heads known to be ancestors of own_head; none when the file is about
 * another head (or unreadable: it is a cache). Every line is a fact about
 * immutable commits, so a file cut short only knows less. */
static void memo_load(git_oid **out, size_t *n, gitchat_store *store, const char *own_ref,
                      const git_oid *own_head)
{
	gitchat_buf path = GITCHAT_BUF_INIT, data = GITCHAT_BUF_INIT;
	struct gitchat_send_memo *m = memo_of(store);

	*out = NULL;
	*n = 0;
	if (!own_head)
		return;
	if (m && strcmp(m->ref, own_ref) == 0 && git_oid_equal(&m->head, own_head)) {
		if (m->nseen && (*out = malloc(m->nseen * sizeof(git_oid)))) {
			memcpy(*out, m->seen, m->nseen * sizeof(git_oid));
			*n = m->nseen;
		}
		return;
	}
	if (memo_path(&path, gitchat_store_repository(store), own_ref) == 0 &&
	    gitchat_fs_read(&data, path.ptr, 1 << 22) == 0)
		gitchat_parents_memo_parse(out, n, data.ptr, data.size, own_head);
	gitchat_error_clear();
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&data);
}

void gitchat_parents_memo_parse(git_oid **out, size_t *n, const char *data, size_t len,
                                const git_oid *own_head)
{
	git_oid head;
	size_t i, count;

	*out = NULL;
	*n = 0;
	if (len < MEMO_LINE || git_oid_fromstrn(&head, data, GIT_OID_HEXSZ) < 0 ||
	    data[GIT_OID_HEXSZ] != '\n' || !git_oid_equal(&head, own_head))
		return;
	count = (len - MEMO_LINE) / MEMO_LINE;
	if (count && !(*out = malloc(count * sizeof(git_oid))))
		return;
	for (i = 0; i < count; i++) {
		const char *line = data + MEMO_LINE * (i + 1);
		if (line[GIT_OID_HEXSZ] == '\n' &&
		    git_oid_fromstrn(&(*out)[*n], line, GIT_OID_HEXSZ) == 0)
			(*n)++;
	}
}

static int memo_has(const git_oid *ids, size_t n, const git_oid *id)
{
	for (size_t i = 0; i < n; i++)
		if (git_oid_equal(&ids[i], id))
			return 1;
	return 0;
}

static void memo_write(git_repository *repo, const struct gitchat_send_memo *m)
{
	gitchat_buf path = GITCHAT_BUF_INIT, data = GITCHAT_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int fd;

	if (memo_path(&path, repo, m->ref) < 0 ||
	    gitchat_buf_printf(&data, "%s\n", git_oid_tostr(hex, sizeof(hex), &m->head)) < 0)
		goto done;
	for (i = 0; i < m->nseen; i++)
		if (gitchat_buf_printf(&data, "%s\n", git_oid_tostr(hex, sizeof(hex), &m->seen[i])) < 0)
			goto done;
	/* Rewritten in place, not renamed into place: no new inode per message.
	 * Two writers of one log mixing their lines is harmless: their heads are
	 * ordered by the ref's compare-and-swap, the current one descends from
	 * the other, so what holds for either holds for it. */
	if (gitchat_fs_open_regular(&fd, NULL, path.ptr, O_WRONLY | O_CREAT | O_NOFOLLOW, 0644) ==
	    GITCHAT_ENOTFOUND) {
		char *slash = strrchr(path.ptr, '/');
		*slash = '\0';
		if (gitchat_fs_mkdir_p(path.ptr, 0755) == 0) {
			*slash = '/';
			gitchat_fs_open_regular(&fd, NULL, path.ptr, O_WRONLY | O_CREAT | O_NOFOLLOW, 0644);
		}
	}
	if (fd < 0)
		goto done;
	if (pwrite(fd, data.ptr, data.size, 0) == (ssize_t)data.size &&
	    ftruncate(fd, (off_t)data.size) == 0) { /* done */ }
	close(fd);
done:
	gitchat_error_clear();
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&data);
}

/* Writes the record to its file and frees it: when the store object is
 * freed or moves to another log. */
static void memo_release(void *state, git_repository *repo)
{
	struct gitchat_send_memo *m = state;

	if (m->dirty)
		memo_write(repo, m);
	free(m->ref);
	free(m->seen);
	free(m);
}

void gitchat_parents_remember(gitchat_store *store, const char *own_ref, const git_oid *head,
                              const gitchat_parents *p)
{
	struct gitchat_send_memo *m = memo_of(store);

	/* Another log (another room or key): the old record goes to its file
	 * (gitchat_store_state_set releases it). */
	if (!m || strcmp(m->ref, own_ref) != 0) {
		if (!(m = calloc(1, sizeof(*m))) || !(m->ref = strdup(own_ref))) {
			free(m);
			gitchat_error_clear();
			return;
		}
		if (gitchat_store_state_set(store, &memo_key, m, memo_release) < 0) {
			gitchat_error_clear();
			return;
		}
	}
	free(m->seen);
	m->seen = NULL;
	m->nseen = 0;
	if (p->nseen && (m->seen = malloc(p->nseen * sizeof(git_oid)))) {
		memcpy(m->seen, p->seen, p->nseen * sizeof(git_oid));
		m->nseen = p->nseen;
	}
	m->head = *head;
	m->dirty = 1;
}

int gitchat_parents_wrote(gitchat_store *store, const char *own_ref, const git_oid *head)
{
	const struct gitchat_send_memo *m = memo_of(store);
	return m && strcmp(m->ref, own_ref) == 0 && git_oid_equal(&m->head, head);
}

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

int gitchat_parents_choose(gitchat_parents *out, gitchat_store *store, const char *own_ref,
                           const git_oid *own_head, const gitchat_tips *tips)
{
	git_repository *repo = gitchat_store_repository(store);
	candidate *c = NULL;
	git_oid *known = NULL;
	size_t i, j, n = 0, nknown = 0, kept;
	int error;

	memset(out, 0, sizeof(*out));
	memo_load(&known, &nknown, store, own_ref, own_head);
	if (tips->count && (!(c = calloc(tips->count, sizeof(*c))) ||
	                   !(out->seen = calloc(tips->count, sizeof(git_oid))))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (i = 0; i < tips->count; i++) {
		const gitchat_tip *t = &tips->tips[i];
		git_commit *commit = NULL;
		if (strcmp(t->refname, own_ref) == 0 || (own_head && git_oid_equal(&t->id, own_head)))
			continue;
		for (j = 0; j < n && !git_oid_equal(&c[j].id, &t->id); j++)
			;
		if (j < n || memo_has(out->seen, out->nseen, &t->id))
			continue;
		/* Known to be an ancestor of our head: nothing to check or walk. */
		if (memo_has(known, nknown, &t->id)) {
			out->seen[out->nseen++] = t->id;
			continue;
		}
		/* Only verified heads: an invalid parent would make ours invalid. */
		if (gitchat_verify_ref_update(store, t->refname, NULL, &t->id, NULL) < 0) {
			gitchat_error_clear();
			continue;
		}
		if (git_commit_lookup(&commit, repo, &t->id) < 0)
			continue;
		c[n].id = t->id;
		c[n].time = git_commit_author(commit)->when.time;
		git_commit_free(commit);
		n++;
	}
	if (n)
		qsort(c, n, sizeof(*c), newest_first);
	for (i = 0; i < n; i++) {
		if (own_head && is_ancestor(repo, &c[i].id, own_head)) {
			c[i].dropped = ANCESTOR_OF_OWN;
			continue;
		}
		for (j = 0; j < n && !c[i].dropped; j++)
			if (j != i && !c[j].dropped && is_ancestor(repo, &c[i].id, &c[j].id))
				c[i].dropped = ANCESTOR_OF_OTHER;
	}
	if (n && !(out->ids = calloc(n, sizeof(git_oid)))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (i = 0, kept = 0; i < n; i++)
		if (!c[i].dropped && kept++ < GITCHAT_MAX_OTHER_PARENTS)
			out->ids[out->count++] = c[i].id;
	/* What the new commit will have as ancestors: the chosen, the own
	 * head's; the other candidates' only when none was left out by the cap
	 * (their descendant might be one of those). */
	for (i = 0; i < n; i++)
		if (c[i].dropped == ANCESTOR_OF_OWN ||
		    (c[i].dropped == ANCESTOR_OF_OTHER && kept <= GITCHAT_MAX_OTHER_PARENTS))
			out->seen[out->nseen++] = c[i].id;
	for (i = 0; i < out->count; i++)
		out->seen[out->nseen++] = out->ids[i];
	error = 0;
done:
	free(c);
	free(known);
	return error;
}

void gitchat_parents_dispose(gitchat_parents *p)
{
	free(p->ids);
	free(p->seen);
	memset(p, 0, sizeof(*p));
}
