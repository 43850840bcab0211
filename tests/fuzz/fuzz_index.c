/* The order index $GIT_DIR/chat/index/<room> (order/index.c), through its
 * reader over bytes: every accessor and the graph load. Input: a flags
 * byte, then the file. With flag 1 the harness first rewrites the block
 * and header sums (BLAKE2b, as the writer does), so that mutations reach
 * the reader behind them; without, damage must be caught by the sums. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "fuzz.h"
#include "order/index.h"
#include "util/bytes.h"

#define HEADER 192
#define BLOCK 4096u   /* order/index.c IX_BLOCK: an index of another block size is stale */

static void fix_sums(unsigned char *d, size_t size)
{
	uint64_t nblocks, body, b;

	if (size < HEADER)
		return;
	nblocks = gitchat_le32(d + 12);
	body = gitchat_le64(d + 80);
	if (nblocks > (size - HEADER) / 16 || HEADER + 16 * nblocks + 32 > size || body > size)
		return;
	for (b = 0; b < nblocks; b++) {
		uint64_t start = body + b * BLOCK, n;
		if (start >= size)
			break;
		n = size - start < BLOCK ? size - start : BLOCK;
		crypto_generichash(d + HEADER + 16 * b, 16, d + start, n, NULL, 0);
	}
	crypto_generichash(d + HEADER + 16 * nblocks, 32, d, HEADER + 16 * nblocks, NULL, 0);
}

static int on_problem(const char *refname, const git_oid *id, const char *reason, void *payload)
{
	/* Strings of the file: read them through. */
	(void)id; (void)payload;
	return (refname && strlen(refname) > (1u << 30)) || strlen(reason) > (1u << 30);
}

static void walk(gitchat_index *ix)
{
	size_t n = gitchat_index_count(ix), total = n + gitchat_index_invalid(ix), i, pos;
	size_t related[8], nrel;
	gitchat_index_rec nd;
	gitchat_tips tips;
	gitchat_graph g;
	git_oid *parents;

	for (i = 0; i < total && i < 4096; i++) {
		if (gitchat_index_node(&nd, ix, i) < 0)
			continue;
		gitchat_index_key(ix, nd.key);
		if ((parents = malloc((nd.nparents + 1) * sizeof(git_oid)))) {
			gitchat_index_parents(parents, ix, &nd);
			free(parents);
		}
		/* A damaged table may find a twin, never a position out of range. */
		if (gitchat_index_find(&pos, ix, nd.id) == 0 && pos >= n)
			fz_fail("the lookup table finds a position out of range", NULL, 0, 0);
		gitchat_index_related(&nrel, ix, i, related, 8);
	}
	if (gitchat_index_tips(&tips, ix) == 0) {
		gitchat_index_tips_match(ix, &tips);
		gitchat_tips_dispose(&tips);
	}
	gitchat_index_problems(ix, on_problem, NULL);
	gitchat_graph_init(&g);
	gitchat_index_load_graph(&g, ix);
	gitchat_graph_dispose(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_input in = { data, size };
	unsigned flags = fz_byte(&in);
	unsigned char *copy = malloc(in.left + 1);
	gitchat_index *ix = NULL;

	fz_init();
	if (!copy)
		abort();
	memcpy(copy, in.p, in.left);
	if (flags & 1)
		fix_sums(copy, in.left);
	if (gitchat_index_open_bytes(&ix, copy, in.left, fz_limits()) == 0) {
		gitchat_index_text_id(ix);
		walk(ix);
		gitchat_index_free(ix);
	}
	free(copy);
	return 0;
}
