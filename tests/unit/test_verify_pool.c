/*
 * Signature checks on every core (src/lib/verify/pool.c): over random DAGs
 * of one log, long enough for the walk to hand its checks to the pool,
 * with commits that break one rule each (unsigned, no room, another room,
 * text that is not UTF-8) at random places, a store that checks
 * with 4 workers gives every commit the same verdict, the same reason and
 * the same culprit as a store that checks on one thread (chat.verifyThreads
 * = 1: the serial walk). Each store has its own verification cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testforge.h"
#include "rng.h"

#define ROOM "general"
#define N 160

static const char *BREAKS[] = { "unsigned", "no room", "other room", "bad text" };

/* One random log: each commit on the one before, a third of them also
 * on an older one; `bad[i]` is 0 or 1 + the rule commit i breaks. */
static void forge_dag(const char *gitdir, const char *key, uint64_t seed, char **ids, int *bad)
{
	t_rng rng = { seed };
	size_t i;

	for (i = 0; i < N; i++) {
		t_forged c = { ROOM, NULL, { NULL }, key, 0, 0 };
		char text[64];
		size_t np = 0;

		snprintf(text, sizeof(text), "message %zu", i);
		c.text = text;
		c.time = 1764150000 + (long long)i;
		if (i)
			c.parents[np++] = ids[i - 1];
		if (i > 2 && t_rng_next(&rng) % 3 == 0)
			c.parents[np++] = ids[t_rng_next(&rng) % (i - 1)];
		bad[i] = i > 0 && t_rng_next(&rng) % 40 == 0 ? 1 + (int)(t_rng_next(&rng) % 4) : 0;
		switch (bad[i]) {
		case 1: c.signer = NULL; break;
		case 2: c.room = NULL; break;
		case 3: c.room = "other"; break;
		case 4: snprintf(text, sizeof(text), "bad \xff utf-8 %zu", i); break;
		default: break;
		}
		ids[i] = t_forge(gitdir, &c);
	}
}

static gitchat_store *open_with_threads(const char *path, const char *threads)
{
	gitchat_store *s = NULL;
	t_run r = t_git_run(path, "config chat.verifyThreads %s", threads);

	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	cr_assert_eq(gitchat_store_open(&s, path), 0, "%s", gitchat_error_last()->message);
	return s;
}

typedef struct {
	int rc;
	char reason[512];
	git_oid bad;
} verdict;

static verdict verify_one(gitchat_store *s, const char *hex)
{
	verdict v = { 0 };
	git_oid id;

	git_oid_fromstr(&id, hex);
	v.rc = gitchat_verify_commit(s, &id, ROOM, &v.bad);
	if (v.rc < 0)
		snprintf(v.reason, sizeof(v.reason), "%s", gitchat_error_last()->message);
	else
		memset(&v.bad, 0, sizeof(v.bad));
	return v;
}

static void same_verdicts(uint64_t seed)
{
	const char *dir = t_scratch();
	char *one = t_store(dir, "one"), *key = t_keygen(dir, "k", 1), *ids[N];
	char *many = t_path(dir, "many");
	gitchat_store *serial, *pooled;
	int bad[N], nbad = 0;
	t_run r;
	size_t i;

	t_lib_init();
	forge_dag(one, key, seed, ids, bad);
	r = t_sh("cp -a '%s' '%s'", one, many);
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	serial = open_with_threads(one, "1");
	pooled = open_with_threads(many, "4");
	/* The head first: one walk over the whole log, in the pool for one. */
	for (i = N; i-- > 0;) {
		verdict a = verify_one(serial, ids[i]), b = verify_one(pooled, ids[i]);
		cr_assert_eq(a.rc, b.rc, "seed %llu, commit %zu: %d serially, %d pooled (%s)",
		             (unsigned long long)seed, i, a.rc, b.rc, b.reason);
		cr_assert_str_eq(a.reason, b.reason, "seed %llu, commit %zu",
		                 (unsigned long long)seed, i);
		cr_assert(git_oid_equal(&a.bad, &b.bad), "seed %llu, commit %zu: another culprit",
		          (unsigned long long)seed, i);
		if (bad[i]) {
			nbad++;
			cr_assert_eq(a.rc, GITCHAT_EVERIFY, "seed %llu: commit %zu breaks '%s' but passes",
			             (unsigned long long)seed, i, BREAKS[bad[i] - 1]);
		}
	}
	cr_assert(nbad > 0, "seed %llu forged no bad commit: pick another", (unsigned long long)seed);
	gitchat_store_free(serial);
	gitchat_store_free(pooled);
}

Test(verify_pool, same_verdicts_as_serial_over_random_dags, .timeout = 120)
{
	same_verdicts(1);
	same_verdicts(20261203);
	same_verdicts(77);
}

/* A log of good commits only: the pooled walk says valid, as the serial one. */
Test(verify_pool, long_good_log_is_valid, .timeout = 60)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "s"), *key = t_keygen(dir, "k", 1), *prev = NULL;
	gitchat_store *s;
	size_t i;

	t_lib_init();
	for (i = 0; i < 3 * 32; i++) {
		char text[32];
		t_forged c = { ROOM, text, { prev, NULL }, key, 1764150000 + (long long)i, 0 };
		snprintf(text, sizeof(text), "m%zu", i);
		prev = t_forge(store, &c);
	}
	s = open_with_threads(store, "3");
	cr_assert_eq(verify_one(s, prev).rc, 0, "%s", gitchat_error_last()->message);
	gitchat_store_free(s);
}
