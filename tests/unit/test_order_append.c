/*
 * The order index grows by appending (docs/order-index.md "Appending"):
 * over random DAGs whose messages arrive in a shuffled order (old
 * messages late), after every arrival the index brought up to date
 * (appended to, or rewritten when appending would not be exact) gives
 * the same conversation, entry by entry and message by message, as an
 * order computed from nothing; and the cases that must not append.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "testchat.h"
#include "testorder.h"

#define ROOM "general"
#define MAXN 48

static gitchat_store *open_store(const char *path)
{
	gitchat_store *s = NULL;
	cr_assert_eq(gitchat_store_open(&s, path), 0, "%s", gitchat_error_last()->message);
	return s;
}

static void same_message(gitchat_conversation *a, gitchat_conversation *b, size_t i,
                         const char *what)
{
	gitchat_message *x = NULL, *y = NULL;
	cr_assert_eq(gitchat_conversation_message_load(&x, a, i), 0, "%s", gitchat_error_last()->message);
	cr_assert_eq(gitchat_conversation_message_load(&y, b, i), 0, "%s", gitchat_error_last()->message);
	cr_assert_str_eq(x->text, y->text, "%s: text of %zu", what, i);
	cr_assert_str_eq(x->author_name, y->author_name, "%s", what);
	cr_assert_eq(x->commit_time, y->commit_time, "%s", what);
	cr_assert_eq(x->parent_count, y->parent_count, "%s", what);
	for (size_t k = 0; k < x->parent_count; k++)
		cr_assert(git_oid_equal(&x->parents[k], &y->parents[k]), "%s: parents of %zu", what, i);
	cr_assert_eq(x->has_reply, y->has_reply, "%s", what);
	gitchat_message_free(x);
	gitchat_message_free(y);
}

/* As a sync leaves it: every commit the refs reach read through libgit2's
 * object cache. */
static void warm_cache(git_repository *repo)
{
	git_revwalk *walk = NULL;
	git_odb *odb = NULL;
	git_oid id;

	cr_assert_eq(git_repository_odb(&odb, repo), 0);
	cr_assert_eq(git_revwalk_new(&walk, repo), 0);
	cr_assert_eq(git_revwalk_push_glob(walk, "refs/chat-remotes/*"), 0);
	while (git_revwalk_next(&id, walk) == 0) {
		git_odb_object *obj = NULL;
		cr_assert_eq(git_odb_read(&obj, odb, &id), 0);
		git_odb_object_free(obj);
	}
	git_revwalk_free(walk);
	git_odb_free(odb);
}

/* The indexed conversation (loaded with `flags`) and one ordered from the
 * refs alone agree on everything a reader can ask. */
static void same_as_rebuild(const char *path, gitchat_conversation_stats *st, const char *what,
                            unsigned flags)
{
	gitchat_store *s1 = open_store(path), *s2 = open_store(path);
	gitchat_conversation *a;

	if (flags & GITCHAT_CONVERSATION_NEW_CACHED)
		warm_cache(gitchat_store_repository(s1));
	a = t_order_load(s1, ROOM, flags, st);
	gitchat_conversation *b = t_order_load(s2, ROOM, GITCHAT_CONVERSATION_NO_INDEX, NULL);
	size_t n = gitchat_conversation_count(a), i, k;

	cr_assert_eq(n, gitchat_conversation_count(b), "%s: %zu messages, %zu rebuilt", what, n,
	             gitchat_conversation_count(b));
	for (i = 0; i < n; i++) {
		gitchat_conversation_entry x, y;
		size_t rx[16], ry[16], tx, ty, f;
		cr_assert_eq(gitchat_conversation_entry_get(&x, a, i), 0, "%s", gitchat_error_last()->message);
		cr_assert_eq(gitchat_conversation_entry_get(&y, b, i), 0);
		cr_assert(git_oid_equal(x.id, y.id), "%s: message %zu differs", what, i);
		cr_assert_eq(x.time, y.time);
		cr_assert_eq(gitchat_pubkey_cmp(x.key, y.key), 0);
		cr_assert_eq(x.kind, y.kind);
		cr_assert_eq(x.target, y.target, "%s: target of %zu", what, i);
		cr_assert_eq(x.reply_to, y.reply_to, "%s: reply of %zu", what, i);
		cr_assert_eq(gitchat_conversation_related_get(&tx, a, i, rx, 16), 0);
		cr_assert_eq(gitchat_conversation_related_get(&ty, b, i, ry, 16), 0);
		cr_assert_eq(tx, ty, "%s: related of %zu", what, i);
		for (k = 0; k < tx && k < 16; k++)
			cr_assert_eq(rx[k], ry[k]);
		cr_assert_eq(gitchat_conversation_find(&f, a, x.id), 0);
		cr_assert_eq(f, i);
		same_message(a, b, i, what);
	}
	gitchat_conversation_free(a);
	gitchat_conversation_free(b);
	gitchat_store_free(s1);
	gitchat_store_free(s2);
}

typedef struct {
	char *path;
	git_repository *repo;
	gitchat_store *store;
	t_order_author au[4];
	t_order_node n[MAXN];
	git_oid ids[MAXN];
	unsigned char arrived[MAXN], head[MAXN];
	int count;
} world;

/* Every node of a random DAG as a real commit (unreachable until a ref
 * names it); some are replies, edits or reactions of an earlier one. */
static void world_new(world *w, t_rng *r, int count, int authors)
{
	memset(w, 0, sizeof(*w));
	cr_assert_eq(gitchat_init(), 0);
	w->path = t_store(t_scratch(), "store");
	w->store = open_store(w->path);
	t_keep(w->store);
	w->repo = gitchat_store_repository(w->store);
	w->count = count;
	t_order_authors(w->au, authors);
	t_order_random_dag(w->n, count, authors, r);
	for (int i = 0; i < count; i++) {
		git_oid parents[T_ORDER_MAXP];
		t_order_extra x = { 0 };
		for (int k = 0; k < w->n[i].np; k++)
			parents[k] = w->ids[w->n[i].parents[k]];
		if (i > 2 && t_order_below(r, 4) == 0) {
			int to = t_order_below(r, i);
			if (t_order_below(r, 2)) {
				x.reply = &w->ids[to];
			} else {
				x.kind = 3;          /* a reaction */
				x.target = &w->ids[to];
				x.text = "+1";
			}
		}
		w->ids[i] = t_order_commit(w->repo, &w->au[w->n[i].author], ROOM, parents, w->n[i].np,
		                           w->n[i].time, &x);
	}
}

static void world_free(world *w, int authors)
{
	t_order_authors_free(w->au, authors);
}

/* Node i arrives: a ref per node no arrived node descends from, so that
 * the refs reach exactly what arrived (refs of nodes that are no longer
 * heads are deleted, as a log's ref moves on). */
static void arrive(world *w, int i)
{
	char name[512], hex[GITCHAT_PUBKEY_HEXSIZE];
	git_reference *ref = NULL;

	w->arrived[i] = 1;
	w->head[i] = 1;
	for (int k = 0; k < w->n[i].np; k++) {
		int p = w->n[i].parents[k];
		if (!w->head[p])
			continue;
		w->head[p] = 0;
		gitchat_pubkey_hex(hex, gitchat_key_public(w->au[w->n[p].author].key));
		snprintf(name, sizeof(name), "refs/chat-remotes/n%d/%s/%s", p, ROOM, hex);
		cr_assert_eq(git_reference_lookup(&ref, w->repo, name), 0);
		cr_assert_eq(git_reference_delete(ref), 0);
		git_reference_free(ref);
	}
	snprintf(name, sizeof(name), "n%d", i);
	t_order_ref(w->repo, name, ROOM, w->au[w->n[i].author].key, &w->ids[i]);
}

/* A node whose parents have arrived: mostly the oldest, sometimes any. */
static int next_arrival(world *w, t_rng *r)
{
	int ready[MAXN], nready = 0;
	for (int i = 0; i < w->count; i++) {
		int ok = !w->arrived[i];
		for (int k = 0; ok && k < w->n[i].np; k++)
			ok = w->arrived[w->n[i].parents[k]];
		if (ok)
			ready[nready++] = i;
	}
	if (!nready)
		return -1;
	return t_order_below(r, 5) ? ready[0] : ready[t_order_below(r, nready)];
}

Test(order_append, appended_index_matches_a_rebuild_over_random_arrivals)
{
	int appended = 0, rewritten = 0;

	for (uint64_t seed = 1; seed <= 16; seed++) {
		t_rng r;
		world w;
		int authors = 2 + (int)(seed % 3), i, step = 0;
		r.s = seed;
		world_new(&w, &r, 24 + (int)(seed % 3) * 8, authors);
		while ((i = next_arrival(&w, &r)) >= 0) {
			gitchat_conversation_stats st;
			char what[64];
			/* one to three arrivals between loads */
			arrive(&w, i);
			for (int more = t_order_below(&r, 3); more > 0 && (i = next_arrival(&w, &r)) >= 0; more--)
				arrive(&w, i);
			snprintf(what, sizeof(what), "seed %llu step %d", (unsigned long long)seed, step++);
			/* Every other load reads the new commits as sync's does,
			 * through libgit2's object cache. */
			same_as_rebuild(w.path, &st, what,
			                step % 2 ? GITCHAT_CONVERSATION_NEW_CACHED : 0);
			appended += st.index == GITCHAT_CONVERSATION_INDEX_APPENDED;
			rewritten += st.index == GITCHAT_CONVERSATION_INDEX_UPDATED;
		}
		world_free(&w, authors);
	}
	/* Both paths were taken, many times. */
	cr_assert_gt(appended, 50, "appended %d times", appended);
	cr_assert_gt(rewritten, 20, "rewritten %d times", rewritten);
}

/* ---- the cases that must rewrite ---- */

typedef struct {
	char *path;
	git_repository *repo;
	gitchat_store *store;
	t_order_author au[3];
	git_oid head[3];
} small;

static void small_new(small *s)
{
	memset(s, 0, sizeof(*s));
	cr_assert_eq(gitchat_init(), 0);
	s->path = t_store(t_scratch(), "store");
	s->store = open_store(s->path);
	t_keep(s->store);
	s->repo = gitchat_store_repository(s->store);
	t_order_authors(s->au, 3);
}

static git_oid say(small *s, int a, int64_t t, const t_order_extra *x)
{
	git_oid parents[3];
	int np = 0;
	for (int b = 0; b < 2; b++)
		if (!git_oid_is_zero(&s->head[b]))
			parents[np++] = s->head[b];
	s->head[a] = t_order_commit(s->repo, &s->au[a], ROOM, parents, np, t, x);
	t_order_ref(s->repo, NULL, ROOM, s->au[a].key, &s->head[a]);
	return s->head[a];
}

static gitchat_conversation_index_state state_after(small *s, size_t *read)
{
	gitchat_conversation_stats st;
	same_as_rebuild(s->path, &st, "after the change", 0);
	if (read)
		*read = st.commits_read;
	return st.index;
}

Test(order_append, what_appends_and_what_rewrites)
{
	small s;
	size_t read;
	git_oid missing;

	small_new(&s);
	for (int i = 0; i < 6; i++)
		say(&s, i % 2, 1000 + 10 * i, NULL);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_BUILT);

	/* Later than everything: appended, one commit read. */
	say(&s, 0, 2000, NULL);
	cr_assert_eq(state_after(&s, &read), GITCHAT_CONVERSATION_INDEX_APPENDED);
	cr_assert_eq(read, 1);
	/* The same second as the last message and answering it: appended. */
	say(&s, 1, 2000, NULL);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_APPENDED);
	/* The same second, not answering it: the tie-break could put it
	 * before: rewritten. */
	{
		git_oid lone = t_order_commit(s.repo, &s.au[1], ROOM, NULL, 0, 2000, NULL);
		t_order_ref(s.repo, "lone", ROOM, s.au[1].key, &lone);
	}
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_UPDATED);
	/* Back-dated (a late old message): rewritten. */
	say(&s, 0, 1500, NULL);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_UPDATED);
	/* A new key: the keys of old messages would be renumbered. */
	say(&s, 2, 3000, NULL);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_UPDATED);
	/* A reply to a message the room lacks, then that message: the old
	 * reply's link changes, so rewritten. */
	missing = t_order_commit(s.repo, &s.au[0], ROOM, &s.head[0], 1, 3100, NULL);
	{
		t_order_extra x = { 0 };
		x.reply = &missing;
		say(&s, 1, 3200, &x);
	}
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_APPENDED);
	t_order_ref(s.repo, "late", ROOM, s.au[0].key, &missing);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_UPDATED);
	/* A ref removed: what it alone reached goes. */
	{
		git_reference *ref = NULL;
		char name[512], hex[GITCHAT_PUBKEY_HEXSIZE];
		gitchat_pubkey_hex(hex, gitchat_key_public(s.au[1].key));
		snprintf(name, sizeof(name), "refs/chat-remotes/lone/%s/%s", ROOM, hex);
		cr_assert_eq(git_reference_lookup(&ref, s.repo, name), 0);
		cr_assert_eq(git_reference_delete(ref), 0);
		git_reference_free(ref);
	}
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_UPDATED);
	t_order_authors_free(s.au, 3);
}

/* A tail torn by a crash, damaged, or left by an index since replaced is
 * dropped: the refs say what is missing, and it is appended again. */
Test(order_append, a_torn_or_foreign_tail_is_dropped)
{
	small s;
	char *tail;
	t_run run;

	small_new(&s);
	for (int i = 0; i < 4; i++)
		say(&s, i % 2, 1000 + 10 * i, NULL);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_BUILT);
	say(&s, 0, 2000, NULL);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_APPENDED);
	tail = t_fmt("%s/chat/index/" ROOM "+tail", s.path);
	cr_assert_eq(access(tail, F_OK), 0, "no tail at %s", tail);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_WARM);

	/* torn: cut short */
	run = t_sh("truncate -s 100 '%s'", tail);
	cr_assert_eq(run.status, 0);
	t_run_free(&run);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_APPENDED);
	/* damaged: one byte of a record flipped */
	t_flip_byte(tail, 140);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_APPENDED);
	/* of another index: a rewrite leaves no tail, and an old tail put
	 * back is ignored */
	run = t_sh("cp '%s' '%s.keep'", tail, tail);
	cr_assert_eq(run.status, 0);
	t_run_free(&run);
	say(&s, 1, 1500, NULL);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_UPDATED);
	cr_assert_neq(access(tail, F_OK), 0, "the rewrite left the tail");
	run = t_sh("mv '%s.keep' '%s'", tail, tail);
	cr_assert_eq(run.status, 0);
	t_run_free(&run);
	cr_assert_eq(state_after(&s, NULL), GITCHAT_CONVERSATION_INDEX_WARM);
	t_order_authors_free(s.au, 3);
}
