/* The membership cache beside the order index (members/cache.c), through
 * its reader over bytes: the head alone (what a send reads), the file
 * without its ids (a warm load) and with them (an update), then every
 * record as the reading rules walk them, and a re-encoding of what was
 * read. Input: a flags byte, then the file. With flag 1 the harness first
 * rewrites the three BLAKE2b sums (as the writer does), so that mutations
 * reach the parser behind them; without, damage must be caught by them. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "fuzz.h"
#include "members/members_internal.h"
#include "util/buf.h"

#define PRELUDE GITCHAT_MCACHE_PRELUDE
#define SUM 32

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void fix_sums(unsigned char *d, size_t size)
{
	size_t h, b, i, at;

	if (size < PRELUDE)
		return;
	h = be32(d + 8);
	b = be32(d + 12);
	i = be32(d + 16);
	if (h > size || PRELUDE + h + SUM > size)
		return;
	crypto_generichash(d + PRELUDE + h, SUM, d, PRELUDE + h, NULL, 0);
	at = PRELUDE + h + SUM;
	if (b > size - at || size - at - b < SUM)
		return;
	crypto_generichash(d + at + b, SUM, d + at, b, NULL, 0);
	at += b + SUM;
	if (i > size - at || size - at - i < SUM)
		return;
	crypto_generichash(d + at + i, SUM, d + at, i, NULL, 0);
}

/* The room the file names (the decoders refuse another's). */
static void room_of(char room[26], const unsigned char *d, size_t size)
{
	strcpy(room, "_000000000000000000000000");
	if (size >= PRELUDE + 4 + 25 && be32(d + PRELUDE) == 25) {
		memcpy(room, d + PRELUDE + 4, 25);
		room[25] = '\0';
		if (strlen(room) != 25)
			strcpy(room, "_000000000000000000000000");
	}
}

static void walk(gitchat_members *m, const gitchat_tips *tips)
{
	gitchat_members_info in;
	gitchat_buf again = GITCHAT_BUF_INIT;
	size_t n, k;
	const gitchat_member *cur = gitchat_members_current(&n, m);

	for (k = 0; k < n; k++)
		if (cur[k].admin > 1)
			fz_fail("a member's role is out of range", NULL, 0, 0);
	if (gitchat_members_epoch(m) && strlen(gitchat_members_epoch(m)) > GITCHAT_MEMBERS_MAX_EPOCH)
		fz_fail("the send epoch is too long", NULL, 0, 0);
	for (k = 0; k < gitchat_members_count(m); k++) {
		if (gitchat_members_info_peek(&in, m, k) < 0)
			fz_fail("a checked record does not read", NULL, 0, 0);
		if (in.epoch && strlen(in.epoch) > GITCHAT_MEMBERS_MAX_EPOCH)
			fz_fail("an epoch is too long", NULL, 0, 0);
		for (size_t j = 0; j < in.after_count; j++)
			if (in.after[j].admin > 1)
				fz_fail("a member's role is out of range", NULL, 0, 0);
		for (size_t j = 0; j < in.add_count; j++)
			if (in.adds[j].admin > 1)
				fz_fail("an added member's role is out of range", NULL, 0, 0);
		if (in.ignored && in.counted)
			fz_fail("an event both counts and is ignored", NULL, 0, 0);
	}
	/* The head alone, written again, reads again. */
	if (gitchat_mcache_encode_head(&again, m, tips) == 0) {
		gitchat_mcache_head h;
		size_t need;
		if (gitchat_mcache_decode_head(&h, &need, again.ptr, again.size, m->room) < 0)
			fz_fail("a head written again does not read", again.ptr, again.size, 0);
		gitchat_mcache_head_dispose(&h);
	}
	gitchat_buf_dispose(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_input in = { data, size };
	unsigned flags = fz_byte(&in);
	gitchat_mcache_head h;
	gitchat_members *m;
	gitchat_tips tips;
	char room[26];
	size_t need, len = in.left;

	fz_init();
	for (int ids = 0; ids < 2; ids++) {
		gitchat_buf b = GITCHAT_BUF_INIT;
		if (gitchat_buf_put(&b, in.p, len) < 0)
			abort();
		if (flags & 1)
			fix_sums((unsigned char *)b.ptr, b.size);
		room_of(room, (const unsigned char *)b.ptr, b.size);
		if (gitchat_mcache_decode_head(&h, &need, b.ptr, b.size, room) == 0)
			gitchat_mcache_head_dispose(&h);
		if (!ids) {
			size_t s = gitchat_mcache_size(b.ptr, b.size, 0);
			if (s && s <= b.size)
				b.size = s;
		}
		gitchat_error_clear();
		if (gitchat_mcache_decode(&m, &tips, &b, room, ids) == 0) {
			walk(m, &tips);
			gitchat_tips_dispose(&tips);
			gitchat_members_free(m);
		}
		gitchat_error_clear();
		gitchat_buf_dispose(&b);
	}
	return 0;
}
