#include <stdlib.h>
#include <string.h>

#include "gitchat/verify.h"
#include "message/commit.h"
#include "order/graph.h"
#include "message/objects.h"
#include "util/buf.h"
#include "util/array.h"
#include "util/error.h"
#include "verify/cache.h"

#define NONE GITCHAT_GRAPH_NONE

void gitchat_graph_init(gitchat_graph *g)
{
	memset(g, 0, sizeof(*g));
}

void gitchat_graph_dispose(gitchat_graph *g)
{
	free(g->nodes);
	free(g->kind);
	free(g->state);
	free(g->text);
	free(g->parents);
	free(g->slots);
	free(g->keys);
	free(g->keyslots);
	free(g->links);
	free(g->failures);
	gitchat_buf_dispose(&g->strings);
	memset(g, 0, sizeof(*g));
}

static int nodes_grow(gitchat_graph *g, size_t need)
{
	size_t cap = g->cap;
	uint8_t *k, *s;
	uint32_t *t;

	if (need <= g->cap)
		return 0;
	if (need >= NONE)
		return gitchat_error_set(GITCHAT_EINVALID, "the room has more than 2^32 commits");
	if (gitchat_array_grow(&g->nodes, &cap, need, sizeof(*g->nodes), 64) < 0)
		return GITCHAT_ENOMEM;
	if (!(k = realloc(g->kind, cap)) || (g->kind = k, !(s = realloc(g->state, cap))) ||
	    (g->state = s, !(t = realloc(g->text, cap * sizeof(uint32_t)))))
		return gitchat_error_oom();
	g->text = t;
	g->cap = cap;
	return 0;
}

static int slots_rebuild(gitchat_graph *g, size_t want);

int gitchat_graph_reserve(gitchat_graph *g, size_t nodes, size_t parents)
{
	if (nodes_grow(g, nodes) < 0 ||
	    ((nodes + 1) * 4 > g->nslots * 3 && slots_rebuild(g, nodes + nodes / 4 + 1) < 0))
		return GITCHAT_ENOMEM;
	return gitchat_array_grow(&g->parents, &g->capp, parents, sizeof(uint32_t), 64);
}

/* Oids are SHA-1 output: their bytes are already good hashes. The slot
 * keeps a second piece of the oid beside the node, so that a probe that
 * misses costs no trip to the node array (a cache miss at a million). */
static size_t oid_hash(const git_oid *id)
{
	uint64_t h;
	memcpy(&h, id->id, sizeof(h));
	return (size_t)h;
}

static uint64_t oid_tag(const git_oid *id)
{
	uint32_t t;
	memcpy(&t, id->id + 8, sizeof(t));
	return (uint64_t)t << 32;
}

static void slots_put(uint64_t *slots, size_t nslots, const gitchat_order_node *nodes, uint32_t v)
{
	size_t i;
	for (i = oid_hash(&nodes[v].id) & (nslots - 1); slots[i]; i = (i + 1) & (nslots - 1))
		;
	slots[i] = oid_tag(&nodes[v].id) | ((uint64_t)v + 1);
}

static int slots_rebuild(gitchat_graph *g, size_t want)
{
	size_t n = 1024, i;
	uint64_t *s;

	while (n < want * 4 / 3 + 1)
		n *= 2;
	if (!(s = calloc(n, sizeof(uint64_t))))
		return gitchat_error_oom();
	for (i = 0; i < g->n; i++)
		slots_put(s, n, g->nodes, (uint32_t)i);
	free(g->slots);
	g->slots = s;
	g->nslots = n;
	return 0;
}

uint32_t gitchat_graph_find(const gitchat_graph *g, const git_oid *id)
{
	uint64_t tag = oid_tag(id), v;
	size_t i;

	if (!g->nslots)
		return NONE;
	for (i = oid_hash(id) & (g->nslots - 1); (v = g->slots[i]) != 0; i = (i + 1) & (g->nslots - 1)) {
		uint32_t node = (uint32_t)v - 1;
		if ((v & 0xffffffff00000000ull) == tag &&
		    memcmp(g->nodes[node].id.id, id->id, GIT_OID_RAWSZ) == 0)
			return node;
	}
	return NONE;
}

void gitchat_graph_drop_lookup(gitchat_graph *g)
{
	free(g->slots);
	g->slots = NULL;
	g->nslots = 0;
}

/* Appends a node with no parents yet; the hash is kept at most 3/4 full. */
static int node_add(uint32_t *out, gitchat_graph *g, const git_oid *id)
{
	gitchat_order_node *nd;

	if (nodes_grow(g, g->n + 1) < 0)
		return GITCHAT_ENOMEM;
	nd = &g->nodes[g->n];
	memset(nd, 0, sizeof(*nd));
	git_oid_cpy(&nd->id, id);
	nd->key = NONE;
	nd->first_parent = (uint32_t)g->np;
	g->kind[g->n] = GITCHAT_MESSAGE_TEXT;
	g->state[g->n] = 0;
	g->text[g->n] = 0;
	*out = (uint32_t)g->n++;
	if ((g->n + 1) * 4 > g->nslots * 3)
		return slots_rebuild(g, g->n * 2);
	slots_put(g->slots, g->nslots, g->nodes, *out);
	return 0;
}

/* The node of `id`, added when the graph lacks it: new, to be read, or a
 * stub when the index it extends holds it. */
static int node_for(uint32_t *out, gitchat_graph *g, const git_oid *id)
{
	int known, error;

	if ((*out = gitchat_graph_find(g, id)) != NONE)
		return 0;
	known = g->known ? g->known(id, g->known_payload) : 0;
	if (known < 0)
		return known;
	if ((error = node_add(out, g, id)) < 0)
		return error;
	g->state[*out] = known ? (GITCHAT_GRAPH_VALID | GITCHAT_GRAPH_STUB) : GITCHAT_GRAPH_NEW;
	return 0;
}

int gitchat_graph_push(gitchat_graph *g, const git_oid *id, int64_t time, uint32_t key,
                       unsigned kind, unsigned state, uint32_t text, const uint32_t *parents,
                       size_t nparents)
{
	uint32_t v;
	int error;

	if ((error = node_add(&v, g, id)) < 0 ||
	    (error = gitchat_array_grow(&g->parents, &g->capp, g->np + nparents,
	                                sizeof(uint32_t), 64)) < 0)
		return error;
	if (nparents)
		memcpy(g->parents + g->np, parents, nparents * sizeof(uint32_t));
	g->np += nparents;
	g->nodes[v].time = time;
	g->nodes[v].key = key;
	g->nodes[v].nparents = (uint32_t)nparents;
	g->kind[v] = (uint8_t)kind;
	g->state[v] = (uint8_t)state;
	g->text[v] = text;
	return 0;
}

static size_t key_hash(const gitchat_pubkey *k)
{
	uint64_t h;
	memcpy(&h, k->bytes, sizeof(h));
	return (size_t)h;
}

static int keyslots_rebuild(gitchat_graph *g)
{
	size_t n = 16, i, j;
	uint32_t *s;

	while (n < (g->nkeys + 1) * 2)
		n *= 2;
	if (!(s = calloc(n, sizeof(uint32_t))))
		return gitchat_error_oom();
	for (i = 0; i < g->nkeys; i++) {
		for (j = key_hash(&g->keys[i]) & (n - 1); s[j]; j = (j + 1) & (n - 1))
			;
		s[j] = (uint32_t)i + 1;
	}
	free(g->keyslots);
	g->keyslots = s;
	g->nkeyslots = n;
	return 0;
}

/* Keys are few (one per author) but an attacker could sign with many:
 * hashed, not searched. */
int gitchat_graph_key(uint32_t *out, gitchat_graph *g, const gitchat_pubkey *key)
{
	size_t j;

	if (g->nkeyslots)
		for (j = key_hash(key) & (g->nkeyslots - 1); g->keyslots[j];
		     j = (j + 1) & (g->nkeyslots - 1))
			if (gitchat_pubkey_cmp(&g->keys[g->keyslots[j] - 1], key) == 0) {
				*out = g->keyslots[j] - 1;
				return 0;
			}
	if (gitchat_array_grow(&g->keys, &g->capkeys, g->nkeys + 1, sizeof(*g->keys), 64) < 0)
		return GITCHAT_ENOMEM;
	g->keys[g->nkeys] = *key;
	*out = (uint32_t)g->nkeys++;
	if (g->nkeys * 2 > g->nkeyslots)
		return keyslots_rebuild(g);
	for (j = key_hash(key) & (g->nkeyslots - 1); g->keyslots[j]; j = (j + 1) & (g->nkeyslots - 1))
		;
	g->keyslots[j] = *out + 1;
	return 0;
}

int gitchat_graph_link_add(gitchat_graph *g, uint32_t node, uint32_t which, const git_oid *id)
{
	gitchat_graph_link *l;

	if (gitchat_array_grow(&g->links, &g->caplinks, g->nlinks + 1, sizeof(*g->links), 64) < 0)
		return GITCHAT_ENOMEM;
	l = &g->links[g->nlinks++];
	l->node = node;
	l->which = which;
	git_oid_cpy(&l->id, id);
	l->resolved = NONE;
	return 0;
}

int gitchat_graph_fail(gitchat_graph *g, uint32_t node, const char *reason)
{
	gitchat_graph_failure *f;

	if (gitchat_array_grow(&g->failures, &g->capfailures, g->nfailures + 1, sizeof(*f),
	                       64) < 0)
		return GITCHAT_ENOMEM;
	f = &g->failures[g->nfailures++];
	f->node = node;
	f->reason = (uint32_t)g->strings.size;
	if (gitchat_buf_put(&g->strings, reason, strlen(reason) + 1) < 0)
		return GITCHAT_ENOMEM;
	g->state[node] = (uint8_t)((g->state[node] & ~GITCHAT_GRAPH_VALID) | GITCHAT_GRAPH_INVALID);
	return 0;
}

/* Reads new node v: its facts, its links and its parents (added as new
 * nodes when unknown). A commit that cannot be read or parsed is invalid
 * and has no parents to walk. */
static int parse_new(gitchat_graph *g, uint32_t v, gitchat_objects *objs, gitchat_buf *raw,
                     gitchat_text_writer *tw)
{
	gitchat_commit c;
	gitchat_pubkey signer;
	uint32_t key = NONE, p;
	size_t i;
	int error;

	g->parsed++;
	if ((error = gitchat_objects_read_commit(raw, objs, &g->nodes[v].id)) < 0 ||
	    (error = gitchat_commit_parse(&c, raw->ptr, raw->size)) < 0) {
		if (error != GITCHAT_ENOTFOUND && error != GITCHAT_EINVALID)
			return error;
		return gitchat_graph_fail(g, v, gitchat_error_last()->message);
	}
	if (gitchat_commit_key(&signer, &c) == 0 &&
	    (error = gitchat_graph_key(&key, g, &signer)) < 0)
		goto done;
	gitchat_error_clear();
	g->nodes[v].time = c.author.time;
	g->nodes[v].key = key;
	g->kind[v] = (uint8_t)c.kind;
	if (tw)
		g->text[v] = gitchat_text_add(tw, &g->nodes[v].id, &c);
	if (c.kind != GITCHAT_MESSAGE_TEXT &&
	    (error = gitchat_graph_link_add(g, v, GITCHAT_LINK_TARGET, &c.target)) < 0)
		goto done;
	if (c.has_reply && (error = gitchat_graph_link_add(g, v, GITCHAT_LINK_REPLY, &c.reply_to)) < 0)
		goto done;
	/* Parents are appended in node order: v's list starts where it is. */
	if ((error = gitchat_array_grow(&g->parents, &g->capp, g->np + c.parent_count,
	                                sizeof(uint32_t), 64)) < 0)
		goto done;
	g->nodes[v].first_parent = (uint32_t)g->np;
	for (i = 0; i < c.parent_count; i++) {
		if ((error = node_for(&p, g, &c.parents[i])) < 0)
			goto done;
		g->parents[g->np++] = p;
	}
	g->nodes[v].nparents = (uint32_t)c.parent_count;
done:
	gitchat_commit_dispose(&c);
	return error;
}

/* Marks valid every new, undecided node that `from` reaches through new
 * nodes: ancestors of a valid commit are valid. */
static int propagate_valid(gitchat_graph *g, uint32_t from, uint32_t **stack, size_t *cap)
{
	size_t n = 0, k;

	g->state[from] |= GITCHAT_GRAPH_VALID;
	if (gitchat_array_grow(stack, cap, 1, sizeof(uint32_t), 64) < 0)
		return GITCHAT_ENOMEM;
	(*stack)[n++] = from;
	while (n) {
		uint32_t v = (*stack)[--n];
		const gitchat_order_node *nd = &g->nodes[v];
		for (k = 0; k < nd->nparents; k++) {
			uint32_t p = g->parents[nd->first_parent + k];
			if ((g->state[p] & (GITCHAT_GRAPH_NEW | GITCHAT_GRAPH_VALID | GITCHAT_GRAPH_INVALID)) !=
			    GITCHAT_GRAPH_NEW)
				continue;
			g->state[p] |= GITCHAT_GRAPH_VALID;
			if (gitchat_array_grow(stack, cap, n + 1, sizeof(uint32_t), 64) < 0)
				return GITCHAT_ENOMEM;
			(*stack)[n++] = p;
		}
	}
	return 0;
}

static int decide(gitchat_graph *g, gitchat_store *store, const char *room, uint32_t v,
                  uint32_t **stack, size_t *cap)
{
	int error;

	if (g->state[v] & (GITCHAT_GRAPH_VALID | GITCHAT_GRAPH_INVALID))
		return 0;
	error = gitchat_verify_commit(store, &g->nodes[v].id, room, NULL);
	if (error == 0)
		return propagate_valid(g, v, stack, cap);
	if (error == GITCHAT_EVERIFY)
		return gitchat_graph_fail(g, v, gitchat_error_last()->message);
	return error;
}

/* The new commits' validity. The old nodes their parents name were
 * verified when they were added: telling the verification cache so lets
 * gitchat_verify_commit stop there even if its own file was lost. */
static int decide_new(gitchat_graph *g, gitchat_store *store, const char *room,
                      const gitchat_tips *tips, size_t first_new)
{
	gitchat_verify_cache *cache;
	uint32_t *stack = NULL;
	size_t cap = 0, i, k;
	int error;

	if ((error = gitchat_verify_cache_of(&cache, store)) < 0)
		return error;
	for (i = first_new; i < g->n; i++) {
		const gitchat_order_node *nd = &g->nodes[i];
		for (k = 0; k < nd->nparents; k++) {
			uint32_t p = g->parents[nd->first_parent + k];
			if ((g->state[p] & (GITCHAT_GRAPH_NEW | GITCHAT_GRAPH_VALID | GITCHAT_GRAPH_MARK)) !=
			    GITCHAT_GRAPH_VALID)
				continue;
			g->state[p] |= GITCHAT_GRAPH_MARK;
			if ((error = gitchat_verify_cache_set_valid(cache, room, &g->nodes[p].id)) < 0)
				goto done;
		}
	}
	for (i = 0; i < tips->count; i++) {
		uint32_t v = gitchat_graph_find(g, &tips->tips[i].id);
		if (v != NONE && (g->state[v] & GITCHAT_GRAPH_NEW) &&
		    (error = decide(g, store, room, v, &stack, &cap)) < 0)
			goto done;
	}
	for (i = first_new; i < g->n; i++)
		if ((error = decide(g, store, room, (uint32_t)i, &stack, &cap)) < 0)
			goto done;
	error = 0;
done:
	for (i = 0; i < g->n; i++)
		g->state[i] &= (uint8_t)~(GITCHAT_GRAPH_MARK | GITCHAT_GRAPH_NEW);
	if (error == 0)
		gitchat_error_clear();   /* the invalid commits' reasons are kept per node */
	free(stack);
	return error;
}

/* MARK on every node a tip reaches; returns how many are not marked. */
static int mark_reachable(size_t *unreached, gitchat_graph *g, const gitchat_tips *tips)
{
	uint32_t *stack = NULL;
	size_t cap = 0, n = 0, i, k, marked = 0;

	for (i = 0; i < tips->count; i++) {
		uint32_t v = gitchat_graph_find(g, &tips->tips[i].id);
		if (v == NONE || (g->state[v] & GITCHAT_GRAPH_MARK))
			continue;
		g->state[v] |= GITCHAT_GRAPH_MARK;
		marked++;
		if (gitchat_array_grow(&stack, &cap, n + 1, sizeof(uint32_t), 64) < 0)
			goto oom;
		stack[n++] = v;
		while (n) {
			const gitchat_order_node *nd = &g->nodes[stack[--n]];
			for (k = 0; k < nd->nparents; k++) {
				uint32_t p = g->parents[nd->first_parent + k];
				if (g->state[p] & GITCHAT_GRAPH_MARK)
					continue;
				g->state[p] |= GITCHAT_GRAPH_MARK;
				marked++;
				if (gitchat_array_grow(&stack, &cap, n + 1, sizeof(uint32_t), 64) < 0)
					goto oom;
				stack[n++] = p;
			}
		}
	}
	free(stack);
	*unreached = g->n - marked;
	return 0;
oom:
	free(stack);
	return GITCHAT_ENOMEM;
}

static const gitchat_order_node *sort_nodes;

static int by_oid(const void *a, const void *b)
{
	return git_oid_cmp(&sort_nodes[*(const uint32_t *)a].id, &sort_nodes[*(const uint32_t *)b].id);
}

/* Valid nodes first (in their present order), then the invalid ones by
 * oid; nodes no tip reaches are dropped. Valid nodes only move down, and
 * the parent array is in node order, so both compact in place; the few
 * invalid nodes are set aside meanwhile. */
static int relayout(gitchat_graph *g)
{
	uint32_t *map = malloc((g->n + 1) * sizeof(uint32_t)), *inv = NULL;
	gitchat_order_node *invn = NULL;
	uint8_t *invk = NULL, *invs = NULL;
	uint32_t *invt = NULL;
	uint32_t *invp = NULL;
	size_t i, k, ninv = 0, nvalid = 0, np = 0, npinv = 0, out;
	int error = GITCHAT_ENOMEM;

	if (!map)
		goto done;
	for (i = 0; i < g->n; i++)
		if ((g->state[i] & GITCHAT_GRAPH_MARK) && !(g->state[i] & GITCHAT_GRAPH_VALID))
			ninv++;
	if (!(inv = malloc((ninv + 1) * sizeof(uint32_t))))
		goto done;
	for (i = 0, k = 0; i < g->n; i++) {
		map[i] = NONE;
		if (!(g->state[i] & GITCHAT_GRAPH_MARK))
			continue;
		if (g->state[i] & GITCHAT_GRAPH_VALID)
			map[i] = (uint32_t)nvalid++;
		else
			inv[k++] = (uint32_t)i;
	}
	sort_nodes = g->nodes;
	qsort(inv, ninv, sizeof(uint32_t), by_oid);
	for (k = 0; k < ninv; k++) {
		map[inv[k]] = (uint32_t)(nvalid + k);
		npinv += g->nodes[inv[k]].nparents;
	}
	if (!(invn = malloc((ninv + 1) * sizeof(*invn))) || !(invk = malloc(ninv + 1)) ||
	    !(invs = malloc(ninv + 1)) || !(invp = malloc((npinv + 1) * sizeof(uint32_t))) ||
	    !(invt = malloc((ninv + 1) * sizeof(uint32_t))))
		goto done;
	for (k = 0, npinv = 0; k < ninv; k++) {
		const gitchat_order_node *nd = &g->nodes[inv[k]];
		invn[k] = *nd;
		invn[k].first_parent = (uint32_t)npinv;
		invk[k] = g->kind[inv[k]];
		invs[k] = g->state[inv[k]];
		invt[k] = g->text[inv[k]];
		for (i = 0; i < nd->nparents; i++)
			invp[npinv++] = map[g->parents[nd->first_parent + i]];
	}
	for (i = 0; i < g->n; i++) {
		gitchat_order_node nd;
		if (map[i] == NONE || map[i] >= nvalid)
			continue;
		nd = g->nodes[i];
		for (k = 0; k < nd.nparents; k++)
			g->parents[np + k] = map[g->parents[nd.first_parent + k]];
		nd.first_parent = (uint32_t)np;
		np += nd.nparents;
		out = map[i];
		g->nodes[out] = nd;
		g->kind[out] = g->kind[i];
		g->state[out] = g->state[i];
		g->text[out] = g->text[i];
	}
	for (k = 0; k < ninv; k++) {
		out = nvalid + k;
		g->nodes[out] = invn[k];
		g->nodes[out].first_parent = (uint32_t)np;
		if (invn[k].nparents)
			memcpy(g->parents + np, invp + invn[k].first_parent,
			       invn[k].nparents * sizeof(uint32_t));
		np += invn[k].nparents;
		g->kind[out] = invk[k];
		g->state[out] = invs[k];
		g->text[out] = invt[k];
	}
	g->dropped += g->n - nvalid - ninv;
	g->n = nvalid + ninv;
	g->np = np;
	g->nvalid = nvalid;
	for (i = 0, k = 0; i < g->nlinks; i++)
		if (map[g->links[i].node] != NONE) {
			g->links[k] = g->links[i];
			g->links[k++].node = map[g->links[i].node];
		}
	g->nlinks = k;
	for (i = 0, k = 0; i < g->nfailures; i++)
		if (map[g->failures[i].node] != NONE) {
			g->failures[k] = g->failures[i];
			g->failures[k++].node = map[g->failures[i].node];
		}
	g->nfailures = k;
	error = slots_rebuild(g, g->n);
done:
	if (error == GITCHAT_ENOMEM && !gitchat_error_last()->code)
		gitchat_error_oom();
	free(map);
	free(inv);
	free(invn);
	free(invk);
	free(invs);
	free(invp);
	free(invt);
	return error;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, GITCHAT_PUBKEY_SIZE);
}

/* Keys in byte order, so that a node's key index is its key's rank and
 * the order compares ranks. Keys no node uses any more are dropped. */
static int rank_keys(gitchat_graph *g)
{
	uint32_t *rank = NULL;
	gitchat_pubkey *sorted = NULL;
	size_t i, n = 0;
	int error = GITCHAT_ENOMEM;

	if (!(rank = malloc((g->nkeys + 1) * sizeof(uint32_t))) ||
	    !(sorted = malloc((g->nkeys + 1) * sizeof(*sorted))))
		goto done;
	for (i = 0; i < g->nkeys; i++)
		rank[i] = NONE;
	for (i = 0; i < g->n; i++)
		if (g->nodes[i].key != NONE)
			rank[g->nodes[i].key] = 0;
	for (i = 0; i < g->nkeys; i++)
		if (rank[i] == 0)
			sorted[n++] = g->keys[i];
	qsort(sorted, n, sizeof(*sorted), key_cmp);
	for (i = 0; i < g->nkeys; i++)
		if (rank[i] == 0)
			rank[i] = (uint32_t)((gitchat_pubkey *)bsearch(&g->keys[i], sorted, n, sizeof(*sorted),
			                                               key_cmp) - sorted);
	for (i = 0; i < g->n; i++)
		if (g->nodes[i].key != NONE)
			g->nodes[i].key = rank[g->nodes[i].key];
	if (n)
		memcpy(g->keys, sorted, n * sizeof(*sorted));
	g->nkeys = n;
	error = keyslots_rebuild(g);
done:
	if (error == GITCHAT_ENOMEM && !gitchat_error_last()->code)
		gitchat_error_oom();
	free(rank);
	free(sorted);
	return error;
}

int gitchat_graph_update(gitchat_graph *g, gitchat_store *store, const char *room,
                         const gitchat_tips *tips, gitchat_text_writer *tw)
{
	gitchat_objects objs;
	gitchat_buf raw = GITCHAT_BUF_INIT;
	size_t i, first_new = g->n, unreached = 0;
	uint32_t v;
	int error;

	if (!g->nslots && (error = slots_rebuild(g, 1024)) < 0)
		return error;
	if ((error = gitchat_objects_open(&objs, gitchat_store_repository(store))) < 0)
		return error;
	objs.cached = g->read_cached;
	for (i = 0; i < tips->count; i++)
		if ((error = node_for(&v, g, &tips->tips[i].id)) < 0)
			goto done;
	/* Breadth first; new nodes are appended, so this walks them all. */
	for (i = first_new; i < g->n; i++) {
		if (g->state[i] & GITCHAT_GRAPH_STUB)
			continue;
		if (g->max_new && g->parsed >= g->max_new) {
			error = 1;
			goto done;
		}
		if ((error = parse_new(g, (uint32_t)i, &objs, &raw, tw)) < 0)
			goto done;
	}
	gitchat_buf_dispose(&raw);
	gitchat_objects_close(&objs);
	if (g->n > first_new && (error = decide_new(g, store, room, tips, first_new)) < 0)
		goto done;
	if ((error = mark_reachable(&unreached, g, tips)) < 0)
		goto done;
	g->nvalid = 0;
	for (i = 0; i < g->n; i++)
		if (g->state[i] & GITCHAT_GRAPH_VALID)
			g->nvalid++;
	/* The common case (everything valid and reached) needs no move. */
	if ((unreached || g->nvalid != g->n) && (error = relayout(g)) < 0)
		goto done;
	for (i = 0; i < g->n; i++)
		g->state[i] &= (uint8_t)~GITCHAT_GRAPH_MARK;
	if ((error = rank_keys(g)) < 0)
		goto done;
	for (i = 0; i < g->nlinks; i++) {
		v = gitchat_graph_find(g, &g->links[i].id);
		g->links[i].resolved = v != NONE && v < g->nvalid ? v : NONE;
	}
	error = 0;
done:
	if (objs.odb)
		gitchat_objects_close(&objs);
	gitchat_buf_dispose(&raw);
	return error;
}
