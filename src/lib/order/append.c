#include <stdlib.h>
#include <string.h>

#include "order/append.h"
#include "order/graph.h"
#include "order/order.h"
#include "order/tail.h"
#include "order/text.h"
#include "util/error.h"

#define NONE GITCHAT_INDEX_NONE

/* Not appendable: the caller rewrites the index. */
#define NO_APPEND 1

typedef struct {
	gitchat_index *ix;
	gitchat_graph g;
	size_t count;              /* messages before the append (index + tail) */
	uint32_t *pos;             /* node -> position: stubs in the index, new ones after */
	uint32_t *newn;            /* the new nodes in their order */
	size_t m;
	gitchat_text_writer tw;
	int tw_open;
} app;

static int known(const git_oid *id, void *payload)
{
	size_t pos;
	int error = gitchat_index_lookup(&pos, payload, id);

	if (error == GITCHAT_ENOTFOUND)
		return 0;
	return error == 0 ? 1 : error;
}

static int is_new(const app *a, uint32_t v)
{
	return !(a->g.state[v] & GITCHAT_GRAPH_STUB);
}

/* The signer of node v as the index numbers keys, or NONE: a new key
 * would renumber the keys of old messages. */
static uint32_t index_key(app *a, uint32_t v)
{
	const gitchat_pubkey *k;
	size_t lo = 0, hi = 0;
	gitchat_tail_base base;

	if (a->g.nodes[v].key == GITCHAT_GRAPH_NONE)
		return NONE;
	k = &a->g.keys[a->g.nodes[v].key];
	gitchat_index_tail_base(&base, a->ix);
	hi = base.nkeys;
	while (lo < hi) {          /* the index's keys are in byte order */
		size_t mid = lo + (hi - lo) / 2;
		int c = gitchat_pubkey_cmp(gitchat_index_key(a->ix, (uint32_t)mid), k);
		if (c == 0)
			return (uint32_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

/* The refs: every old tip still reached (nothing dropped), every head
 * signed by its ref's key (no new ref problem). */
static int tips_ok(app *a, const gitchat_tips *tips)
{
	gitchat_tips old;
	size_t i;
	int ok = 1, error;

	if ((error = gitchat_index_tips(&old, a->ix)) < 0)
		return error;
	for (i = 0; ok && i < old.count; i++)
		ok = gitchat_graph_find(&a->g, &old.tips[i].id) != GITCHAT_GRAPH_NONE;
	gitchat_tips_dispose(&old);
	for (i = 0; ok && i < tips->count; i++) {
		uint32_t v = gitchat_graph_find(&a->g, &tips->tips[i].id);
		const gitchat_pubkey *k = NULL;
		gitchat_index_rec r;
		if (v == GITCHAT_GRAPH_NONE)
			return NO_APPEND;
		if (!is_new(a, v)) {
			if ((error = gitchat_index_node(&r, a->ix, a->pos[v])) < 0)
				return error;
			k = gitchat_index_key(a->ix, r.key);
		} else if (a->g.nodes[v].key != GITCHAT_GRAPH_NONE) {
			k = &a->g.keys[a->g.nodes[v].key];
		}
		ok = k && gitchat_pubkey_cmp(k, &tips->tips[i].ref.key) == 0;
	}
	return ok ? 0 : NO_APPEND;
}

/* Orders the new nodes among themselves (old parents count as placed)
 * and checks that each goes after every old message: e(n) > E, or
 * e(n) == E and n descends from the last message L. */
static int order_new(app *a)
{
	gitchat_graph *g = &a->g;
	gitchat_order_node *sub = NULL;
	uint32_t *subp = NULL, *local = NULL, *ord = NULL, lnode = GITCHAT_GRAPH_NONE;
	int64_t *e = NULL, last = INT64_MIN;
	uint8_t *from_l = NULL;
	size_t i, k, np = 0, m = 0;
	int error = GITCHAT_ENOMEM;

	if (a->count) {
		gitchat_index_rec r;
		if ((error = gitchat_index_node(&r, a->ix, a->count - 1)) < 0)
			return error;
		last = r.time;      /* L has no child: e(L) is its time */
		lnode = gitchat_graph_find(g, r.id);
		error = GITCHAT_ENOMEM;
	}
	if (!(local = malloc((g->n + 1) * sizeof(uint32_t))) ||
	    !(subp = malloc((g->np + 1) * sizeof(uint32_t))))
		goto done;
	for (i = 0; i < g->n; i++)
		local[i] = is_new(a, (uint32_t)i) ? (uint32_t)m++ : NONE;
	if (!(sub = calloc(m + 1, sizeof(*sub))) || !(ord = malloc((m + 1) * sizeof(uint32_t))) ||
	    !(e = malloc((m + 1) * sizeof(int64_t))) || !(from_l = calloc(m + 1, 1)) ||
	    !(a->newn = malloc((m + 1) * sizeof(uint32_t))))
		goto done;
	for (i = 0; i < g->n; i++) {
		const gitchat_order_node *nd = &g->nodes[i];
		gitchat_order_node *s;
		if (local[i] == NONE)
			continue;
		s = &sub[local[i]];
		*s = *nd;
		s->first_parent = (uint32_t)np;
		s->nparents = 0;
		for (k = 0; k < nd->nparents; k++) {
			uint32_t p = g->parents[nd->first_parent + k];
			if (local[p] != NONE) {
				subp[np++] = local[p];
				s->nparents++;
			}
			if (p == lnode)
				from_l[local[i]] = 1;
		}
	}
	if ((error = gitchat_order_compute(ord, sub, m, subp)) < 0)
		goto done;
	/* e over the new nodes (their children are new), children first. */
	for (i = 0; i < m; i++)
		e[i] = sub[i].time;
	for (i = m; i-- > 0;)
		for (k = 0; k < sub[ord[i]].nparents; k++) {
			uint32_t p = subp[sub[ord[i]].first_parent + k];
			if (e[ord[i]] < e[p])
				e[p] = e[ord[i]];
		}
	error = 0;
	for (i = 0; i < m; i++) {
		uint32_t v = ord[i];
		for (k = 0; k < sub[v].nparents; k++)
			from_l[v] |= from_l[subp[sub[v].first_parent + k]];
		if (e[v] < last || (e[v] == last && !from_l[v]))
			error = NO_APPEND;
	}
	/* Back to graph nodes, in order. */
	for (i = 0, k = 0; i < g->n; i++)
		if (local[i] != NONE)
			local[k++] = (uint32_t)i;
	for (i = 0; i < m; i++) {
		a->newn[i] = local[ord[i]];
		a->pos[local[ord[i]]] = (uint32_t)(a->count + i);
	}
	a->m = m;
done:
	if (error == GITCHAT_ENOMEM)
		gitchat_error_oom();
	free(sub);
	free(subp);
	free(local);
	free(ord);
	free(e);
	free(from_l);
	return error;
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static int oid_cmp(const void *x, const void *y)
{
	return git_oid_cmp(x, y);
}

typedef struct {
	gitchat_tail_node *nodes;
	uint32_t *parents;
	gitchat_tail_link *links;
	uint64_t *related;
	git_oid *unresolved;
	size_t count, nparents, nlinks, nrelated, nunresolved;
} tail_buf;

static void tail_buf_dispose(tail_buf *t)
{
	free(t->nodes);
	free(t->parents);
	free(t->links);
	free(t->related);
	free(t->unresolved);
}

/* What the old tail holds, to be written again before the new messages. */
static int copy_old_tail(tail_buf *t, const gitchat_tail *old)
{
	size_t i;

	for (i = 0; old && i < gitchat_tail_count(old); i++) {
		gitchat_index_rec r;
		gitchat_tail_node *nd = &t->nodes[t->count++];
		gitchat_tail_node_at(&r, old, i);
		nd->time = r.time;
		git_oid_cpy(&nd->id, r.id);
		nd->target = r.target;
		nd->reply = r.reply;
		nd->first_parent = r.first_parent;
		nd->key = r.key;
		nd->nparents = r.nparents;
		nd->kind = r.kind;
		nd->text = r.text;
	}
	for (i = 0; old && i < gitchat_tail_nparents(old); i++)
		t->parents[t->nparents++] = gitchat_tail_parent(old, i);
	for (i = 0; old && i < gitchat_tail_nlinks(old); i++)
		gitchat_tail_link_at(&t->links[t->nlinks++], old, i);
	for (i = 0; old && i < gitchat_tail_nrelated(old); i++)
		t->related[t->nrelated++] = gitchat_tail_related(old, i);
	for (i = 0; old && i < gitchat_tail_nunresolved(old); i++)
		git_oid_fromraw(&t->unresolved[t->nunresolved++], gitchat_tail_unresolved(old, i));
	return 0;
}

/* Where link l points: a position, or NONE when the room lacks it. */
static int link_target(uint32_t *out, app *a, const gitchat_graph_link *l)
{
	size_t pos;
	int error;

	if (l->resolved != GITCHAT_GRAPH_NONE) {
		*out = a->pos[l->resolved];
		return 0;
	}
	if ((error = gitchat_index_lookup(&pos, a->ix, &l->id)) == 0) {
		*out = (uint32_t)pos;
		return 0;
	}
	*out = NONE;
	return error == GITCHAT_ENOTFOUND ? 0 : error;
}

/* The new messages' records, parents, links, related pairs and open
 * links, after the old tail's. */
static int add_new(tail_buf *t, app *a, uint32_t nparents_base, size_t n0)
{
	gitchat_graph *g = &a->g;
	size_t i, k;
	int error;

	for (i = 0; i < a->m; i++) {
		uint32_t v = a->newn[i];
		gitchat_tail_node *nd = &t->nodes[t->count++];
		nd->time = g->nodes[v].time;
		git_oid_cpy(&nd->id, &g->nodes[v].id);
		nd->target = nd->reply = NONE;
		nd->first_parent = nparents_base + (uint32_t)t->nparents;
		nd->key = index_key(a, v);
		nd->nparents = g->nodes[v].nparents;
		nd->kind = g->kind[v];
		nd->text = g->text[v];
		if (nd->key == NONE)
			return NO_APPEND;
		for (k = 0; k < nd->nparents; k++)
			t->parents[t->nparents++] = a->pos[g->parents[g->nodes[v].first_parent + k]];
	}
	for (i = 0; i < g->nlinks; i++) {
		const gitchat_graph_link *l = &g->links[i];
		gitchat_tail_node *nd = &t->nodes[n0 + (a->pos[l->node] - a->count)];
		uint32_t to;
		if ((error = link_target(&to, a, l)) < 0)
			return error;
		t->links[t->nlinks].node = a->pos[l->node];
		t->links[t->nlinks].which = l->which;
		git_oid_cpy(&t->links[t->nlinks++].id, &l->id);
		if (l->which == GITCHAT_LINK_REPLY)
			nd->reply = to;
		else
			nd->target = to;
		if (to == NONE)
			git_oid_cpy(&t->unresolved[t->nunresolved++], &l->id);
		else if (l->which == GITCHAT_LINK_TARGET)
			t->related[t->nrelated++] = (uint64_t)to << 32 | a->pos[l->node];
	}
	qsort(t->related, t->nrelated, sizeof(uint64_t), u64_cmp);
	qsort(t->unresolved, t->nunresolved, sizeof(git_oid), oid_cmp);
	for (i = 0, k = 0; i < t->nunresolved; i++)
		if (!k || !git_oid_equal(&t->unresolved[k - 1], &t->unresolved[i]))
			git_oid_cpy(&t->unresolved[k++], &t->unresolved[i]);
	t->nunresolved = k;
	return 0;
}

static int write_tail(app *a, const char *path, const gitchat_tips *tips)
{
	const gitchat_tail *old = gitchat_index_tail(a->ix);
	size_t n0 = old ? gitchat_tail_count(old) : 0, p0 = old ? gitchat_tail_nparents(old) : 0;
	size_t l0 = old ? gitchat_tail_nlinks(old) : 0, r0 = old ? gitchat_tail_nrelated(old) : 0;
	size_t u0 = old ? gitchat_tail_nunresolved(old) : 0;
	gitchat_tail_base base;
	gitchat_buf tp = GITCHAT_BUF_INIT;
	tail_buf t;
	int error = GITCHAT_ENOMEM;

	memset(&t, 0, sizeof(t));
	gitchat_index_tail_base(&base, a->ix);
	if (!(t.nodes = calloc(n0 + a->m + 1, sizeof(*t.nodes))) ||
	    !(t.parents = malloc((p0 + a->g.np + 1) * sizeof(uint32_t))) ||
	    !(t.links = malloc((l0 + a->g.nlinks + 1) * sizeof(*t.links))) ||
	    !(t.related = malloc((r0 + a->g.nlinks + 1) * sizeof(uint64_t))) ||
	    !(t.unresolved = malloc((u0 + a->g.nlinks + 1) * sizeof(git_oid)))) {
		error = gitchat_error_oom();
		goto done;
	}
	copy_old_tail(&t, old);
	if ((error = add_new(&t, a, base.nparents, n0)) != 0)
		goto done;
	{
		gitchat_tail_data d = { &base, t.nodes, t.count, t.parents, t.nparents, tips,
		                        t.links, t.nlinks, t.related, t.nrelated, t.unresolved,
		                        t.nunresolved };
		if ((error = gitchat_tail_path(&tp, path)) < 0)
			goto done;
		/* The messages' copies are published before the tail that
		 * points at them. */
		if (a->tw_open) {
			a->tw_open = 0;
			if (a->tw.failed || gitchat_text_finish(&a->tw) < 0) {
				gitchat_error_clear();
				for (size_t i = n0; i < t.count; i++)
					t.nodes[i].text = 0;
			}
		}
		error = gitchat_tail_write(tp.ptr, &d);
	}
done:
	tail_buf_dispose(&t);
	gitchat_buf_dispose(&tp);
	return error;
}

/* Every commit a tip reaches that the index lacks, read once; the stubs'
 * positions; the checks that need no order. */
static int walk_new(app *a, gitchat_store *store, const char *room, const gitchat_tips *tips,
                    const char *path)
{
	const unsigned char *text = gitchat_index_text_id(a->ix);
	static const unsigned char none[GITCHAT_TEXT_ID_SIZE];
	size_t i, pos;
	int error;

	const gitchat_tail *old = gitchat_index_tail(a->ix);
	size_t room_left = GITCHAT_TAIL_MAX - (old ? gitchat_tail_count(old) : 0);

	if (!room_left)
		return NO_APPEND;       /* the tail is full: fold it into the index */
	a->g.known = known;
	a->g.known_payload = a->ix;
	a->g.max_new = room_left;
	if (memcmp(text, none, sizeof(none)) != 0) {
		if ((error = gitchat_text_append(&a->tw, path, text)) == 0)
			a->tw_open = 1;
		gitchat_error_clear();
		/* gone or damaged: the rewrite makes it again */
		if (error == GITCHAT_EINVALID || error == GITCHAT_ENOTFOUND)
			return NO_APPEND;
	}
	if ((error = gitchat_graph_update(&a->g, store, room, tips, a->tw_open ? &a->tw : NULL)) != 0)
		return error;
	if (a->g.nvalid != a->g.n)
		return NO_APPEND;       /* an invalid commit: it is recorded by a rewrite */
	if (!(a->pos = malloc((a->g.n + 1) * sizeof(uint32_t))))
		return gitchat_error_oom();
	for (i = 0; i < a->g.n; i++) {
		a->pos[i] = NONE;
		if (is_new(a, (uint32_t)i)) {
			if (gitchat_index_unresolved_has(a->ix, &a->g.nodes[i].id))
				return NO_APPEND;   /* an old message's link now resolves */
			continue;
		}
		if ((error = gitchat_index_find(&pos, a->ix, &a->g.nodes[i].id)) < 0)
			return error;
		a->pos[i] = (uint32_t)pos;
	}
	return tips_ok(a, tips);
}

int gitchat_order_append(gitchat_index **out, size_t *parsed, gitchat_index *ix,
                         const char *path, gitchat_store *store, const char *room,
                         const gitchat_tips *tips, int read_cached)
{
	app a;
	int error;

	*out = NULL;
	*parsed = 0;
	if (!gitchat_index_appendable(ix))
		return NO_APPEND;
	memset(&a, 0, sizeof(a));
	a.ix = ix;
	a.count = gitchat_index_count(ix);
	gitchat_graph_init(&a.g);
	a.g.read_cached = read_cached;
	if ((error = walk_new(&a, store, room, tips, path)) != 0 ||
	    (error = order_new(&a)) != 0 ||
	    (error = write_tail(&a, path, tips)) != 0)
		goto done;
	/* What we wrote, unless another writer replaced the index meanwhile. */
	if ((error = gitchat_index_open(out, path, gitchat_store_limits(store))) < 0)
		goto done;
	if (gitchat_index_tips_match(*out, tips) != 1 ||
	    gitchat_index_count(*out) != a.count + a.m) {
		gitchat_index_free(*out);
		*out = NULL;
		gitchat_error_clear();
		error = NO_APPEND;
	}
done:
	*parsed = a.g.parsed;
	if (a.tw_open)
		gitchat_text_abort(&a.tw);
	free(a.pos);
	free(a.newn);
	gitchat_graph_dispose(&a.g);
	return error;
}
