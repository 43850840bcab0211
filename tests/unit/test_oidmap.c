/*
 * util/oidmap.c: sets, gets and removals (backward-shift deletion, used by
 * the verification walk for the commits waiting for their verdict) against
 * a plain array, over keys that crowd a few home slots, so that removals
 * inside long probe runs, and runs that wrap around the table, happen.
 * Compiled in (the shared library hides it), as test_array does.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "gitchat/common.h"
#include "util/oidmap.h"
#include "rng.h"

#define KEYS 600

/* Key k: its first 8 bytes (the hash) take one of 8 values, low bits
 * near the top of any table so runs wrap; the rest makes it unique. */
static git_oid key(size_t k)
{
	git_oid id;
	uint64_t home = (uint64_t)(k % 8) * 0x1111 + 0xfff8;

	memset(&id, 0, sizeof(id));
	memcpy(id.id, &home, sizeof(home));
	memcpy(id.id + 8, &k, sizeof(k));
	return id;
}

static void check_all(const gitchat_oidmap *m, const int *in, const uint32_t *val, size_t step)
{
	size_t k, n = 0;
	uint32_t v;

	for (k = 0; k < KEYS; k++) {
		git_oid id = key(k);
		int got = gitchat_oidmap_get(m, &id, &v);
		cr_assert_eq(got, in[k], "step %zu: key %zu is %s", step, k, in[k] ? "lost" : "back");
		if (got)
			cr_assert_eq(v, val[k], "step %zu: key %zu has another value", step, k);
		n += (size_t)in[k];
	}
	cr_assert_eq(m->size, n, "step %zu: size %zu, holds %zu", step, m->size, n);
}

Test(oidmap, removals_keep_every_other_key_reachable)
{
	gitchat_oidmap m = GITCHAT_OIDMAP_INIT;
	int in[KEYS] = { 0 };
	uint32_t val[KEYS] = { 0 };
	t_rng rng = { 15 };
	size_t step;

	for (step = 0; step < 6000; step++) {
		size_t k = (size_t)(t_rng_next(&rng) % KEYS);
		git_oid id = key(k);
		if (t_rng_next(&rng) % 5 < 3) {
			val[k] = (uint32_t)step;
			cr_assert_eq(gitchat_oidmap_set(&m, &id, val[k]), 0);
			in[k] = 1;
		} else {
			cr_assert_eq(gitchat_oidmap_remove(&m, &id), in[k], "step %zu: key %zu", step, k);
			in[k] = 0;
		}
		if (step % 97 == 0)
			check_all(&m, in, val, step);
	}
	check_all(&m, in, val, step);
	gitchat_oidmap_dispose(&m);
}

Test(oidmap, remove_from_an_empty_map_finds_nothing)
{
	gitchat_oidmap m = GITCHAT_OIDMAP_INIT;
	git_oid id = key(3);

	cr_assert_eq(gitchat_oidmap_remove(&m, &id), 0);
	cr_assert_eq(gitchat_oidmap_set(&m, &id, 7), 0);
	cr_assert_eq(gitchat_oidmap_remove(&m, &id), 1);
	cr_assert_eq(gitchat_oidmap_remove(&m, &id), 0);
	cr_assert_eq(gitchat_oidmap_get(&m, &id, NULL), 0);
	gitchat_oidmap_dispose(&m);
}
