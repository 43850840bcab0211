/*
 * The merger's order (src/lib/order/order.c, compiled into this test)
 * against a slow reference of DESIGN.md's rule written here: on thousands
 * of random DAGs, given in shuffled node order, the two agree exactly.
 */
#include "testorder.h"
#include "order/order.h"
#include "util/error.h"

/* order.c reports through these; the library's own are hidden. */
int gitchat_error_set(int code, const char *fmt, ...)
{
	(void)fmt;
	return code;
}

int gitchat_error_oom(void)
{
	return GITCHAT_ENOMEM;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* Runs order.c on n[] given in the order `perm` (position -> node) and
 * returns the node order. */
static void run_merger(int *out, const t_order_node *n, int count, const int *perm)
{
	gitchat_order_node *nodes = calloc((size_t)count + 1, sizeof(*nodes));
	uint32_t *parents = calloc((size_t)count * T_ORDER_MAXP + 1, sizeof(uint32_t));
	uint32_t *order = calloc((size_t)count + 1, sizeof(uint32_t));
	int *where = calloc((size_t)count + 1, sizeof(int));
	unsigned char (*keys)[32] = calloc((size_t)count + 1, 32);
	int i, k, np = 0, nkeys = 0;

	for (i = 0; i < count; i++)
		where[perm[i]] = i;
	for (i = 0; i < count; i++)
		memcpy(keys[i], n[i].key, 32);
	qsort(keys, (size_t)count, 32, key_cmp);
	for (i = 0; i < count; i++)
		if (!nkeys || memcmp(keys[nkeys - 1], keys[i], 32))
			memcpy(keys[nkeys++], keys[i], 32);
	for (i = 0; i < count; i++) {
		const t_order_node *x = &n[perm[i]];
		nodes[i].time = x->time;
		memcpy(nodes[i].id.id, x->id, 20);
		nodes[i].key = (uint32_t)((unsigned char (*)[32])bsearch(x->key, keys, (size_t)nkeys, 32,
		                                                          key_cmp) - keys);
		nodes[i].first_parent = (uint32_t)np;
		nodes[i].nparents = (uint32_t)x->np;
		for (k = 0; k < x->np; k++)
			parents[np++] = (uint32_t)where[x->parents[k]];
	}
	cr_assert_eq(gitchat_order_compute(order, nodes, (size_t)count, parents), 0);
	for (i = 0; i < count; i++)
		out[i] = perm[order[i]];
	free(nodes);
	free(parents);
	free(order);
	free(where);
	free(keys);
}

static void shuffle(int *p, int n, t_rng *r)
{
	for (int i = 0; i < n; i++)
		p[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = t_order_below(r, i + 1), t = p[i];
		p[i] = p[j];
		p[j] = t;
	}
}

static void random_ids(t_order_node *n, int count, int authors, t_rng *r, int similar_keys)
{
	unsigned char keys[16][32];
	int a, i, b;

	for (a = 0; a < authors; a++)
		for (b = 0; b < 32; b++)
			keys[a][b] = similar_keys && b < 31 ? 0x42 : (unsigned char)t_rng_next(r);
	for (i = 0; i < count; i++) {
		memcpy(n[i].key, keys[n[i].author], 32);
		for (b = 0; b < 20; b++)
			n[i].id[b] = (unsigned char)t_rng_next(r);
		/* ids that share a long prefix exercise the last tie-break */
		if (t_order_below(r, 4) == 0)
			memset(n[i].id, 0x17, 16);
	}
}

static void check_seed(uint64_t seed, int count, int authors, int similar)
{
	t_order_node *n = calloc((size_t)count + 1, sizeof(*n));
	int *want = calloc((size_t)count + 1, sizeof(int)), *got = calloc((size_t)count + 1, sizeof(int));
	int *perm = calloc((size_t)count + 1, sizeof(int));
	t_rng r = { seed };
	int i, pass;

	t_order_random_dag(n, count, authors, &r);
	random_ids(n, count, authors, &r, similar);
	cr_assert_eq(t_order_reference(want, n, count, NULL), count);
	for (pass = 0; pass < 2; pass++) {
		shuffle(perm, count, &r);
		run_merger(got, n, count, perm);
		for (i = 0; i < count; i++)
			cr_assert_eq(got[i], want[i],
			             "seed %llu (%d nodes, %d authors): position %d is node %d, the "
			             "reference says %d", (unsigned long long)seed, count, authors, i,
			             got[i], want[i]);
	}
	free(n);
	free(want);
	free(got);
	free(perm);
}

Test(order, random_dags_match_the_reference)
{
	for (uint64_t seed = 1; seed <= 1500; seed++)
		check_seed(seed, 1 + (int)(seed % 97), 1 + (int)(seed % 7), seed % 5 == 0);
}

Test(order, larger_dags_match_the_reference)
{
	for (uint64_t seed = 9001; seed <= 9004; seed++)
		check_seed(seed, 1500, 8, 0);
}

/* Hand-made cases whose answer is known without the reference. */
Test(order, future_message_is_pulled_back_by_an_answer)
{
	/* 0 m1 t100; 1 f t1e9 (future) after m1; 2 m2 t200 after m1;
	 * 3 m3 t300 after m2; 4 d t250 answers f. */
	t_order_node n[5];
	int got[5], perm[5] = { 4, 2, 0, 3, 1 };
	int want_before[4] = { 0, 2, 3, 1 }, want_after[5] = { 0, 2, 1, 4, 3 };
	int i;

	memset(n, 0, sizeof(n));
	for (i = 0; i < 5; i++) {
		n[i].key[0] = (unsigned char)i;
		n[i].id[0] = (unsigned char)(50 - i);
	}
	n[0].time = 100;
	n[1].time = 1000000000; n[1].np = 1; n[1].parents[0] = 0;
	n[2].time = 200; n[2].np = 1; n[2].parents[0] = 0;
	n[3].time = 300; n[3].np = 1; n[3].parents[0] = 2;
	n[4].time = 250; n[4].np = 1; n[4].parents[0] = 1;
	{
		int p4[4] = { 3, 1, 0, 2 };
		run_merger(got, n, 4, p4);
		for (i = 0; i < 4; i++)
			cr_assert_eq(got[i], want_before[i], "before the answer, position %d", i);
	}
	run_merger(got, n, 5, perm);
	for (i = 0; i < 5; i++)
		cr_assert_eq(got[i], want_after[i], "after the answer, position %d", i);
}

Test(order, backdated_message_still_follows_its_parents)
{
	/* 0 p t1000; 1 b t5 after p (back-dated); 2 q t500 unrelated. */
	t_order_node n[3];
	int got[3], perm[3] = { 1, 2, 0 };

	memset(n, 0, sizeof(n));
	n[0].time = 1000;
	n[1].time = 5; n[1].np = 1; n[1].parents[0] = 0;
	n[2].time = 500;
	for (int i = 0; i < 3; i++)
		n[i].id[0] = (unsigned char)i;
	run_merger(got, n, 3, perm);
	cr_assert_eq(got[0], 0);
	cr_assert_eq(got[1], 1);
	cr_assert_eq(got[2], 2);
}

Test(order, ties_fall_to_key_then_oid)
{
	t_order_node n[3];
	int got[3], perm[3] = { 0, 1, 2 };

	memset(n, 0, sizeof(n));
	for (int i = 0; i < 3; i++)
		n[i].time = 7;
	n[0].key[31] = 2; n[0].id[0] = 1;
	n[1].key[31] = 1; n[1].id[0] = 9;
	n[2].key[31] = 1; n[2].id[0] = 3;
	run_merger(got, n, 3, perm);
	cr_assert_eq(got[0], 2);
	cr_assert_eq(got[1], 1);
	cr_assert_eq(got[2], 0);
}

Test(order, a_cycle_is_refused)
{
	gitchat_order_node nodes[2];
	uint32_t parents[2] = { 1, 0 }, order[2];

	memset(nodes, 0, sizeof(nodes));
	nodes[0].first_parent = 0; nodes[0].nparents = 1;
	nodes[1].first_parent = 1; nodes[1].nparents = 1;
	nodes[1].id.id[0] = 1;
	cr_assert_eq(gitchat_order_compute(order, nodes, 2, parents), GITCHAT_EINVALID);
}

Test(order, empty_room)
{
	uint32_t order[1];
	cr_assert_eq(gitchat_order_compute(order, NULL, 0, NULL), 0);
}
