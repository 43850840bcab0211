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

/* The lookup table searches two bytes of each oid beside the fan-out
 * (order-index.md): ids that share their first three bytes, or only the
 * first two, must each be found at their own position, and ids that share
 * them with a message but are not one must not be. Real commits collide
 * in three bytes about once in 16 million pairs, so these are made up. */
Test(order_index, lookup_finds_ids_that_share_their_first_bytes)
{
	enum { N = 700 };
	static const unsigned char prefixes[][3] = {
		{ 0xab, 0xcd, 0xef }, { 0xab, 0xcd, 0xf0 }, { 0xab, 0xce, 0x00 }, { 0x00, 0x00, 0x00 },
		{ 0xff, 0xff, 0xff }, { 0x12, 0x34, 0x56 }
	};
	gitchat_graph g;
	gitchat_tips tips = { 0 };
	gitchat_pubkey pk;
	gitchat_limits limits = { 0 };
	gitchat_index *ix = NULL;
	uint32_t key, order[N];
	git_oid ids[N], other;
	size_t i, pos;

	memset(&pk, 7, sizeof(pk));
	limits.max_text = 1000;
	limits.max_tree = 1000;
	limits.max_parents = 100;
	limits.max_file = 1000;
	gitchat_graph_init(&g);
	cr_assert_eq(gitchat_graph_key(&key, &g, &pk), 0);
	for (i = 0; i < N; i++) {
		randombytes_buf(ids[i].id, GIT_OID_RAWSZ);
		if (i % 3)   /* two thirds on a shared prefix, the rest anywhere */
			memcpy(ids[i].id, prefixes[i % 6], 3);
		cr_assert_eq(gitchat_graph_push(&g, &ids[i], (int64_t)i, key, 0, GITCHAT_GRAPH_VALID, 0,
		                                NULL, 0), 0);
		order[i] = (uint32_t)i;
	}
	g.nvalid = N;
	cr_assert_eq(gitchat_index_write(&ix, NULL, &g, order, &tips, NULL, 0, &limits, NULL), 0,
	             "%s", gitchat_error_last()->message);
	for (i = 0; i < N; i++) {
		cr_assert_eq(gitchat_index_lookup(&pos, ix, &ids[i]), 0, "id %zu not found", i);
		cr_assert_eq(pos, i);
		other = ids[i];
		other.id[GIT_OID_RAWSZ - 1] ^= 1;   /* its twin but for the last bit */
		cr_assert_eq(gitchat_index_lookup(&pos, ix, &other), GITCHAT_ENOTFOUND);
	}
	gitchat_index_free(ix);
	gitchat_graph_dispose(&g);
}
