/* The message cache beside the order index (order/text.c), through its
 * reader over bytes. Input: a flags byte, then the file. The harness walks
 * the blocks as the writer lays them out and asks the reader for every
 * record they count; with flag 1 it first rewrites each block's SipHash,
 * so that mutations reach the fields and compressed bytes behind it. With
 * flag 4 the input after the flags is instead one block's records as the
 * writer lays them out before compressing (u16 record count, then the
 * records): the harness compresses and seals them, so that mutations reach
 * the record parser. Flag 2: the index gives two parents. A record starts
 * with the first bytes of its commit's id, which the reader checks against
 * the id the index gives: when a slot is refused, the harness asks again
 * with the id its inflated record starts with, so that mutations reach
 * what comes after the check. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zlib.h>
#include "fuzz.h"
#include "order/text.h"
#include "util/bytes.h"

#define HEADER 32
#define BLOCK_HEADER 24
#define MAX_ASK 65536

static const unsigned char sum_key[crypto_shorthash_KEYBYTES] = "gitchat-text-v3";

static void seal(unsigned char *block, size_t zlen)
{
	crypto_shorthash(block, block + 8, BLOCK_HEADER - 8 + zlen, sum_key);
}

/* A file of one block holding `raw` (count records, as the harness says). */
static unsigned char *one_block(size_t *size, const uint8_t *raw, size_t len, uint32_t count)
{
	uLongf zlen = compressBound((uLong)len);
	unsigned char *d = calloc(1, HEADER + BLOCK_HEADER + zlen + 8), *b;

	if (!d)
		abort();
	memcpy(d, "GCTEXT03", 8);
	b = d + HEADER;
	if (compress2(b + BLOCK_HEADER, &zlen, raw, (uLong)len, 6) != Z_OK)
		abort();
	gitchat_put_le32(b + 8, (uint32_t)zlen);
	gitchat_put_le32(b + 12, (uint32_t)len);
	gitchat_put_le32(b + 16, 1);
	gitchat_put_le32(b + 20, count);
	seal(b, zlen);
	*size = HEADER + ((BLOCK_HEADER + zlen + 7) & ~(size_t)7);
	return d;
}

static void ask(gitchat_text_reader *r, uint32_t slot, const gitchat_pubkey *key,
                const git_oid *parents, size_t nparents)
{
	gitchat_message *m;
	git_oid oid;
	const gitchat_text_inflated *e;

	memset(&oid, 0x11, sizeof(oid));
	if (gitchat_text_message(&m, r, slot, &oid, 1700000000, key, "fuzz", parents, nparents) == 0) {
		gitchat_message_free(m);
		return;
	}
	e = &r->kept[r->last];   /* the block the reader looked in */
	if (!r->scanned || e->block >= r->nblocks || slot < r->blocks[e->block].first ||
	    slot - r->blocks[e->block].first >= r->blocks[e->block].count)
		return;
	memcpy(oid.id, e->raw + e->recs[slot - r->blocks[e->block].first], 4);
	if (gitchat_text_message(&m, r, slot, &oid, 1700000000, key, "fuzz", parents, nparents) == 0)
		gitchat_message_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_input in = { data, size };
	unsigned flags = fz_byte(&in);
	unsigned char *d, id[GITCHAT_TEXT_ID_SIZE] = { 0 };
	gitchat_pubkey key;
	git_oid parents[2], oid;
	gitchat_text_reader r;
	gitchat_message *m;
	size_t off = HEADER, size2;
	uint64_t slots = 0, s;

	fz_init();
	if (flags & 4) {
		if (in.left < 2)
			return 0;
		slots = gitchat_le16(in.p);
		d = one_block(&size2, in.p + 2, in.left - 2, (uint32_t)slots);
	} else {
		size2 = in.left;
		if (!(d = malloc(size2 + 1)))
			abort();
		memcpy(d, in.p, size2);
		if (size2 >= 8 + GITCHAT_TEXT_ID_SIZE)
			memcpy(id, d + 8, sizeof(id));
		while (off + BLOCK_HEADER <= size2) {
			size_t zlen = gitchat_le32(d + off + 8);
			if (zlen > size2 - off - BLOCK_HEADER)
				break;
			if (flags & 1)
				seal(d + off, zlen);
			slots += gitchat_le32(d + off + 20);
			off += (BLOCK_HEADER + zlen + 7) & ~(size_t)7;
		}
	}
	memset(&key, 0x42, sizeof(key));
	memset(parents, 0x24, sizeof(parents));
	memset(&oid, 0x11, sizeof(oid));
	gitchat_text_open_bytes(&r, d, size2, id);
	/* every slot the blocks count, one past, and 0 (none) */
	for (s = 0; s <= slots + 1 && s < MAX_ASK; s++)
		ask(&r, (uint32_t)s, &key, parents, flags & 2 ? 2 : 0);
	/* A slot the index names need not be one the file has. */
	if (size2 >= 4 && gitchat_text_message(&m, &r, gitchat_le32(d + size2 - 4), &oid, 0, &key,
	                                       "fuzz", NULL, 0) == 0)
		gitchat_message_free(m);
	gitchat_text_close(&r);
	free(d);
	return 0;
}
