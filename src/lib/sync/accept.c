/*
 * The fetch half of a sync: list the remote's refs/chat/..., fetch the logs
 * that are new to us into refs/chat-quarantine/<remote>/<room>/<key>,
 * verify each (the verify cache makes it the new commits only), then
 * fast-forward refs/chat/<room>/<key> with a compare-and-swap, or record a
 * fork under refs/chat-remotes/<remote>/<room>/<key>. The quarantine is
 * dropped at the end, on every path, and also at the start (a run that was
 * killed leaves it behind; it is outside refs/chat/ and never shown).
 */
#include <stdlib.h>
#include <string.h>

#include "sync/accept.h"
#include "store/reflock.h"
#include "store/refs.h"
#include "gitchat/verify.h"
#include "message/commit.h"
#include "verify/verify.h"
#include "util/array.h"
#include "util/error.h"
#include "util/oidmap.h"

#define ACCEPT_RETRIES 8

typedef struct {
	const sync_head *head;
	gitchat_chatref ref;
	char room[65];
} candidate;

typedef struct {
	git_oid *v;
	size_t n, cap;
} oid_list;

static int oid_list_add(oid_list *l, const git_oid *id)
{
	int error = gitchat_array_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v), 16);

	if (error < 0)
		return error;
	l->v[l->n++] = *id;
	return 0;
}

/* 1 and *out when `refname` exists as a direct ref, 0 when not. */
static int ref_value(git_oid *out, git_repository *repo, const char *refname)
{
	git_reference *ref = NULL;
	int found = 0;

	if (git_reference_lookup(&ref, repo, refname) == 0 &&
	    git_reference_type(ref) == GIT_REFERENCE_DIRECT) {
		git_oid_cpy(out, git_reference_target(ref));
		found = 1;
	}
	git_reference_free(ref);
	git_error_clear();
	return found;
}

/* Deletes refs/chat-quarantine/<remote>/ entirely. */
static void quarantine_drop(sync_job *r)
{
	gitchat_buf glob = GITCHAT_BUF_INIT, prefix = GITCHAT_BUF_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;

	if (gitchat_buf_printf(&prefix, SYNC_QUARANTINE_PREFIX "%s/", r->name) < 0 ||
	    gitchat_buf_printf(&glob, "%s*", prefix.ptr) < 0)
		goto done;
	if (git_reference_iterator_glob_new(&it, r->repo, glob.ptr) < 0)
		goto done;
	while (git_reference_next(&ref, it) == 0) {
		if (!strncmp(git_reference_name(ref), prefix.ptr, prefix.size))
			git_reference_delete(ref);
		git_reference_free(ref);
	}
done:
	git_reference_iterator_free(it);
	gitchat_buf_dispose(&glob);
	gitchat_buf_dispose(&prefix);
	git_error_clear();
}

static int quarantine_ref(gitchat_buf *out, sync_job *r, const char *refname)
{
	gitchat_buf_clear(out);
	return gitchat_buf_printf(out, SYNC_QUARANTINE_PREFIX "%s/%s", r->name,
	                          refname + strlen(GITCHAT_REFS_PREFIX));
}

static int reject(sync_job *r, const char *refname, const char *room,
                  const gitchat_pubkey *key, const git_oid *commit, const char *reason)
{
	gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_REJECTED };
	gitchat_buf why = GITCHAT_BUF_INIT;
	int error;

	/* The reason may be the thread's error message: keep a copy. */
	if (gitchat_buf_puts(&why, reason) < 0)
		return GITCHAT_ENOMEM;
	ev.refname = refname;
	ev.room = room;
	ev.key = key;
	ev.commit = commit;
	ev.reason = why.ptr;
	r->report->res->pub.rejected++;
	error = sync_report_emit(r->report, &ev);
	gitchat_buf_dispose(&why);
	return error;
}

static int author_name(char **out, git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;

	*out = NULL;
	if (git_commit_lookup(&c, repo, id) == 0 && git_commit_author(c)->name)
		*out = strdup(git_commit_author(c)->name);
	git_commit_free(c);
	git_error_clear();
	return 0;
}

static int fork_event(sync_job *r, const candidate *c, const git_oid *ours,
                      const char *fork_ref, int recorded)
{
	gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_FORK };
	char *name = NULL;
	int error;

	author_name(&name, r->repo, &c->head->id);
	ev.refname = c->head->refname;
	ev.room = c->room;
	ev.key = &c->ref.key;
	ev.commit = &c->head->id;
	ev.old = ours;
	ev.author_name = name;
	ev.fork_ref = fork_ref;
	ev.count = recorded ? 1 : 0;
	r->report->res->pub.forks++;
	error = sync_report_emit(r->report, &ev);
	free(name);
	return error;
}

/* Our log and the remote's went different ways: keep the remote's under
 * refs/chat-remotes/<remote>/<room>/<key>, where the conversation loader
 * and the next send (which heals the fork) see it. */
static int record_fork(sync_job *r, const candidate *c, const git_oid *ours, oid_list *tips)
{
	gitchat_buf name = GITCHAT_BUF_INIT;
	git_reference *ref = NULL;
	git_oid cur;
	int attempt, rc = 0, error, has, lockfd;

	if ((error = gitchat_chatref_format(&name, r->name, c->room, &c->ref.key)) < 0)
		goto done;
	for (attempt = 0; attempt < ACCEPT_RETRIES; attempt++) {
		has = ref_value(&cur, r->repo, name.ptr);
		if (has && git_oid_equal(&cur, &c->head->id)) {
			error = fork_event(r, c, ours, name.ptr, 0);
			goto done;
		}
		if ((error = gitchat_store_refs_hold(&lockfd, r->store)) < 0)
			goto done;
		rc = has ? git_reference_create_matching(&ref, r->repo, name.ptr, &c->head->id, 1,
		                                         &cur, "git-chat: sync (fork)")
		         : git_reference_create(&ref, r->repo, name.ptr, &c->head->id, 0,
		                                "git-chat: sync (fork)");
		gitchat_store_refs_release(lockfd);
		git_reference_free(ref);
		ref = NULL;
		if (rc == GIT_ELOCKED)
			(void)gitchat_store_ref_unstick(r->store, name.ptr);
		if (rc == 0)
			break;
		if (rc != GIT_EMODIFIED && rc != GIT_EEXISTS && rc != GIT_ELOCKED) {
			error = gitchat_error_from_git(rc, "cannot record the fork '%s'", name.ptr);
			goto done;
		}
	}
	if (rc != 0) {
		error = gitchat_error_from_git(rc, "cannot record the fork '%s'", name.ptr);
		goto done;
	}
	if ((error = oid_list_add(tips, &c->head->id)) < 0)
		goto done;
	error = fork_event(r, c, ours, name.ptr, 1);
done:
	gitchat_buf_dispose(&name);
	return error;
}

static int updated_event(sync_job *r, const candidate *c, const git_oid *old)
{
	gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_UPDATED };

	ev.refname = c->head->refname;
	ev.room = c->room;
	ev.key = &c->ref.key;
	ev.commit = &c->head->id;
	ev.old = old;
	r->report->res->pub.updated++;
	return sync_report_emit(r->report, &ev);
}

/* Creates or fast-forwards (from `old`) a ref, holding the store's ref
 * flock; a lock a killed writer left is removed (GIT_ELOCKED is returned,
 * and the caller's next attempt goes through; a lock that cannot be
 * removed fails the attempts and the sync says the ref stays locked). */
static int create_ref(sync_job *r, const char *name, const git_oid *id, const git_oid *old)
{
	git_reference *ref = NULL;
	int rc, lockfd;

	if ((rc = gitchat_store_refs_hold(&lockfd, r->store)) < 0)
		return rc;
	rc = old ? git_reference_create_matching(&ref, r->repo, name, id, 1, old, "git-chat: sync")
	         : git_reference_create(&ref, r->repo, name, id, 0, "git-chat: sync");
	gitchat_store_refs_release(lockfd);
	git_reference_free(ref);
	if (rc == GIT_ELOCKED)
		(void)gitchat_store_ref_unstick(r->store, name);
	return rc;
}

/* The commits this sync found valid in one room (gitchat_verify_seen),
 * numbered in the order the walks decided them, parents first, with their
 * parents among them and their kinds: the new messages are counted over
 * these instead of being read again (a revision walk of a whole room held
 * about 550 bytes a commit and inflated each once more). A parent that
 * was valid before this sync is not kept: it is not new. */
typedef struct {
	gitchat_oidmap number;   /* id -> number */
	uint32_t *first;         /* n + 1 offsets into parents */
	uint32_t *parents;       /* numbers */
	uint8_t *kind;
	size_t n, capf, capk, np, capp;
	/* Each one's first parent: its number, or NONE when it is not among
	 * them; then, for those with an older first parent, that parent's
	 * id (`edge`, in number order). */
	uint32_t *first_parent;
	size_t capfp;
	uint32_t *edge_from;
	git_oid *edge_to;
	size_t nedges, capef, capet;
} fresh_set;

#define FRESH_NONE UINT32_MAX

static void fresh_dispose(fresh_set *f)
{
	gitchat_oidmap_dispose(&f->number);
	free(f->first);
	free(f->parents);
	free(f->kind);
	free(f->first_parent);
	free(f->edge_from);
	free(f->edge_to);
}

static int fresh_grow(fresh_set *f, size_t nparents)
{
	int error;

	if ((error = gitchat_array_grow(&f->first, &f->capf, f->n + 2, sizeof(*f->first), 1024)) < 0 ||
	    (error = gitchat_array_grow(&f->kind, &f->capk, f->n + 1, 1, 1024)) < 0 ||
	    (error = gitchat_array_grow(&f->first_parent, &f->capfp, f->n + 1,
	                                sizeof(*f->first_parent), 1024)) < 0 ||
	    (error = gitchat_array_grow(&f->edge_from, &f->capef, f->nedges + 1,
	                                sizeof(*f->edge_from), 64)) < 0 ||
	    (error = gitchat_array_grow(&f->edge_to, &f->capet, f->nedges + 1,
	                                sizeof(*f->edge_to), 64)) < 0)
		return error;
	return gitchat_array_grow(&f->parents, &f->capp, f->np + nparents, sizeof(*f->parents),
	                          1024);
}

static int fresh_add(const git_oid *id, const git_oid *parents, size_t nparents,
                     unsigned kind, void *payload)
{
	fresh_set *f = payload;
	uint32_t v;
	size_t i;
	int error;

	if (f->n >= UINT32_MAX - 1)
		return gitchat_error_oom();
	if ((error = fresh_grow(f, nparents)) < 0)
		return error;
	f->first[f->n] = (uint32_t)f->np;
	f->first_parent[f->n] = FRESH_NONE;
	for (i = 0; i < nparents; i++)
		if (gitchat_oidmap_get(&f->number, &parents[i], &v)) {
			f->parents[f->np++] = v;
			if (i == 0)
				f->first_parent[f->n] = v;
		} else if (i == 0) {
			f->edge_from[f->nedges] = (uint32_t)f->n;
			f->edge_to[f->nedges++] = parents[0];
		}
	f->kind[f->n] = (uint8_t)(kind < 4 ? kind : 255);
	if ((error = gitchat_oidmap_set(&f->number, id, (uint32_t)f->n)) < 0)
		return error;
	f->first[++f->n] = (uint32_t)f->np;
	return 0;
}

/* 1 when `a` is on the first-parent chain of `d` through commits this sync
 * found valid: how a log that simply grew reaches its old head (each
 * message's first parent is the author's previous one). libgit2's
 * git_graph_descendant_of finds the merge base instead, which in a room
 * of merges walks far past the old head: 9 ms of a sync of 1,000 new
 * messages onto 100,000. It stops at the first commit that is not new, so
 * the walk is bounded by what arrived; 0 says "not found this way", and
 * the caller asks libgit2. */
static int new_first_parents_reach(const fresh_set *f, const git_oid *a, const git_oid *d)
{
	uint32_t v, va = FRESH_NONE;
	size_t steps, lo, hi;

	if (!gitchat_oidmap_get(&f->number, d, &v))
		return 0;
	(void)gitchat_oidmap_get(&f->number, a, &va);   /* new too, when the cache was lost */
	for (steps = 0; steps < f->n && f->first_parent[v] != FRESH_NONE; steps++) {
		v = f->first_parent[v];
		if (v == va)
			return 1;
	}
	for (lo = 0, hi = f->nedges; lo < hi;) {    /* the edge out of v, if any */
		size_t mid = lo + (hi - lo) / 2;
		if (f->edge_from[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->nedges && f->edge_from[lo] == v && git_oid_equal(&f->edge_to[lo], a);
}

/* 1 when `a` is `d` or one of its ancestors. */
static int is_ancestor(git_repository *repo, const git_oid *a, const git_oid *d,
                       const fresh_set *f)
{
	if (git_oid_equal(a, d))
		return 1;
	if (f && new_first_parents_reach(f, a, d))
		return 1;
	if (git_graph_descendant_of(repo, d, a) == 1)
		return 1;
	git_error_clear();
	return 0;
}

/* One verified-or-rejected log. `tips` collects the new heads (for
 * counting the new messages). */
static int accept_one(sync_job *r, const candidate *c, oid_list *tips,
                      const gitchat_verify_seen *seen)
{
	const git_oid *n = &c->head->id;
	git_reference *ref = NULL;
	git_oid local, bad;
	int attempt, has, rc, error;

	for (attempt = 0; attempt < ACCEPT_RETRIES; attempt++) {
		has = ref_value(&local, r->repo, c->head->refname);
		if (has && git_oid_equal(&local, n))
			return 0;
		git_oid_cpy(&bad, n);
		error = gitchat_verify_ref_update_cached(r->store, c->head->refname, NULL, n, &bad, seen);
		if (error == GITCHAT_EVERIFY)
			return reject(r, c->head->refname, c->room, &c->ref.key, &bad,
			              gitchat_error_last()->message);
		if (error < 0)
			return error;
		if (!has) {
			rc = create_ref(r, c->head->refname, n, NULL);
		} else if (is_ancestor(r->repo, &local, n, seen ? seen->payload : NULL)) {
			rc = create_ref(r, c->head->refname, n, &local);
		} else if (is_ancestor(r->repo, n, &local, NULL)) {
			return 0;   /* the remote is behind: the push half sends ours */
		} else {
			return record_fork(r, c, &local, tips);
		}
		git_reference_free(ref);
		ref = NULL;
		if (rc == 0) {
			if ((error = oid_list_add(tips, n)) < 0)
				return error;
			return updated_event(r, c, has ? &local : NULL);
		}
		if (rc != GIT_EEXISTS && rc != GIT_EMODIFIED && rc != GIT_ELOCKED)
			return gitchat_error_from_git(rc, "cannot update '%s'", c->head->refname);
		/* Lost a race with a send or another sync: look again. */
	}
	return gitchat_error_set(GITCHAT_EMODIFIED,
		"'%s' keeps changing while sync updates it; sync again", c->head->refname);
}

/* Sorts candidates by room so that each room's messages are counted once. */
static int cand_cmp(const void *a, const void *b)
{
	const candidate *x = a, *y = b;
	int d = strcmp(x->room, y->room);
	return d ? d : strcmp(x->head->refname, y->head->refname);
}

/* New messages in the room: the commits this sync found valid that the
 * new heads reach (a log that was rejected shares its valid commits with
 * the others only where they reach them), and what they are. */
static int count_new(size_t *out, size_t kinds[4], const fresh_set *f, const oid_list *tips)
{
	uint8_t *seen = calloc(f->n + 1, 1);
	uint32_t *stack = malloc((f->n + 1) * sizeof(uint32_t));
	size_t sp = 0, i;
	uint32_t v;

	*out = 0;
	if (!seen || !stack) {
		free(seen);
		free(stack);
		return gitchat_error_oom();
	}
	for (i = 0; i < tips->n; i++)
		if (gitchat_oidmap_get(&f->number, &tips->v[i], &v) && !seen[v]) {
			seen[v] = 1;
			stack[sp++] = v;
		}
	while (sp) {
		v = stack[--sp];
		(*out)++;
		if (f->kind[v] < 4)
			kinds[f->kind[v]]++;
		for (i = f->first[v]; i < f->first[v + 1]; i++)
			if (!seen[f->parents[i]]) {
				seen[f->parents[i]] = 1;
				stack[sp++] = f->parents[i];
			}
	}
	free(seen);
	free(stack);
	return 0;
}

/* Verifies and applies the candidates of one room; counts what is new. */
static int accept_room(sync_job *r, candidate *c, size_t n)
{
	oid_list tips = { 0 };
	fresh_set fresh;
	gitchat_verify_seen seen = { fresh_add, &fresh };
	size_t i, count = 0, kinds[4] = { 0 };
	int error = 0;

	memset(&fresh, 0, sizeof(fresh));
	for (i = 0; i < n && !r->report->cancelled; i++)
		if ((error = accept_one(r, &c[i], &tips, &seen)) < 0)
			goto done;
	if (tips.n) {
		if ((error = count_new(&count, kinds, &fresh, &tips)) < 0)
			goto done;
		if (count) {
			gitchat_sync_event ev = { GITCHAT_SYNC_EVENT_RECEIVED };
			ev.room = c[0].room;
			ev.count = count;
			memcpy(ev.kinds, kinds, sizeof(ev.kinds));
			sync_report_count_room(r->report, c[0].room, count, kinds);
			error = sync_report_emit(r->report, &ev);
		}
	}
done:
	fresh_dispose(&fresh);
	free(tips.v);
	return error;
}

/* Drops fork records of this remote that our own log now contains (the
 * fork was healed): one head again. */
static int prune_forks(sync_job *r)
{
	gitchat_buf glob = GITCHAT_BUF_INIT, local_name = GITCHAT_BUF_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	gitchat_chatref parsed;
	git_oid local;
	int error;

	if ((error = gitchat_buf_printf(&glob, GITCHAT_REMOTES_PREFIX "%s/*", r->name)) < 0)
		goto done;
	if (git_reference_iterator_glob_new(&it, r->repo, glob.ptr) < 0)
		goto done;
	while (git_reference_next(&ref, it) == 0) {
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT &&
		    gitchat_chatref_parse(&parsed, git_reference_name(ref)) == 0 &&
		    !strcmp(parsed.remote, r->name) && sync_rooms_wanted(&r->rooms, parsed.room)) {
			gitchat_buf_clear(&local_name);
			if (gitchat_chatref_format(&local_name, NULL, parsed.room, &parsed.key) == 0 &&
			    ref_value(&local, r->repo, local_name.ptr) &&
			    is_ancestor(r->repo, git_reference_target(ref), &local, NULL))
				git_reference_delete(ref);
		}
		git_reference_free(ref);
	}
done:
	git_reference_iterator_free(it);
	gitchat_buf_dispose(&glob);
	gitchat_buf_dispose(&local_name);
	git_error_clear();
	return 0;
}

/* Sorts the advertisement into candidates: rejected names, other rooms,
 * logs we have, logs the remote is behind on, and the rest. */
static int classify(candidate **out, size_t *nout, sync_job *r)
{
	candidate *c = NULL;
	gitchat_buf fork_name = GITCHAT_BUF_INIT;
	size_t i, n = 0;
	int error = 0;

	*out = NULL;
	*nout = 0;
	if (r->conn->heads.n && !(c = calloc(r->conn->heads.n, sizeof(*c))))
		return gitchat_error_oom();
	for (i = 0; i < r->conn->heads.n && !r->report->cancelled; i++) {
		const sync_head *h = &r->conn->heads.v[i];
		git_oid local, fork;
		int has_local;

		if (gitchat_chatref_parse(&c[n].ref, h->refname) < 0) {
			if ((error = reject(r, h->refname, NULL, NULL, &h->id,
			                    "the ref name is not refs/chat/<room>/<key> (a valid room "
			                    "name and 64 lowercase hex digits); it was not fetched")) < 0)
				goto done;
			continue;
		}
		if (!sync_rooms_wanted(&r->rooms, c[n].ref.room))
			continue;
		has_local = ref_value(&local, r->repo, h->refname);
		if (has_local && git_oid_equal(&local, &h->id))
			continue;
		gitchat_buf_clear(&fork_name);
		if ((error = gitchat_chatref_format(&fork_name, r->name, c[n].ref.room,
		                                    &c[n].ref.key)) < 0)
			goto done;
		c[n].head = h;
		strcpy(c[n].room, c[n].ref.room);
		if (ref_value(&fork, r->repo, fork_name.ptr) && git_oid_equal(&fork, &h->id)) {
			/* A fork we recorded before and that is not healed yet. */
			if (has_local && is_ancestor(r->repo, &h->id, &local, NULL))
				continue;
			if ((error = fork_event(r, &c[n], has_local ? &local : NULL, fork_name.ptr, 0)) < 0)
				goto done;
			continue;
		}
		if (has_local && sync_odb_has(r->repo, &h->id) &&
		    is_ancestor(r->repo, &h->id, &local, NULL))
			continue;   /* behind: nothing to fetch */
		n++;
	}
	*out = c;
	*nout = n;
	c = NULL;
done:
	free(c);
	gitchat_buf_dispose(&fork_name);
	return error;
}

static int fetch_missing(sync_job *r, candidate *c, size_t n)
{
	git_oid *ids = NULL;
	const char **names = NULL;
	size_t i, k = 0;
	int error = 0;

	if (!n)
		return 0;
	if (!(ids = calloc(n, sizeof(*ids))) || !(names = calloc(n, sizeof(*names)))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (i = 0; i < n; i++)
		if (!sync_odb_has(r->repo, &c[i].head->id)) {
			ids[k] = c[i].head->id;
			names[k++] = c[i].head->refname;
		}
	if (k)
		error = r->conn->ops->fetch(r->conn, ids, (const char *const *)names, k);
done:
	free(ids);
	free(names);
	return error;
}

int sync_accept_fetch(sync_job *r)
{
	candidate *c = NULL;
	gitchat_buf qname = GITCHAT_BUF_INIT;
	git_reference *ref = NULL;
	size_t n = 0, i, start;
	int error;

	quarantine_drop(r);
	if ((error = r->conn->ops->connect(r->conn, GIT_DIRECTION_FETCH)) < 0)
		goto done;
	if ((error = classify(&c, &n, r)) < 0 || (error = fetch_missing(r, c, n)) < 0)
		goto done;
	r->conn->ops->close(r->conn);
	/* Quarantine: what arrived is held by refs outside refs/chat/ until
	 * verified, so that nothing prunes it and nothing shows it. */
	for (i = 0; i < n; i++) {
		if (!sync_odb_has(r->repo, &c[i].head->id)) {
			if ((error = reject(r, c[i].head->refname, c[i].room, &c[i].ref.key,
			                    &c[i].head->id, "the remote advertised this commit but did "
			                    "not send it")) < 0)
				goto done;
			c[i].head = NULL;
			continue;
		}
		if ((error = quarantine_ref(&qname, r, c[i].head->refname)) < 0)
			goto done;
		if ((error = git_reference_create(&ref, r->repo, qname.ptr, &c[i].head->id, 1,
		                                  "git-chat: sync (quarantine)")) < 0) {
			error = gitchat_error_from_git(error, "cannot write '%s'", qname.ptr);
			goto done;
		}
		git_reference_free(ref);
		ref = NULL;
	}
	/* Drop the candidates whose commit never came. */
	for (i = 0, start = 0; i < n; i++)
		if (c[i].head)
			c[start++] = c[i];
	n = start;
	if (n)
		qsort(c, n, sizeof(*c), cand_cmp);
	for (start = 0; start < n && !r->report->cancelled; start = i) {
		for (i = start; i < n && !strcmp(c[i].room, c[start].room); i++)
			;
		if ((error = accept_room(r, c + start, i - start)) < 0)
			goto done;
	}
	prune_forks(r);
	error = r->report->cancelled ? sync_report_cancelled_error() : 0;
done:
	r->conn->ops->close(r->conn);
	quarantine_drop(r);
	free(c);
	gitchat_buf_dispose(&qname);
	return error;
}
