/*
 * The order index's oid lookup (src/lib/order/index.c), on made-up ids
 * that real commits would almost never give. Compiled with the library's
 * objects: the shared library hides the index.
 */
#include <string.h>
#include <criterion/criterion.h>
#include <sodium.h>

#include "order/graph.h"
#include "order/index.h"
#include "util/error.h"

/* Reproducible ids: xorshift64*. */
static void fill(unsigned char *p, size_t n, uint64_t *state)
{
	for (size_t i = 0; i < n; i++) {
		*state ^= *state >> 12;
		*state ^= *state << 25;
		*state ^= *state >> 27;
		p[i] = (unsigned char)((*state * 0x2545F4914F6CDD1DULL) >> 56);
	}
}

static gitchat_index *write_index(gitchat_graph *g, const git_oid *ids, size_t n)
{
	static uint32_t order[1024];
	gitchat_tips tips = { 0 };
	gitchat_pubkey pk;
	gitchat_limits limits = { 0 };
	gitchat_index *ix = NULL;
	uint32_t key;

	memset(&pk, 7, sizeof(pk));
	limits.max_text = 1000;
	limits.max_tree = 1000;
	limits.max_parents = 100;
	limits.max_file = 1000;
	gitchat_graph_init(g);
	cr_assert_eq(gitchat_graph_key(&key, g, &pk), 0);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(gitchat_graph_push(g, &ids[i], (int64_t)i, key, 0, GITCHAT_GRAPH_VALID, 0,
		                                NULL, 0), 0);
		order[i] = (uint32_t)i;
	}
	g->nvalid = n;
	cr_assert_eq(gitchat_index_write(&ix, NULL, g, order, &tips, NULL, 0, &limits, NULL), 0,
	             "%s", gitchat_error_last()->message);
	return ix;
}

/* The lookup table searches two bytes of each oid beside the fan-out
 * (order-index.md), then the whole oids of the messages whose two bytes
 * match: ids that share their first three bytes (as crafted ids can), or
 * only the first two, must each be found at their own position, and ids
 * that share them with a message but are not one must not be. Real
 * commits collide in three bytes about once in 16 million pairs, so these
 * are made up. */
Test(order_index, lookup_finds_ids_that_share_their_first_bytes)
{
	enum { N = 720 };
	static const unsigned char prefixes[][3] = {
		{ 0xab, 0xcd, 0xef }, { 0xab, 0xcd, 0xf0 }, { 0xab, 0xce, 0x00 }, { 0x00, 0x00, 0x00 },
		{ 0xff, 0xff, 0xff }, { 0x12, 0x34, 0x56 }
	};
	static git_oid ids[N];
	gitchat_graph g;
	gitchat_index *ix;
	uint64_t state = 0x9e3779b97f4a7c15ULL;
	git_oid other;
	size_t i, pos;

	for (i = 0; i < N; i++) {
		fill(ids[i].id, GIT_OID_RAWSZ, &state);
		if (i % 3)   /* two thirds on a shared prefix (each of the six), the rest anywhere */
			memcpy(ids[i].id, prefixes[(i / 3) % 6], 3);
		else if (ids[i].id[0] == 0x77)
			ids[i].id[0] = 0x78;   /* bucket 0x77 stays empty */
	}
	ix = write_index(&g, ids, N);
	for (i = 0; i < N; i++) {
		cr_assert_eq(gitchat_index_lookup(&pos, ix, &ids[i]), 0, "id %zu not found", i);
		cr_assert_eq(pos, i);
		other = ids[i];
		other.id[GIT_OID_RAWSZ - 1] ^= 1;   /* its twin but for the last bit */
		cr_assert_eq(gitchat_index_lookup(&pos, ix, &other), GITCHAT_ENOTFOUND);
	}
	/* An empty bucket; a bucket with messages but not this key; the
	 * smallest and the largest ids there can be. */
	memset(other.id, 0x77, GIT_OID_RAWSZ);
	cr_assert_eq(gitchat_index_lookup(&pos, ix, &other), GITCHAT_ENOTFOUND);
	memcpy(other.id, "\xab\xcd\xee", 3);
	cr_assert_eq(gitchat_index_lookup(&pos, ix, &other), GITCHAT_ENOTFOUND);
	memset(other.id, 0, GIT_OID_RAWSZ);
	cr_assert_eq(gitchat_index_lookup(&pos, ix, &other), GITCHAT_ENOTFOUND);
	memset(other.id, 0xff, GIT_OID_RAWSZ);
	cr_assert_eq(gitchat_index_lookup(&pos, ix, &other), GITCHAT_ENOTFOUND);
	gitchat_index_free(ix);
	gitchat_graph_dispose(&g);

	/* No message at all. */
	ix = write_index(&g, ids, 0);
	cr_assert_eq(gitchat_index_lookup(&pos, ix, &ids[0]), GITCHAT_ENOTFOUND);
	gitchat_index_free(ix);
	gitchat_graph_dispose(&g);
}
