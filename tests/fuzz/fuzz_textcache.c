/* The message cache beside the order index (order/text.c), through its
 * reader over bytes. Input: a flags byte, then the file. The harness walks
 * the records as the writer lays them out and asks the reader for each;
 * with flag 1 it first rewrites each record's SipHash, so that mutations
 * reach the fields behind it. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "fuzz.h"
#include "order/text.h"
#include "util/bytes.h"

#define HEADER 32
#define REC_FIXED 64

static const unsigned char sum_key[crypto_shorthash_KEYBYTES] = "gitchat-text-v1";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_input in = { data, size };
	unsigned flags = fz_byte(&in);
	unsigned char *d = malloc(in.left + 1), id[GITCHAT_TEXT_ID_SIZE] = { 0 };
	gitchat_pubkey key;
	git_oid parents[2], oid;
	gitchat_text_reader r;
	gitchat_message *m;
	size_t off = HEADER, size2 = in.left;

	fz_init();
	if (!d)
		abort();
	memcpy(d, in.p, size2);
	if (size2 >= 8 + GITCHAT_TEXT_ID_SIZE)
		memcpy(id, d + 8, sizeof(id));
	memset(&key, 0x42, sizeof(key));
	memset(parents, 0x24, sizeof(parents));
	gitchat_text_open_bytes(&r, d, size2, id);
	while (off + REC_FIXED <= size2) {
		size_t len = gitchat_le32(d + off);
		if (len < REC_FIXED || len > size2 - off)
			break;
		if (flags & 1)
			crypto_shorthash(d + off + 8, d + off + 16, len - 16, sum_key);
		git_oid_fromraw(&oid, d + off + 16);
		if (gitchat_text_message(&m, &r, (uint32_t)(off / 8), &oid, 1700000000, &key, "fuzz",
		                         parents, flags & 2 ? 2 : 0) == 0)
			gitchat_message_free(m);
		off += (len + 7) & ~(size_t)7;
	}
	/* A slot the index names need not be a record's start. */
	if (size2 >= GIT_OID_RAWSZ) {
		git_oid_fromraw(&oid, d + size2 - GIT_OID_RAWSZ);
		if (gitchat_text_message(&m, &r, gitchat_le32(d + size2 - 4), &oid, 0, &key, "fuzz",
		                         NULL, 0) == 0)
			gitchat_message_free(m);
	}
	gitchat_text_close(&r);
	free(d);
	return 0;
}
