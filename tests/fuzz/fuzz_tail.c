/* The order index's tail $GIT_DIR/chat/index/<room>+tail (order/tail.c),
 * opened from a file as the merger opens it, then every accessor. Input: a
 * flags byte, then the file. With flag 1 the harness takes the base (what
 * the tail must extend) from the file's own header and rewrites its sum
 * (BLAKE2b, as the writer does), so that mutations reach the checks behind
 * them; without, damage must be caught by the sum or the base. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "fuzz.h"
#include "order/tail.h"
#include "util/bytes.h"

#define T_HEADER 128
#define T_SUM_AT 96
#define T_SUM 32

static const char *tail_path(void)
{
	static char dir[] = "/tmp/gitchat-fuzz-tail-XXXXXX", path[64];

	if (!*path) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/general+tail", dir);
	}
	return path;
}

static void fix_sum(unsigned char *d, size_t size)
{
	static const unsigned char zero[T_SUM];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, T_SUM);
	crypto_generichash_update(&st, d, T_SUM_AT);
	crypto_generichash_update(&st, zero, sizeof(zero));
	crypto_generichash_update(&st, d + T_HEADER, size - T_HEADER);
	crypto_generichash_final(&st, d + T_SUM_AT, T_SUM);
}

static void walk(const gitchat_tail *t)
{
	gitchat_index_rec r;
	gitchat_tail_link l;
	const char *name;
	git_oid id;
	size_t i, pos;

	for (i = 0; i < gitchat_tail_count(t); i++)
		if (gitchat_tail_node_at(&r, t, i) == 0) {
			git_oid_cpy(&id, r.id);
			if (gitchat_tail_find(&pos, t, &id) == 0 && pos >= gitchat_tail_count(t))
				fz_fail("find gave a position past the tail", NULL, 0, 0);
			gitchat_tail_unresolved_has(t, &id);
		}
	for (i = 0; i < gitchat_tail_nparents(t); i++)
		gitchat_tail_parent(t, i);
	for (i = 0; i < gitchat_tail_ntips(t); i++)
		if (gitchat_tail_tip(&name, t, i) && strlen(name) > (1u << 30))
			abort();
	for (i = 0; i < gitchat_tail_nlinks(t); i++)
		gitchat_tail_link_at(&l, t, i);
	for (i = 0; i < gitchat_tail_nrelated(t); i++)
		gitchat_tail_related(t, i);
	for (i = 0; i < gitchat_tail_nunresolved(t); i++)
		gitchat_tail_unresolved(t, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_input in = { data, size };
	unsigned flags = fz_byte(&in);
	unsigned char *d = malloc(in.left + 1), meta[32] = { 0 };
	gitchat_tail_base base = { 0, 0, 1, meta };
	gitchat_tail *t = NULL;
	size_t n = in.left;
	FILE *f;

	fz_init();
	if (!d)
		abort();
	memcpy(d, in.p, n);
	if ((flags & 1) && n >= T_HEADER) {
		base.nvalid = gitchat_le32(d + 48);
		base.nparents = gitchat_le32(d + 52);
		base.nkeys = gitchat_le32(d + 56);
		memcpy(meta, d + 60, 32);
		fix_sum(d, n);
	}
	if (!(f = fopen(tail_path(), "wb")) || fwrite(d, 1, n, f) != n || fclose(f) != 0)
		abort();
	if (gitchat_tail_open(&t, tail_path(), &base) == 0)
		walk(t);
	gitchat_error_clear();
	gitchat_tail_free(t);
	free(d);
	return 0;
}
