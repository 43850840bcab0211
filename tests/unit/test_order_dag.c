/*
 * The order of a conversation (DESIGN.md "Order") on hand-built DAGs with
 * skewed clocks: commits are written directly (signed through libgitchat)
 * with whatever parents and times a test needs, then the room is loaded
 * through gitchat_conversation_load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"

#define ROOM "general"
#define MAXN 64

typedef struct {
	gitchat_store *store;
	git_repository *repo;
	gitchat_key *keys[8];
	size_t nkeys;
	git_oid ids[MAXN];
	int key_of[MAXN];
	int64_t time[MAXN];
	int parents[MAXN][8];
	int nparents[MAXN];
	size_t n;
} dag;

static void dag_init(dag *d, size_t nkeys)
{
	const char *dir = t_scratch();
	char *path = t_store(dir, "store");

	memset(d, 0, sizeof(*d));
	cr_assert_eq(gitchat_init(), 0);
	cr_assert_eq(gitchat_store_open(&d->store, path), 0);
	t_keep(d->store);
	d->repo = gitchat_store_repository(d->store);
	d->nkeys = nkeys;
	for (size_t i = 0; i < nkeys; i++) {
		cr_assert_eq(gitchat_key_generate(&d->keys[i], "k"), 0);
		t_keep(d->keys[i]);
	}
}

/* Writes a signed message commit; returns its index. */
static int add(dag *d, int key, int64_t t, const int *parents, int np, const char *text)
{
	gitchat_buf payload = GITCHAT_BUF_INIT, sig = GITCHAT_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int i = (int)d->n++;

	cr_assert(i < MAXN);
	gitchat_buf_puts(&payload, "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n");
	for (int k = 0; k < np; k++) {
		cr_assert(parents[k] < i);
		gitchat_buf_printf(&payload, "parent %s\n",
		                   git_oid_tostr(hex, sizeof(hex), &d->ids[parents[k]]));
		d->parents[i][k] = parents[k];
	}
	gitchat_buf_printf(&payload, "author K%d <k%d@example.org> %lld +0000\n"
	                   "committer K%d <k%d@example.org> %lld +0000\n"
	                   "chat-room " ROOM "\n\n%s\n",
	                   key, key, (long long)t, key, key, (long long)t, text);
	cr_assert_eq(gitchat_sshsig_sign(&sig, d->keys[key], "git", payload.ptr, payload.size), 0);
	sig.ptr[--sig.size] = '\0';     /* git stores the armor without its last newline */
	cr_assert_eq(git_commit_create_with_signature(&d->ids[i], d->repo, payload.ptr, sig.ptr,
	                                              "gpgsig"), 0);
	d->key_of[i] = key;
	d->time[i] = t;
	d->nparents[i] = np;
	gitchat_buf_dispose(&payload);
	gitchat_buf_dispose(&sig);
	return i;
}

/* Points a ref at every commit that has no child: refs/chat/R/K for a
 * key's last one, refs/chat-remotes/<n>/R/K for the others (forks). */
static void set_refs(dag *d)
{
	int has_child[MAXN] = { 0 }, last[8];
	char name[256], hex[GITCHAT_PUBKEY_HEXSIZE];

	for (size_t k = 0; k < d->nkeys; k++)
		last[k] = -1;
	for (size_t i = 0; i < d->n; i++) {
		for (int k = 0; k < d->nparents[i]; k++)
			has_child[d->parents[i][k]] = 1;
		last[d->key_of[i]] = (int)i;
	}
	for (size_t i = 0; i < d->n; i++) {
		git_reference *ref = NULL;
		if (has_child[i] && last[d->key_of[i]] != (int)i)
			continue;
		gitchat_pubkey_hex(hex, gitchat_key_public(d->keys[d->key_of[i]]));
		if (last[d->key_of[i]] == (int)i)
			snprintf(name, sizeof(name), "refs/chat/" ROOM "/%s", hex);
		else
			snprintf(name, sizeof(name), "refs/chat-remotes/r%zu/" ROOM "/%s", i, hex);
		cr_assert_eq(git_reference_create(&ref, d->repo, name, &d->ids[i], 1, NULL), 0);
		git_reference_free(ref);
	}
}

static int no_problem(const gitchat_problem *p, void *payload)
{
	(void)payload;
	cr_assert_fail("unexpected problem: %s", p->reason);
	return 0;
}

/* The conversation, as indices into the dag. */
static void load_order(dag *d, int *out)
{
	gitchat_conversation *conv = NULL;
	gitchat_conversation_options o = GITCHAT_CONVERSATION_OPTIONS_INIT;
	size_t count;

	o.problem_cb = no_problem;
	cr_assert_eq(gitchat_conversation_load(&conv, d->store, ROOM, &o), 0,
	             "%s", gitchat_error_last()->message);
	count = gitchat_conversation_count(conv);
	cr_assert_eq(count, d->n, "%zu messages loaded, %zu written", count, d->n);
	for (size_t i = 0; i < count; i++) {
		gitchat_conversation_entry e;
		size_t k;
		cr_assert_eq(gitchat_conversation_entry_get(&e, conv, i), 0);
		for (k = 0; k < d->n && !git_oid_equal(&d->ids[k], e.id); k++)
			;
		cr_assert(k < d->n);
		cr_assert_eq(e.time, d->time[k]);
		cr_assert_eq(gitchat_pubkey_cmp(e.key, gitchat_key_public(d->keys[d->key_of[k]])), 0);
		out[i] = (int)k;
		size_t found;
		cr_assert_eq(gitchat_conversation_find(&found, conv, &d->ids[k]), 0);
		cr_assert_eq(found, i);
	}
	gitchat_conversation_entry e;
	cr_assert_eq(gitchat_conversation_entry_get(&e, conv, count), GITCHAT_ENOTFOUND);
	gitchat_conversation_free(conv);
}

static void assert_order(dag *d, const int *want, const char *what)
{
	int got[MAXN];
	char g[512] = "", w[512] = "";

	set_refs(d);
	load_order(d, got);
	for (size_t i = 0; i < d->n; i++) {
		snprintf(g + strlen(g), sizeof(g) - strlen(g), " %d", got[i]);
		snprintf(w + strlen(w), sizeof(w) - strlen(w), " %d", want[i]);
	}
	cr_assert_str_eq(g, w, "%s", what);
}

Test(order_dag, future_message_is_pulled_back_by_its_answer)
{
	dag d;
	dag_init(&d, 3);
	int a1 = add(&d, 0, 1000, NULL, 0, "stamped in the future");
	int b1 = add(&d, 1, 100, (int[]){ a1 }, 1, "answer");
	int c1 = add(&d, 2, 150, NULL, 0, "independent");
	/* e(a1) = min(1000, e(b1) = 100): a1 goes before c1 (150). */
	int want[] = { a1, b1, c1 };
	assert_order(&d, want, "a1 pulled back to 100");
}

Test(order_dag, past_message_comes_after_what_it_saw)
{
	dag d;
	dag_init(&d, 3);
	int p = add(&d, 0, 500, NULL, 0, "p");
	int r = add(&d, 2, 200, NULL, 0, "r");
	int q = add(&d, 1, 10, (int[]){ p }, 1, "q stamped in the past");
	/* q (10) after p, its parent; p pulled back to 10, before r (200). */
	int want[] = { p, q, r };
	assert_order(&d, want, "parents first, e(p) = 10");
}

Test(order_dag, unanswered_future_message_stays_late)
{
	dag d;
	dag_init(&d, 2);
	int a = add(&d, 0, 5000, NULL, 0, "future, no answer");
	int b = add(&d, 1, 100, NULL, 0, "b");
	int c = add(&d, 1, 200, (int[]){ b }, 1, "c");
	int want[] = { b, c, a };
	assert_order(&d, want, "nobody answered: a keeps its time");
}

Test(order_dag, ties_are_broken_by_time_key_then_oid)
{
	dag d;
	dag_init(&d, 3);
	/* Same e: the smaller author time first. */
	int x = add(&d, 0, 300, NULL, 0, "x");
	int y = add(&d, 1, 100, (int[]){ x }, 1, "y");   /* e(x) = 100, time 300 */
	int z = add(&d, 2, 100, NULL, 0, "z");           /* e(z) = 100, time 100 */
	/* Ready: x (e 100, t 300) and z (e 100, t 100): z first. Then x, y. */
	int want1[] = { z, x, y };
	assert_order(&d, want1, "tie on e broken by author time");

	/* Same e and time: by key, then by oid (two roots of one key = a fork). */
	dag d2;
	dag_init(&d2, 3);
	int r[6];
	for (int i = 0; i < 6; i++) {
		char t[8];
		snprintf(t, sizeof(t), "m%d", i);
		r[i] = add(&d2, i % 3, 777, NULL, 0, t);
	}
	int idx[6] = { 0, 1, 2, 3, 4, 5 };
	for (int i = 0; i < 6; i++)
		for (int j = i + 1; j < 6; j++) {
			const gitchat_pubkey *ki = gitchat_key_public(d2.keys[d2.key_of[idx[i]]]);
			const gitchat_pubkey *kj = gitchat_key_public(d2.keys[d2.key_of[idx[j]]]);
			int c = gitchat_pubkey_cmp(ki, kj);
			if (c > 0 || (c == 0 && git_oid_cmp(&d2.ids[idx[i]], &d2.ids[idx[j]]) > 0)) {
				int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
			}
		}
	int want2[6];
	for (int i = 0; i < 6; i++)
		want2[i] = r[idx[i]];
	assert_order(&d2, want2, "key, then oid");
}

/* ---- random DAGs against a direct reading of DESIGN.md ---- */

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

/* DESIGN.md "Order", written as plainly as possible: O(n^2), no heap. */
static void reference_order(const dag *d, int *out)
{
	int64_t e[MAXN];
	int placed[MAXN] = { 0 };
	size_t i, k, done;
	int changed = 1;

	for (i = 0; i < d->n; i++)
		e[i] = d->time[i];
	while (changed) {                 /* e(c) = min(time c, e(child)) to a fixpoint */
		changed = 0;
		for (i = 0; i < d->n; i++)
			for (k = 0; k < (size_t)d->nparents[i]; k++) {
				int p = d->parents[i][k];
				if (e[i] < e[p]) {
					e[p] = e[i];
					changed = 1;
				}
			}
	}
	for (done = 0; done < d->n; done++) {
		int best = -1;
		for (i = 0; i < d->n; i++) {
			int ready = !placed[i];
			for (k = 0; ready && k < (size_t)d->nparents[i]; k++)
				ready = placed[d->parents[i][k]];
			if (!ready)
				continue;
			if (best < 0) {
				best = (int)i;
				continue;
			}
			int c;
			if (e[i] != e[best])
				c = e[i] < e[best] ? -1 : 1;
			else if (d->time[i] != d->time[best])
				c = d->time[i] < d->time[best] ? -1 : 1;
			else if ((c = gitchat_pubkey_cmp(gitchat_key_public(d->keys[d->key_of[i]]),
			                                 gitchat_key_public(d->keys[d->key_of[best]]))) == 0)
				c = git_oid_cmp(&d->ids[i], &d->ids[best]);
			if (c < 0)
				best = (int)i;
		}
		cr_assert(best >= 0);
		placed[best] = 1;
		out[done] = best;
	}
}

Test(order_dag, random_dags_match_the_design)
{
	for (uint64_t seed = 1; seed <= 12; seed++) {
		dag d;
		int want[MAXN];
		char what[64];
		rng_state = seed;
		dag_init(&d, 1 + rnd(5));
		size_t n = 10 + rnd(30);
		for (size_t i = 0; i < n; i++) {
			int parents[8], np = 0;
			int want_np = i ? (int)rnd(4) : 0;
			for (int k = 0; k < want_np; k++) {
				int p = (int)rnd((uint32_t)i), dup = 0;
				for (int j = 0; j < np; j++)
					dup |= parents[j] == p;
				if (!dup)
					parents[np++] = p;
			}
			/* Clocks skewed both ways, and many equal times to force ties. */
			int64_t t = 1764150000 + (int64_t)i * 60 + ((int64_t)rnd(7) - 3) * 600;
			if (rnd(4) == 0)
				t = 1764150000;
			char text[16];
			snprintf(text, sizeof(text), "m%zu", i);
			add(&d, (int)rnd((uint32_t)d.nkeys), t, parents, np, text);
		}
		reference_order(&d, want);
		snprintf(what, sizeof(what), "seed %llu, %zu messages", (unsigned long long)seed, n);
		assert_order(&d, want, what);
		for (size_t k = 0; k < d.nkeys; k++)
			gitchat_key_free(d.keys[k]);
		gitchat_store_free(d.store);
	}
}

Test(order_dag, same_messages_same_order_whatever_the_refs)
{
	dag d;
	int first[MAXN], second[MAXN];
	dag_init(&d, 3);
	rng_state = 99;
	for (size_t i = 0; i < 20; i++) {
		int p[2] = { (int)rnd((uint32_t)(i ? i : 1)), (int)rnd((uint32_t)(i ? i : 1)) };
		char text[16];
		snprintf(text, sizeof(text), "m%zu", i);
		add(&d, (int)(i % 3), 1764150000 + (int64_t)rnd(5) * 100, p,
		    i ? (p[0] != p[1] ? 2 : 1) : 0, text);
	}
	set_refs(&d);
	load_order(&d, first);
	/* Extra refs to commits already reachable change nothing. */
	for (size_t i = 0; i < d.n; i += 3) {
		char name[256], hex[GITCHAT_PUBKEY_HEXSIZE];
		git_reference *ref = NULL;
		gitchat_pubkey_hex(hex, gitchat_key_public(d.keys[d.key_of[i]]));
		snprintf(name, sizeof(name), "refs/chat-remotes/extra%zu/" ROOM "/%s", i, hex);
		cr_assert_eq(git_reference_create(&ref, d.repo, name, &d.ids[i], 1, NULL), 0);
		git_reference_free(ref);
	}
	load_order(&d, second);
	cr_assert_eq(memcmp(first, second, d.n * sizeof(int)), 0);
}
