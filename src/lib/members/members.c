/*
 * The membership state of a private room (gitchat/members.h): every
 * commit's membership headers, which events count, each commit's causal
 * state and the room's state in its order.
 *
 * Costs: an event's causal state orders its ancestor set on its own
 * (order/order.h: the room's algorithm run on that set), once per event;
 * a message's causal state is the counted events among its ancestors
 * (a bit set per commit, one bit per event) applied in the room's order,
 * computed once per distinct set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "gitchat/persons.h"
#include "members/members_internal.h"
#include "message/commit.h"
#include "message/objects.h"
#include "order/index.h"
#include "order/known.h"
#include "order/order.h"
#include "util/buf.h"
#include "util/array.h"
#include "util/error.h"
#include "util/oidmap.h"

#define NONE GITCHAT_MEMBERS_NONE

typedef gitchat_mnode mnode;
typedef gitchat_mevent mevent;
typedef gitchat_mstate mstate;

const char *const gitchat_members_ignored[GITCHAT_MEMBERS_NREASONS] = {
	NULL,
	"its membership headers are malformed",
	"its chat-genesis does not make this room (wrong name: a squatted room, or a second "
	"genesis)",
	"its author is not an admin of the room in the state its ancestors give, nor adds only "
	"their own linked devices; its member changes are ignored",
	"its author is not a member of the room in the state its ancestors give; its epoch is "
	"ignored",
};

char *gitchat_members_keep(gitchat_members *m, char *str)
{
	if (!str)
		return NULL;
	if (gitchat_array_grow(&m->strs, &m->capstrs, m->nstrs + 1, sizeof(*m->strs), 8) < 0) {
		free(str);
		return NULL;
	}
	return m->strs[m->nstrs++] = str;
}

void gitchat_members_room_name(char out[26], const gitchat_pubkey *founder,
                               const unsigned char nonce[16])
{
	static const char label[] = "git-chat room";
	crypto_hash_sha256_state st;
	unsigned char h[32];
	static const char hexd[] = "0123456789abcdef";

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)label, sizeof(label) - 1);
	crypto_hash_sha256_update(&st, founder->bytes, GITCHAT_PUBKEY_SIZE);
	crypto_hash_sha256_update(&st, nonce, 16);
	crypto_hash_sha256_final(&st, h);
	out[0] = '_';
	for (int i = 0; i < 12; i++) {
		out[1 + 2 * i] = hexd[h[i] >> 4];
		out[2 + 2 * i] = hexd[h[i] & 15];
	}
	out[25] = '\0';
}

/* ---- states: sorted by key ---- */

static gitchat_member *state_find(const mstate *s, const gitchat_pubkey *k)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = gitchat_pubkey_cmp(&s->v[mid].key, k);
		if (c == 0)
			return &s->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int state_set(mstate *s, const gitchat_member *m)
{
	gitchat_member *f = state_find(s, &m->key);
	size_t i;

	if (f) {
		f->admin = m->admin;
		return 0;
	}
	if (gitchat_array_grow(&s->v, &s->cap, s->n + 1, sizeof(*s->v), 8) < 0)
		return GITCHAT_ENOMEM;
	for (i = s->n; i > 0 && gitchat_pubkey_cmp(&s->v[i - 1].key, &m->key) > 0; i--)
		s->v[i] = s->v[i - 1];
	s->v[i] = *m;
	s->n++;
	return 0;
}

static void state_remove(mstate *s, const gitchat_pubkey *k)
{
	gitchat_member *f = state_find(s, k);
	if (f) {
		memmove(f, f + 1, (size_t)(s->v + s->n - f - 1) * sizeof(*f));
		s->n--;
	}
}

/* Removals first, then additions: "remove K, add K admin" re-adds. */
static int state_apply(mstate *s, const mevent *e)
{
	for (size_t i = 0; i < e->nremoves; i++)
		state_remove(s, &e->removes[i]);
	for (size_t i = 0; i < e->nadds; i++)
		if (state_set(s, &e->adds[i]) < 0)
			return GITCHAT_ENOMEM;
	return 0;
}

static int state_copy(gitchat_member **out, size_t *n, const mstate *s)
{
	*n = s->n;
	if (!(*out = malloc((s->n + 1) * sizeof(**out))))
		return gitchat_error_oom();
	memcpy(*out, s->v, s->n * sizeof(**out));
	return 0;
}

/* ---- reading the commits ---- */

static int add_parent(gitchat_members *m, uint32_t p)
{
	if (gitchat_array_grow(&m->parents, &m->capparents, m->nparents + 1, sizeof(*m->parents),
	                       64) < 0)
		return GITCHAT_ENOMEM;
	m->parents[m->nparents++] = p;
	return 0;
}

static int has_epoch_file(git_repository *repo, const git_oid *tree_id)
{
	git_oid empty;
	git_tree *tree = NULL;
	int found;

	git_oid_fromstr(&empty, GITCHAT_EMPTY_TREE);
	if (git_oid_equal(tree_id, &empty) || git_tree_lookup(&tree, repo, tree_id) < 0)
		return 0;
	found = git_tree_entry_byname(tree, "epoch.age") != NULL;
	git_tree_free(tree);
	return found;
}

/* Node i's headers into its node and, for an event, a new event. A
 * malformed membership header makes the commit an event that never
 * counts (so it is neither a message nor a change). */
static int read_headers(gitchat_members *m, uint32_t i, gitchat_members_hdr *h,
                        const char *raw, size_t len, git_repository *repo)
{
	mnode *nd = &m->nodes[i];
	mevent *e, *ev;
	unsigned bad = GITCHAT_MEMBERS_OK;
	int epoch_file;

	if (gitchat_members_hdr_parse(h, raw, len) < 0) {
		bad = GITCHAT_MEMBERS_MALFORMED;
		gitchat_error_clear();
	}
	epoch_file = !bad && h->epoch[0] && !h->nchanges && !h->has_genesis ?
	             has_epoch_file(repo, &h->tree) : (h->epoch[0] != 0);
	if (!bad && h->epoch[0]) {
		/* Runs of messages share their epoch: one copy per run. */
		const char *last = m->nstrs ? m->strs[m->nstrs - 1] : NULL;
		if (last && !strcmp(last, h->epoch))
			nd->epoch = last;
		else if (!(nd->epoch = gitchat_members_keep(m, strdup(h->epoch))))
			return gitchat_error_oom();
	}
	if (!bad && !h->has_genesis && !h->nchanges && !epoch_file)
		return 0;
	if (!(ev = realloc(m->ev, (m->nev + 1) * sizeof(*ev))))
		return gitchat_error_oom();
	m->ev = ev;
	e = &m->ev[m->nev];
	memset(e, 0, sizeof(*e));
	e->node = i;
	nd->ev = (uint32_t)m->nev++;
	e->ignored = bad;
	if (bad)
		return 0;
	e->genesis = h->has_genesis;
	memcpy(e->nonce, h->genesis, sizeof(e->nonce));
	e->epoch_file = epoch_file;
	e->has_dm = h->has_dm;
	e->dm = h->dm;
	if (!(e->adds = malloc((h->nadds + 1) * sizeof(*e->adds))) ||
	    !(e->removes = malloc((h->nremoves + 1) * sizeof(*e->removes))))
		return gitchat_error_oom();
	memcpy(e->adds, h->adds, h->nadds * sizeof(*e->adds));
	e->nadds = h->nadds;
	for (size_t k = 0; k < h->nremoves; k++)
		e->removes[k] = h->removes[k].key;
	e->nremoves = h->nremoves;
	return 0;
}

/* ---- the rules ---- */

static int key_ranks(gitchat_members *m);

/* The state of the counted events among the strict ancestors of node x,
 * ordered by the room's algorithm run on that ancestor set alone.
 * `mark`, `sub`, `back` are scratch arrays of m->n entries. */
static int causal_state(mstate *out, gitchat_members *m, uint32_t x, uint32_t *mark,
                        uint32_t *sub, uint32_t *back, uint32_t stamp)
{
	gitchat_order_node *on = NULL;
	uint32_t *stack = NULL, *par = NULL, *order = NULL;
	size_t sp = 0, ns = 0, np = 0, k;
	uint32_t y;
	int error = 0;

	out->n = 0;
	if (!m->ranked && (error = key_ranks(m)) < 0)
		return error;
	if (!(stack = malloc((m->n + 1) * sizeof(*stack))))
		return gitchat_error_oom();
	stack[sp++] = x;
	while (sp) {
		const mnode *nd = &m->nodes[stack[--sp]];
		for (k = 0; k < nd->np; k++) {
			uint32_t p = m->parents[nd->p0 + k];
			if (mark[p] != stamp) {
				mark[p] = stamp;
				stack[sp++] = p;
			}
		}
	}
	/* Nodes are in an order where parents come first: list by index. */
	for (y = 0; y < x; y++)
		if (mark[y] == stamp) {
			back[ns] = y;
			sub[y] = (uint32_t)ns++;
			np += m->nodes[y].np;
		}
	if (!(on = calloc(ns + 1, sizeof(*on))) || !(par = malloc((np + 1) * sizeof(*par))) ||
	    !(order = malloc((ns + 1) * sizeof(*order)))) {
		error = gitchat_error_oom();
		goto done;
	}
	np = 0;
	for (k = 0; k < ns; k++) {
		const mnode *nd = &m->nodes[back[k]];
		on[k].time = nd->time;
		on[k].id = nd->id;
		on[k].key = nd->rank;
		on[k].first_parent = (uint32_t)np;
		on[k].nparents = nd->np;
		for (size_t j = 0; j < nd->np; j++)
			par[np++] = sub[m->parents[nd->p0 + j]];
	}
	if ((error = gitchat_order_compute(order, on, ns, par)) < 0)
		goto done;
	for (k = 0; k < ns; k++) {
		uint32_t ei = m->nodes[back[order[k]]].ev;
		if (ei != NONE && m->ev[ei].counted && (error = state_apply(out, &m->ev[ei])) < 0)
			goto done;
	}
done:
	free(stack);
	free(on);
	free(par);
	free(order);
	return error;
}

/* 1 when event e only adds devices linked to its author (never as
 * admins): what a member may do without being an admin (DESIGN.md,
 * "Linked devices and profiles"). Links are the store's `_identity` state
 * now, as for edits (docs/decisions.md). */
static int own_devices(gitchat_members *m, const mevent *e, const gitchat_pubkey *author)
{
	int error;

	if (e->nremoves || !e->nadds || !m->store)
		return 0;
	if (!m->persons_loaded) {
		if ((error = gitchat_persons_load(&m->persons, m->store, NULL)) < 0)
			return error;
		m->persons_loaded = 1;
	}
	for (size_t k = 0; k < e->nadds; k++)
		if (e->adds[k].admin || !gitchat_persons_same(m->persons, author, &e->adds[k].key) ||
		    !gitchat_pubkey_cmp(author, &e->adds[k].key))
			return 0;
	return 1;
}

static int count_event(gitchat_members *m, mevent *e, const mstate *causal)
{
	const mnode *nd = &m->nodes[e->node];
	const gitchat_member *me = state_find(causal, &nd->key);
	char name[26];
	int self_admin = 0, own = 0;

	if (e->ignored)
		return 0;
	if (e->genesis) {
		for (size_t k = 0; k < e->nadds; k++)
			if (!gitchat_pubkey_cmp(&e->adds[k].key, &nd->key) && e->adds[k].admin)
				self_admin = 1;
		gitchat_members_room_name(name, &nd->key, e->nonce);
		if (nd->np || strcmp(name, m->room) || !self_admin || m->valid)
			e->ignored = GITCHAT_MEMBERS_BAD_GENESIS;
		else
			e->counted = m->valid = 1;
		return 0;
	}
	if (e->nadds || e->nremoves) {
		/* The verdict reads the store's `_identity` room, not only the
		 * causal past: never taken from the cache. */
		e->persons = me && !me->admin && e->nadds && !e->nremoves;
		if (me && !me->admin && (own = own_devices(m, e, &nd->key)) < 0)
			return own;
		if (!me || (!me->admin && !own)) {
			e->ignored = GITCHAT_MEMBERS_NOT_ADMIN;
			return 0;
		}
	} else if (!me) {
		e->ignored = GITCHAT_MEMBERS_NOT_MEMBER;
		return 0;
	}
	e->counted = 1;
	return 0;
}

/* A message's causal state: the counted events among its ancestors (a
 * bit per event) applied in the room's order. */
static int bits_state(mstate *out, gitchat_members *m, const uint64_t *bits, size_t words)
{
	out->n = 0;
	for (size_t w = 0; w < words; w++)
		for (uint64_t b = bits[w]; b; b &= b - 1) {
			size_t ei = w * 64 + (size_t)__builtin_ctzll(b);
			if (m->ev[ei].counted && state_apply(out, &m->ev[ei]) < 0)
				return GITCHAT_ENOMEM;
		}
	return 0;
}

static int same_keys(const gitchat_member *a, size_t na, const gitchat_member *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (gitchat_pubkey_cmp(&a[i].key, &b[i].key))
			return 0;
	return 1;
}

/* What a send uses: the newest counted epoch (in the room's order) whose
 * recipients are exactly the current members. */
static const char *send_epoch(const gitchat_members *m)
{
	for (size_t i = m->nev; i-- > 0;) {
		const mevent *e = &m->ev[i];
		const char *ep = m->nodes[e->node].epoch;
		if (e->counted && e->epoch_file && ep &&
		    same_keys(e->after, e->nafter, m->cur.v, m->cur.n))
			return ep;
	}
	return NULL;
}

/* An event taken from the cache keeps its verdict (member, counted, why
 * not, the members after it): its causal past fixed them. Not so for a
 * genesis, whose count depends on which genesis comes first in the room's
 * order: with more than one, nothing is taken. */
static void forget_known(gitchat_members *m)
{
	size_t genesis = 0;

	for (size_t i = 0; i < m->nev; i++)
		genesis += m->ev[i].genesis;
	for (size_t i = 0; i < m->n; i++) {
		mnode *nd = &m->nodes[i];
		mevent *e;
		if (!nd->known || nd->ev == NONE ||
		    (genesis <= 1 && !m->ev[nd->ev].genesis && !m->ev[nd->ev].persons))
			continue;
		/* Counted again from its headers. */
		e = &m->ev[nd->ev];
		nd->known = 0;
		e->counted = e->persons = 0;
		if (e->ignored != GITCHAT_MEMBERS_MALFORMED)
			e->ignored = GITCHAT_MEMBERS_OK;
		free(e->after);
		e->after = NULL;
		e->nafter = 0;
	}
}

static int compute(gitchat_members *m)
{
	mstate causal = { 0 }, room = { 0 }, tmp = { 0 };
	uint32_t *mark = NULL, *sub = NULL, *back = NULL, prev = NONE;
	uint64_t *bits = NULL, *last = NULL;
	size_t words = (m->nev + 63) / 64, i, k;
	int error = 0, have_last = 0;

	forget_known(m);
	m->linear = 1;
	if (!(mark = calloc(m->n + 1, sizeof(*mark))) || !(sub = malloc((m->n + 1) * sizeof(*sub))) ||
	    !(back = malloc((m->n + 1) * sizeof(*back))) ||
	    !(bits = calloc(m->n * words + 1, sizeof(*bits))) ||
	    !(last = calloc(words + 1, sizeof(*last)))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (i = 0; i < m->n; i++) {
		mnode *nd = &m->nodes[i];
		uint64_t *b = bits + i * words;
		for (k = 0; k < nd->np; k++) {
			const uint64_t *pb = bits + (size_t)m->parents[nd->p0 + k] * words;
			const mnode *pn = &m->nodes[m->parents[nd->p0 + k]];
			for (size_t w = 0; w < words; w++)
				b[w] |= pb[w];
			if (pn->ev != NONE)
				b[pn->ev / 64] |= 1ull << (pn->ev % 64);
		}
		nd->removed = state_find(&room, &nd->key) == NULL;
		if (nd->ev != NONE) {
			mevent *e = &m->ev[nd->ev];
			if (!nd->known) {
				if ((error = causal_state(&causal, m, (uint32_t)i, mark, sub, back,
				                          (uint32_t)i + 1)) < 0)
					goto done;
				nd->member = state_find(&causal, &nd->key) != NULL;
				if ((error = count_event(m, e, &causal)) < 0)
					goto done;
				if (e->counted && ((error = state_apply(&causal, e)) < 0 ||
				                   (error = state_copy(&e->after, &e->nafter, &causal)) < 0))
					goto done;
			}
			if (e->counted) {
				if ((error = state_apply(&room, e)) < 0)
					goto done;
				/* One chain: each counted event descends from the one
				 * before, so that any order of the room applies them
				 * alike (what lets a send trust the cache). */
				if (prev != NONE && !(b[prev / 64] & (1ull << (prev % 64))))
					m->linear = 0;
				prev = nd->ev;
			}
			continue;
		}
		/* Runs of messages share their events' set: computed once per run. */
		if (!have_last || memcmp(last, b, words * sizeof(*b))) {
			if ((error = bits_state(&tmp, m, b, words)) < 0)
				goto done;
			memcpy(last, b, words * sizeof(*b));
			have_last = 1;
		}
		nd->member = state_find(&tmp, &nd->key) != NULL;
	}
	free(m->cur.v);
	m->cur = room;
	room.v = NULL;
	m->send_epoch = send_epoch(m);
	m->persons_dep = 0;
	for (k = 0; k < m->nev; k++)
		m->persons_dep |= m->ev[k].persons;
done:
	free(causal.v);
	free(room.v);
	free(tmp.v);
	free(mark);
	free(sub);
	free(back);
	free(bits);
	free(last);
	return error;
}

/* ---- building ---- */

static int key_cmp(const void *a, const void *b)
{
	return gitchat_pubkey_cmp(a, b);
}

/* Each node's key rank among the room's distinct keys, in byte order. */
static int key_ranks(gitchat_members *m)
{
	gitchat_pubkey *keys = malloc((m->n + 1) * sizeof(*keys));
	size_t i, nk = 0;

	if (!keys)
		return gitchat_error_oom();
	for (i = 0; i < m->n; i++)
		keys[i] = m->nodes[i].key;
	qsort(keys, m->n, sizeof(*keys), key_cmp);
	for (i = 0; i < m->n; i++)
		if (!nk || gitchat_pubkey_cmp(&keys[nk - 1], &keys[i]))
			keys[nk++] = keys[i];
	for (i = 0; i < m->n; i++) {
		size_t lo = 0, hi = nk;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (gitchat_pubkey_cmp(&keys[mid], &m->nodes[i].key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		m->nodes[i].rank = (uint32_t)lo;
	}
	free(keys);
	m->ranked = 1;
	return 0;
}

gitchat_members *gitchat_members_new(const char *room, size_t n)
{
	gitchat_members *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	snprintf(m->room, sizeof(m->room), "%s", room);
	if (!(m->nodes = calloc(n + 1, sizeof(*m->nodes)))) {
		free(m);
		return NULL;
	}
	return m;
}

/* Reads node m->n (id given) from the store: its time, key, parents
 * (through m->map, which must hold every parent) and headers. */
static int read_node(gitchat_members *m, gitchat_objects *objs, gitchat_buf *raw,
                     gitchat_members_hdr *h, git_repository *repo, const git_oid *id,
                     int need_parents_known)
{
	gitchat_commit c;
	mnode *nd = &m->nodes[m->n];
	uint32_t p;
	int error;

	nd->id = *id;
	nd->ev = NONE;
	if ((error = gitchat_objects_read_commit(raw, objs, id)) < 0 ||
	    (error = gitchat_commit_parse(&c, raw->ptr, raw->size)) < 0)
		return error;
	nd->time = c.author.time;
	if ((error = gitchat_commit_key(&nd->key, &c)) < 0)
		goto done;
	nd->p0 = (uint32_t)m->nparents;
	for (size_t k = 0; k < c.parent_count; k++) {
		if (!gitchat_oidmap_get(&m->map, &c.parents[k], &p)) {
			if (need_parents_known) {
				error = gitchat_error_set(GITCHAT_EINVALID,
				                          "a parent of a room's commit is not in the room");
				goto done;
			}
			continue;
		}
		if ((error = add_parent(m, p)) < 0)
			goto done;
		nd->np++;
	}
	if ((error = gitchat_oidmap_set(&m->map, id, (uint32_t)m->n)) < 0)
		goto done;
	error = read_headers(m, (uint32_t)m->n, h, raw->ptr, raw->size, repo);
	if (error == 0)
		m->n++;
done:
	gitchat_commit_dispose(&c);
	return error;
}

/* The members over commits `ids`, given in an order where parents come
 * first (the room's order). */
static int load_ordered(gitchat_members **out, gitchat_store *store, const char *room,
                        const git_oid *ids, size_t n)
{
	gitchat_members *m = NULL;
	gitchat_members_hdr *h = NULL;
	gitchat_objects objs;
	gitchat_buf raw = GITCHAT_BUF_INIT;
	git_repository *repo = gitchat_store_repository(store);
	int error, objs_open = 0;

	*out = NULL;
	if (!(m = gitchat_members_new(room, n)) || !(h = malloc(sizeof(*h)))) {
		error = gitchat_error_oom();
		goto done;
	}
	m->store = store;
	if ((error = gitchat_objects_open(&objs, repo)) < 0)
		goto done;
	objs_open = 1;
	if ((error = gitchat_oidmap_reserve(&m->map, n)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		if ((error = read_node(m, &objs, &raw, h, repo, &ids[i], 1)) < 0)
			goto done;
	m->mapped = 1;
	if ((error = compute(m)) < 0)
		goto done;
	*out = m;
	m = NULL;
done:
	if (objs_open)
		gitchat_objects_close(&objs);
	gitchat_buf_dispose(&raw);
	free(h);
	gitchat_members_free(m);
	return error;
}

/* ---- over a conversation, with the cache beside its index ---- */

static int copy_members(gitchat_member **out, const gitchat_member *v, size_t n)
{
	if (!(*out = malloc((n + 1) * sizeof(**out))))
		return gitchat_error_oom();
	if (n)
		memcpy(*out, v, n * sizeof(**out));
	return 0;
}

/* Node i's headers and, for an event, its verdict, as the cache had them
 * for its commit j. */
static int take_known(gitchat_members *m, uint32_t i, const gitchat_members *old, uint32_t j)
{
	mnode *nd = &m->nodes[i];
	const char *last = m->nstrs ? m->strs[m->nstrs - 1] : NULL, *epoch;
	const mevent *oe;
	mevent *e, *ev;
	int member, removed;
	uint32_t oev;

	gitchat_mcache_row(old, j, &epoch, &member, &removed, &oev);
	if (epoch) {
		if (last && !strcmp(last, epoch))
			nd->epoch = last;
		else if (!(nd->epoch = gitchat_members_keep(m, strdup(epoch))))
			return gitchat_error_oom();
	}
	if (oev == NONE)
		return 0;
	oe = &old->ev[oev];
	if (!(ev = realloc(m->ev, (m->nev + 1) * sizeof(*ev))))
		return gitchat_error_oom();
	m->ev = ev;
	e = &m->ev[m->nev];
	*e = *oe;
	e->node = i;
	e->adds = e->after = NULL;
	e->removes = NULL;
	nd->ev = (uint32_t)m->nev++;
	nd->member = member;
	nd->known = 1;
	if (copy_members(&e->adds, oe->adds, e->nadds) < 0 ||
	    copy_members(&e->after, oe->after, e->nafter) < 0 ||
	    !(e->removes = malloc((e->nremoves + 1) * sizeof(*e->removes))))
		return gitchat_error_oom();
	if (e->nremoves)
		memcpy(e->removes, oe->removes, e->nremoves * sizeof(*e->removes));
	return 0;
}

typedef struct {
	gitchat_store *store;
	gitchat_objects objs;
	int objs_open;
	gitchat_buf raw;
	gitchat_members_hdr *h;
	uint32_t *par;
	size_t cap;
} conv_reader;

/* Node i of the conversation: its id, key, time and parents from the
 * conversation, its headers from the cache `old` (with its map) when it
 * holds the commit, else from the commit. */
static int conv_node(gitchat_members *m, gitchat_conversation *conv, uint32_t i,
                     const gitchat_members *old, const gitchat_oidmap *oldmap, conv_reader *r)
{
	git_repository *repo = gitchat_store_repository(r->store);
	gitchat_conversation_entry e;
	mnode *nd = &m->nodes[i];
	gitchat_commit c;
	size_t np;
	uint32_t j;
	int error;

	if ((error = gitchat_conversation_entry_get_raw(&e, conv, i)) < 0)
		return error;
	nd->id = *e.id;
	nd->key = *e.key;
	nd->time = e.time;
	nd->ev = NONE;
	while ((error = gitchat_conversation_parents(r->par, r->cap, &np, conv, i)) ==
	       GITCHAT_EINVALID && np > r->cap) {
		uint32_t *v = realloc(r->par, np * sizeof(*v));
		gitchat_error_clear();
		if (!v)
			return gitchat_error_oom();
		r->par = v;
		r->cap = np;
	}
	if (error < 0)
		return error;
	nd->p0 = (uint32_t)m->nparents;
	for (size_t k = 0; k < np; k++) {
		if (r->par[k] >= i)
			return gitchat_error_set(GITCHAT_EINVALID, "a parent comes after its child");
		if ((error = add_parent(m, r->par[k])) < 0)
			return error;
	}
	nd->np = (uint32_t)np;
	if (old && gitchat_oidmap_get(oldmap, &nd->id, &j) && j < old->n)
		return take_known(m, i, old, j);
	if (!r->objs_open) {
		if ((error = gitchat_objects_open(&r->objs, repo)) < 0)
			return error;
		r->objs_open = 1;
	}
	if (!r->h && !(r->h = malloc(sizeof(*r->h))))
		return gitchat_error_oom();
	if ((error = gitchat_objects_read_commit(&r->raw, &r->objs, &nd->id)) < 0)
		return error;
	/* Only to check the bytes are a commit: the headers are read below. */
	if ((error = gitchat_commit_parse(&c, r->raw.ptr, r->raw.size)) < 0)
		return error;
	gitchat_commit_dispose(&c);
	return read_headers(m, i, r->h, r->raw.ptr, r->raw.size, repo);
}

/* The members of `conv` computed again, taking from `old` (may be NULL)
 * what it knows. */
static int load_conv(gitchat_members **out, gitchat_store *store, gitchat_conversation *conv,
                     const char *room, const gitchat_members *old)
{
	size_t n = gitchat_conversation_count(conv);
	gitchat_members *m = gitchat_members_new(room, n);
	gitchat_oidmap oldmap = GITCHAT_OIDMAP_INIT;
	conv_reader r;
	int error = 0;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	r.store = store;
	if (m)
		m->store = store;
	if (!m || n >= NONE)
		return m ? gitchat_error_set(GITCHAT_EUNSUPPORTED, "the room is too large") :
		           gitchat_error_oom();
	if (old && (error = gitchat_oidmap_reserve(&oldmap, old->n)) == 0)
		for (size_t j = 0; j < old->n && !error; j++)
			error = gitchat_oidmap_set(&oldmap, gitchat_mcache_id(old, j), (uint32_t)j);
	for (size_t i = 0; i < n && !error; i++)
		if ((error = conv_node(m, conv, (uint32_t)i, old, &oldmap, &r)) == 0)
			m->n++;
	if (!error)
		error = compute(m);
	if (!error) {
		*out = m;
		m = NULL;
	}
	if (r.objs_open)
		gitchat_objects_close(&r.objs);
	gitchat_buf_dispose(&r.raw);
	free(r.h);
	free(r.par);
	gitchat_oidmap_dispose(&oldmap);
	gitchat_members_free(m);
	return error;
}

/* The cache of the room (with the ids only when `ids`): NULL when there is
 * none or it is unusable (then it is only written again). */
static gitchat_members *cache_read(gitchat_tips *tips, const char *path, const char *room, int ids)
{
	gitchat_members *m = NULL;
	gitchat_buf b = GITCHAT_BUF_INIT;
	size_t size;

	memset(tips, 0, sizeof(*tips));
	if (gitchat_index_sidecar_read(&b, path, GITCHAT_MCACHE_PRELUDE) == 0 &&
	    (size = gitchat_mcache_size(b.ptr, b.size, ids)) &&
	    gitchat_index_sidecar_read(&b, path, size) == 0)
		gitchat_mcache_decode(&m, tips, &b, room, ids);
	gitchat_buf_dispose(&b);
	gitchat_error_clear();
	return m;
}

/* Best effort: a store that cannot be written reads on without it. The
 * head file too, so that sends start from here. */
static void cache_write(const char *path, const gitchat_members *m, gitchat_conversation *conv)
{
	gitchat_tips tips = { 0 };
	gitchat_buf b = GITCHAT_BUF_INIT, hp = GITCHAT_BUF_INIT;

	if (gitchat_conversation_tips(&tips, conv) == 0 && gitchat_mcache_encode(&b, m, &tips) == 0 &&
	    gitchat_index_sidecar_write(path, b.ptr, b.size) == 0 &&
	    gitchat_mcache_encode_head(&b, m, &tips) == 0 &&
	    gitchat_buf_printf(&hp, "%s-head", path) == 0)
		gitchat_index_sidecar_write(hp.ptr, b.ptr, b.size);
	gitchat_buf_dispose(&hp);
	gitchat_buf_dispose(&b);
	gitchat_tips_dispose(&tips);
	gitchat_error_clear();
}

int gitchat_members_load(gitchat_members **out, gitchat_store *store, gitchat_conversation *conv,
                         const char *room)
{
	const char *ixpath = gitchat_conversation_index_path(conv);
	gitchat_members *old = NULL;
	gitchat_tips tips = { 0 };
	gitchat_buf path = GITCHAT_BUF_INIT;
	int error;

	*out = NULL;
	if (ixpath && (error = gitchat_mcache_path(&path, ixpath, 0)) < 0)
		return error;
	if (ixpath)
		old = cache_read(&tips, path.ptr, room, 0);
	/* Warm: built over exactly this conversation. */
	if (old && old->n == gitchat_conversation_count(conv) && !old->persons_dep &&
	    gitchat_conversation_tips_match(conv, &tips) == 1) {
		old->conv = conv;
		*out = old;
		old = NULL;
		error = 0;
		goto done;
	}
	gitchat_error_clear();
	/* Moved: what it knows of each commit, found by id. */
	gitchat_members_free(old);
	gitchat_tips_dispose(&tips);
	old = ixpath ? cache_read(&tips, path.ptr, room, 1) : NULL;
	if ((error = load_conv(out, store, conv, room, old)) == 0 && ixpath)
		cache_write(path.ptr, *out, conv);
done:
	gitchat_members_free(old);
	gitchat_tips_dispose(&tips);
	gitchat_buf_dispose(&path);
	return error;
}

/* ---- what a send needs, from the cache's head ---- */

/* At most this many commits since the cache was written are read for
 * their headers; past that the room is loaded (and the cache written). */
#define QUICK_MAX 64

typedef struct {
	git_oid id, first;      /* a new commit and its first parent */
	int has_first;
} walked;

/* The commits each moved ref gained lead back to its cached tip along
 * first parents (a log's own head is always its next commit's first
 * parent): the ref moved forward, not back or aside. */
static int forward(const walked *w, size_t nw, const git_oid *now, const git_oid *was)
{
	git_oid cur = *now;

	for (size_t steps = 0; steps <= nw; steps++) {
		size_t i;
		for (i = 0; i < nw && !git_oid_equal(&w[i].id, &cur); i++)
			;
		if (i == nw || !w[i].has_first)
			return 0;
		if (git_oid_equal(&w[i].first, was))
			return 1;
		cur = w[i].first;
	}
	return 0;
}

/* Already walked, waiting, or a cached tip (where walking stops). */
static int seen(const walked *w, size_t nw, const git_oid *stack, size_t sp,
                const gitchat_tips *was, const git_oid *id)
{
	for (size_t i = 0; i < nw; i++)
		if (git_oid_equal(&w[i].id, id))
			return 1;
	for (size_t i = 0; i < sp; i++)
		if (git_oid_equal(&stack[i], id))
			return 1;
	for (size_t i = 0; i < was->count; i++)
		if (git_oid_equal(&was->tips[i].id, id))
			return 1;
	return 0;
}

/* 0 when every commit the refs reach beyond the cached tips is a message
 * (no event: the membership cannot have changed), *moved saying whether
 * there were any; GITCHAT_ENOTFOUND when not, or when that cannot be told
 * cheaply. */
static int only_messages_since(int *moved, git_repository *repo, const gitchat_tips *was,
                               const gitchat_tips *now, int linear)
{
	gitchat_objects objs;
	gitchat_members_hdr *h = NULL;
	gitchat_buf raw = GITCHAT_BUF_INIT;
	walked w[QUICK_MAX];
	git_oid stack[QUICK_MAX];
	gitchat_commit c;
	size_t i, j = 0, nw = 0, sp = 0;
	int error = GITCHAT_ENOTFOUND, objs_open = 0;

	*moved = now->count != was->count;
	for (i = 0; i < was->count && !*moved; i++)
		*moved = !git_oid_equal(&now->tips[i].id, &was->tips[i].id) ||
		         strcmp(now->tips[i].refname, was->tips[i].refname);
	if (!*moved)
		return 0;
	/* New messages may reorder concurrent events: only a chain is safe. */
	if (!linear)
		return GITCHAT_ENOTFOUND;
	/* Walk back from the refs, stopping at the cached tips: every commit
	 * the cache does not cover is met (and maybe some it does, through a
	 * commit that was no tip: counted as new, which only costs). */
	if (!(h = malloc(sizeof(*h))) || gitchat_objects_open(&objs, repo) < 0)
		goto done;
	objs_open = 1;
	for (i = 0; i < now->count; i++)
		if (!seen(w, nw, stack, sp, was, &now->tips[i].id) && sp < QUICK_MAX)
			stack[sp++] = now->tips[i].id;
		else if (sp == QUICK_MAX)
			goto done;
	while (sp) {
		int bad;
		if (nw == QUICK_MAX)
			goto done;
		w[nw].id = stack[--sp];
		if (gitchat_objects_read_commit(&raw, &objs, &w[nw].id) < 0 ||
		    gitchat_commit_parse(&c, raw.ptr, raw.size) < 0)
			goto done;
		if ((w[nw].has_first = c.parent_count > 0))
			w[nw].first = c.parents[0];
		nw++;
		bad = 0;
		for (size_t k = 0; k < c.parent_count && !bad; k++)
			if (!seen(w, nw, stack, sp, was, &c.parents[k]))
				bad = sp == QUICK_MAX || !(stack[sp++] = c.parents[k], 1);
		gitchat_commit_dispose(&c);
		if (bad || gitchat_members_hdr_parse(h, raw.ptr, raw.size) < 0 || h->has_genesis ||
		    h->nchanges || (h->epoch[0] && has_epoch_file(repo, &h->tree)))
			goto done;
	}
	/* Every cached ref is still there, at its cached commit or ahead. */
	for (i = 0; i < was->count; i++) {
		while (j < now->count && strcmp(now->tips[j].refname, was->tips[i].refname) < 0)
			j++;
		if (j == now->count || strcmp(now->tips[j].refname, was->tips[i].refname) ||
		    (!git_oid_equal(&now->tips[j].id, &was->tips[i].id) &&
		     !forward(w, nw, &now->tips[j].id, &was->tips[i].id)))
			goto done;
		j++;
	}
	error = 0;
done:
	if (objs_open)
		gitchat_objects_close(&objs);
	gitchat_buf_dispose(&raw);
	free(h);
	gitchat_error_clear();
	return error;
}

/* The head of `path` (a head file or a whole cache). */
static int head_read(gitchat_mcache_head *h, const char *path, const char *room)
{
	gitchat_buf b = GITCHAT_BUF_INIT;
	size_t need = 0;
	int error;

	if ((error = gitchat_index_sidecar_read(&b, path, GITCHAT_MCACHE_HEAD_READ)) == 0 &&
	    (error = gitchat_mcache_decode_head(h, &need, b.ptr, b.size, room)) == GITCHAT_EMODIFIED &&
	    (error = gitchat_index_sidecar_read(&b, path, need)) == 0)
		error = gitchat_mcache_decode_head(h, &need, b.ptr, b.size, room);
	gitchat_buf_dispose(&b);
	return error;
}

int gitchat_members_load_current(gitchat_members **out, gitchat_store *store, const char *room)
{
	git_repository *repo = gitchat_store_repository(store);
	gitchat_mcache_head h = { 0 };
	gitchat_members *m = NULL;
	gitchat_tips now = { 0 };
	gitchat_buf ix = GITCHAT_BUF_INIT, path = GITCHAT_BUF_INIT, b = GITCHAT_BUF_INIT;
	int error, moved = 0, head;

	*out = NULL;
	if ((error = gitchat_index_path(&ix, repo, room)) < 0 ||
	    (error = gitchat_tips_list(&now, NULL, repo, room)) < 0)
		goto done;
	/* The head file (rewritten by sends), else the whole cache's head. */
	for (head = 1; head >= 0; head--) {
		if ((error = gitchat_mcache_path(&path, ix.ptr, head)) < 0)
			goto done;
		gitchat_mcache_head_dispose(&h);
		if (head_read(&h, path.ptr, room) == 0 && !h.persons &&
		    only_messages_since(&moved, repo, &h.tips, &now, h.linear) == 0)
			break;
	}
	if (head < 0) {
		error = gitchat_error_set(GITCHAT_ENOTFOUND, "the membership cache of room '%s' does "
		                          "not answer for its refs", room);
		goto done;
	}
	if (!(m = gitchat_members_new(room, 0))) {
		error = gitchat_error_oom();
		goto done;
	}
	if ((error = gitchat_mcache_head_take(m, &h)) < 0)
		goto done;
	/* The same state holds for the refs now: the next send starts here. */
	if (moved && gitchat_mcache_path(&path, ix.ptr, 1) == 0 &&
	    gitchat_mcache_encode_head(&b, m, &now) == 0)
		gitchat_index_sidecar_write(path.ptr, b.ptr, b.size);
	gitchat_error_clear();
	*out = m;
	m = NULL;
	error = 0;
done:
	gitchat_members_free(m);
	gitchat_mcache_head_dispose(&h);
	gitchat_tips_dispose(&now);
	gitchat_buf_dispose(&ix);
	gitchat_buf_dispose(&path);
	gitchat_buf_dispose(&b);
	return error;
}

/* The hook's entry: walk from the tips, order the set here, then read it
 * in that order. */
int gitchat_members_load_tips(gitchat_members **out, gitchat_store *store, const char *room,
                              const git_oid *tips, size_t ntips)
{
	git_repository *repo = gitchat_store_repository(store);
	git_revwalk *walk = NULL;
	gitchat_members *pre = NULL;
	gitchat_members_hdr *h = NULL;
	gitchat_objects objs;
	gitchat_buf raw = GITCHAT_BUF_INIT;
	gitchat_order_node *on = NULL;
	uint32_t *order = NULL;
	git_oid id, *ids = NULL;
	size_t nids = 0, cap = 0;
	int error, objs_open = 0;

	*out = NULL;
	if ((error = git_revwalk_new(&walk, repo)) < 0) {
		error = gitchat_error_from_git(error, "cannot walk the room");
		goto done;
	}
	/* Topological, parents first: each commit's parents are known when
	 * it is read. */
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	for (size_t i = 0; i < ntips; i++)
		if ((error = git_revwalk_push(walk, &tips[i])) < 0) {
			error = gitchat_error_from_git(error, "cannot walk the room");
			goto done;
		}
	while ((error = git_revwalk_next(&id, walk)) == 0) {
		if ((error = gitchat_array_grow(&ids, &cap, nids + 1, sizeof(*ids), 256)) < 0)
			goto done;
		ids[nids++] = id;
	}
	if (error != GIT_ITEROVER) {
		error = gitchat_error_from_git(error, "cannot walk the room");
		goto done;
	}
	if (!(pre = gitchat_members_new(room, nids)) || !(h = malloc(sizeof(*h)))) {
		error = gitchat_error_oom();
		goto done;
	}
	if ((error = gitchat_objects_open(&objs, repo)) < 0)
		goto done;
	objs_open = 1;
	for (size_t i = 0; i < nids; i++)
		if ((error = read_node(pre, &objs, &raw, h, repo, &ids[i], 1)) < 0)
			goto done;
	if ((error = key_ranks(pre)) < 0)
		goto done;
	if (!(on = calloc(nids + 1, sizeof(*on))) || !(order = malloc((nids + 1) * sizeof(*order)))) {
		error = gitchat_error_oom();
		goto done;
	}
	for (size_t i = 0; i < nids; i++) {
		on[i].time = pre->nodes[i].time;
		on[i].id = pre->nodes[i].id;
		on[i].key = pre->nodes[i].rank;
		on[i].first_parent = pre->nodes[i].p0;
		on[i].nparents = pre->nodes[i].np;
	}
	if ((error = gitchat_order_compute(order, on, nids, pre->parents)) < 0)
		goto done;
	for (size_t i = 0; i < nids; i++)
		ids[i] = pre->nodes[order[i]].id;
	error = load_ordered(out, store, room, ids, nids);
done:
	if (objs_open)
		gitchat_objects_close(&objs);
	git_revwalk_free(walk);
	gitchat_buf_dispose(&raw);
	free(ids);
	free(on);
	free(order);
	free(h);
	gitchat_members_free(pre);
	return error;
}

/* ---- answers ---- */

int gitchat_members_valid(const gitchat_members *m)
{
	return m->valid;
}

size_t gitchat_members_count(const gitchat_members *m)
{
	return m->n;
}

static int info_fill(gitchat_members_info *out, const gitchat_members *m, size_t i, int ids);

int gitchat_members_info_get(gitchat_members_info *out, const gitchat_members *m, size_t i)
{
	return info_fill(out, m, i, 1);
}

int gitchat_members_info_peek(gitchat_members_info *out, const gitchat_members *m, size_t i)
{
	return info_fill(out, m, i, 0);
}

static int info_fill(gitchat_members_info *out, const gitchat_members *m, size_t i, int ids)
{
	const mnode *nd;
	const mevent *e;

	if (i >= m->n)
		return gitchat_error_set(GITCHAT_ENOTFOUND, "no commit %zu in this room", i);
	/* Field by field, not memset: asked for every message of a page's
	 * room, where a 104-byte `rep stos` was most of the walk. */
	out->id = NULL;
	out->key = NULL;
	out->event = out->genesis = out->counted = out->epoch_file = 0;
	out->ignored = NULL;
	out->after = out->adds = NULL;
	out->after_count = out->add_count = 0;
	out->dm = NULL;
	if (m->rows) {
		gitchat_conversation_entry ce;
		uint32_t ev;
		int error;
		if (ids) {
			if ((error = gitchat_conversation_entry_get_raw(&ce, m->conv, i)) < 0)
				return error;
			out->id = ce.id;
			out->key = ce.key;
		}
		gitchat_mcache_row(m, i, &out->epoch, &out->member, &out->removed, &ev);
		if (ev == NONE)
			return 0;
		e = &m->ev[ev];
	} else {
		nd = &m->nodes[i];
		out->id = &nd->id;
		out->key = &nd->key;
		out->member = nd->member;
		out->removed = nd->removed;
		out->epoch = nd->epoch;
		if (nd->ev == NONE)
			return 0;
		e = &m->ev[nd->ev];
	}
	out->event = 1;
	out->genesis = e->genesis && e->counted;
	out->counted = e->counted;
	out->ignored = gitchat_members_ignored[e->ignored];
	out->epoch_file = e->epoch_file;
	out->after = e->after;
	out->after_count = e->nafter;
	out->adds = e->adds;
	out->add_count = e->nadds;
	out->dm = e->has_dm ? &e->dm : NULL;
	return 0;
}

int gitchat_members_messages_clean(const char *const **epochs, size_t *n,
                                   const gitchat_members *m)
{
	*epochs = NULL;
	*n = 0;
	if (!m->rows || !m->clean)
		return 0;
	*epochs = m->used;
	*n = m->nused;
	return 1;
}

size_t gitchat_members_event_count(const gitchat_members *m)
{
	return m->nev;
}

size_t gitchat_members_event_commit(const gitchat_members *m, size_t k)
{
	return m->ev[k].node;
}

int gitchat_members_find(size_t *out, const gitchat_members *m, const git_oid *id)
{
	gitchat_members *w = (gitchat_members *)m;   /* the map is built on first use */
	uint32_t v;
	int error = 0;

	if (m->rows)
		return gitchat_conversation_find(out, m->conv, id);
	if (!m->mapped) {
		if ((error = gitchat_oidmap_reserve(&w->map, m->n)) == 0)
			for (size_t i = 0; i < m->n && !error; i++)
				error = gitchat_oidmap_set(&w->map, &m->nodes[i].id, (uint32_t)i);
		if (error < 0)
			return error;
		w->mapped = 1;
	}
	if (!gitchat_oidmap_get(&m->map, id, &v))
		return gitchat_error_set(GITCHAT_ENOTFOUND, "the commit is not in the room");
	*out = v;
	return 0;
}

const gitchat_member *gitchat_members_current(size_t *n, const gitchat_members *m)
{
	*n = m->cur.n;
	return m->cur.v;
}

const char *gitchat_members_epoch(const gitchat_members *m)
{
	return m->send_epoch;
}

const gitchat_member *gitchat_members_get(const gitchat_members *m, const gitchat_pubkey *key)
{
	return state_find(&m->cur, key);
}

void gitchat_members_free(gitchat_members *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nstrs; i++)
		free(m->strs[i]);
	free(m->strs);
	for (size_t i = 0; i < m->nev; i++) {
		free(m->ev[i].adds);
		free(m->ev[i].removes);
		free(m->ev[i].after);
	}
	free(m->ev);
	free(m->nodes);
	free(m->epochs);
	free(m->used);
	gitchat_buf_dispose(&m->file);
	free(m->parents);
	free(m->cur.v);
	gitchat_oidmap_dispose(&m->map);
	gitchat_persons_free(m->persons);
	free(m);
}
