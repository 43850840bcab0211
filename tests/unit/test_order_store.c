/*
 * The merger on real stores, through the public API: random DAGs of
 * signed commits come out in the reference order (testorder.h) whether
 * ordered in memory, from a fresh index, a warm one or one updated as refs
 * arrive one by one in any order and under any names; future-stamped and
 * back-dated messages; invalid commits left out and reported; replies,
 * edits and reactions linked to their targets.
 */
#include <unistd.h>
#include "testorder.h"
#include "testlib.h"

#define ROOM "general"

typedef struct {
	char *path;
	gitchat_store *store;
	git_repository *repo;
} r_store;

static r_store store_new(void)
{
	r_store s;

	cr_assert_eq(gitchat_init(), 0);
	s.path = t_path(t_scratch(), "store");
	cr_assert_eq(gitchat_store_init(&s.store, s.path), 0, "%s", gitchat_error_last()->message);
	s.repo = gitchat_store_repository(s.store);
	return s;
}

/* A new handle, as a new process would have: no cache in memory. */
static gitchat_store *reopen(const r_store *s)
{
	gitchat_store *st = NULL;
	cr_assert_eq(gitchat_store_open(&st, s->path), 0, "%s", gitchat_error_last()->message);
	return st;
}

static void store_free(r_store *s)
{
	gitchat_store_free(s->store);
	free(s->path);
}

/* Writes the DAG n[] as signed commits (ids and keys filled in) and points
 * a ref at every message nobody answered: the author's first such under
 * refs/chat, the others under refs/chat-remotes (forks). */
static void write_dag(t_order_node *n, int count, t_order_author *au, git_repository *repo)
{
	unsigned char *has_child = calloc((size_t)count + 1, 1);
	int i, k, seen[16] = { 0 };

	for (i = 0; i < count; i++) {
		git_oid parents[T_ORDER_MAXP], id;
		for (k = 0; k < n[i].np; k++) {
			git_oid_fromraw(&parents[k], n[n[i].parents[k]].id);
			has_child[n[i].parents[k]] = 1;
		}
		id = t_order_commit(repo, &au[n[i].author], ROOM, parents, n[i].np, n[i].time, NULL);
		memcpy(n[i].id, id.id, 20);
		memcpy(n[i].key, gitchat_key_public(au[n[i].author].key)->bytes, 32);
	}
	for (i = 0; i < count; i++) {
		git_oid id;
		char remote[16];
		if (has_child[i])
			continue;
		git_oid_fromraw(&id, n[i].id);
		snprintf(remote, sizeof(remote), "fork%d", seen[n[i].author]);
		t_order_ref(repo, seen[n[i].author]++ ? remote : NULL, ROOM, au[n[i].author].key, &id);
	}
	free(has_child);
}

static void expect_order(gitchat_conversation *conv, const t_order_node *n, const int *want, int count,
                         const char *what)
{
	size_t got_n, i;
	git_oid *got = t_order_ids(conv, &got_n);

	cr_assert_eq(got_n, (size_t)count, "%s: %zu messages, expected %d", what, got_n, count);
	for (i = 0; i < got_n; i++)
		cr_assert(memcmp(got[i].id, n[want[i]].id, 20) == 0,
		          "%s: position %zu differs from the reference", what, i);
	free(got);
}

Test(order_store, random_dags_match_the_reference_in_every_mode)
{
	for (uint64_t seed = 1; seed <= 6; seed++) {
		r_store s = store_new();
		t_order_author au[5];
		int count = 40 + (int)seed * 7, nauth = 2 + (int)(seed % 4);
		t_order_node *n = calloc((size_t)count, sizeof(*n));
		int *want = calloc((size_t)count, sizeof(int));
		t_rng r = { seed * 7919 };
		gitchat_conversation *conv;
		gitchat_conversation_stats st;
		gitchat_store *st2;

		t_order_authors(au, nauth);
		t_order_random_dag(n, count, nauth, &r);
		write_dag(n, count, au, s.repo);
		cr_assert_eq(t_order_reference(want, n, count, NULL), count);

		conv = t_order_load(s.store, ROOM, GITCHAT_CONVERSATION_NO_INDEX, &st);
		cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_NONE);
		expect_order(conv, n, want, count, "in memory");
		gitchat_conversation_free(conv);

		conv = t_order_load(s.store, ROOM, 0, &st);
		cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_BUILT, "%s", t_order_state_name(st.index));
		cr_assert(st.saved);
		cr_assert_eq(st.commits_read, (size_t)count);
		expect_order(conv, n, want, count, "fresh index");
		gitchat_conversation_free(conv);

		st2 = reopen(&s);
		conv = t_order_load(st2, ROOM, 0, &st);
		cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_WARM, "%s", t_order_state_name(st.index));
		cr_assert_eq(st.commits_read, 0);
		expect_order(conv, n, want, count, "warm index");
		gitchat_conversation_free(conv);

		conv = t_order_load(st2, ROOM, GITCHAT_CONVERSATION_REBUILD, &st);
		cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_BUILT);
		expect_order(conv, n, want, count, "rebuilt index");
		gitchat_conversation_free(conv);
		gitchat_store_free(st2);

		t_order_authors_free(au, nauth);
		free(n);
		free(want);
		store_free(&s);
	}
}

/* Marks what `tips` reach in n[]. */
static int reach(unsigned char *in, const t_order_node *n, int count, const int *tips, int ntips)
{
	int *stack = calloc((size_t)count + 1, sizeof(int)), sp = 0, total = 0, i, k;

	memset(in, 0, (size_t)count);
	for (i = 0; i < ntips; i++)
		if (!in[tips[i]]) {
			in[tips[i]] = 1;
			stack[sp++] = tips[i];
		}
	while (sp) {
		int v = stack[--sp];
		for (k = 0; k < n[v].np; k++)
			if (!in[n[v].parents[k]]) {
				in[n[v].parents[k]] = 1;
				stack[sp++] = n[v].parents[k];
			}
	}
	for (i = 0; i < count; i++)
		total += in[i];
	free(stack);
	return total;
}

static int node_of(const t_order_node *n, int count, const git_oid *id)
{
	for (int i = 0; i < count; i++)
		if (!memcmp(n[i].id, id->id, 20))
			return i;
	return -1;
}

Test(order_store, arrival_order_and_ref_names_do_not_matter)
{
	r_store src = store_new();
	t_order_author au[4];
	int count = 70, i, d, nrefs = 0;
	t_order_node *n = calloc((size_t)count, sizeof(*n));
	int *want = calloc((size_t)count, sizeof(int)), tips[64], ntips;
	unsigned char *in = calloc((size_t)count, 1);
	t_rng r = { 4242 };
	git_reference_iterator *it;
	git_reference *ref;
	char *names[64];
	git_oid targets[64], *final[3];
	size_t final_n[3];

	t_order_authors(au, 4);
	t_order_random_dag(n, count, 4, &r);
	write_dag(n, count, au, src.repo);
	cr_assert_eq(git_reference_iterator_glob_new(&it, src.repo, "refs/chat*"), 0);
	while (git_reference_next(&ref, it) == 0) {
		names[nrefs] = strdup(git_reference_name(ref));
		targets[nrefs++] = *git_reference_target(ref);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	cr_assert(nrefs >= 4, "only %d refs", nrefs);

	for (d = 0; d < 3; d++) {
		r_store dst = store_new();
		int order[64], prev = 0;
		for (i = 0; i < nrefs; i++)
			order[i] = i;
		for (i = nrefs - 1; i > 0; i--) {  /* a different arrival order per replica */
			int j = t_order_below(&r, i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		ntips = 0;
		for (i = 0; i < nrefs; i++) {
			const char *name = names[order[i]];
			char dest[600];
			gitchat_store *st;
			gitchat_conversation *conv;
			gitchat_conversation_stats stats;
			int now;
			t_run run;

			/* Replica 1 keeps every log as a remote's copy, replica 2
			 * under another remote name: the refs list differently. */
			if (d == 0)
				snprintf(dest, sizeof(dest), "%s", name);
			else if (!strncmp(name, "refs/chat/", 10))
				snprintf(dest, sizeof(dest), "refs/chat-remotes/%s/%s", d == 1 ? "zz" : "aa",
				         name + 10);
			else
				snprintf(dest, sizeof(dest), "refs/chat-remotes/%s%s", d == 1 ? "a" : "z",
				         name + strlen("refs/chat-remotes/"));
			run = t_sh("git --git-dir='%s' fetch -q --no-tags '%s' '+%s:%s' 2>&1", dst.path,
			           src.path, name, dest);
			cr_assert_eq(run.status, 0, "fetch: %s", run.out);
			t_run_free(&run);

			tips[ntips++] = node_of(n, count, &targets[order[i]]);
			now = reach(in, n, count, tips, ntips);
			cr_assert_eq(t_order_reference(want, n, count, in), now);
			st = reopen(&dst);
			conv = t_order_load(st, ROOM, 0, &stats);
			if (i == 0)
				cr_assert_eq(stats.index, GITCHAT_CONVERSATION_INDEX_BUILT);
			else if (now != prev)   /* appended when the new ones go last */
				cr_assert(stats.index == GITCHAT_CONVERSATION_INDEX_UPDATED ||
				          stats.index == GITCHAT_CONVERSATION_INDEX_APPENDED, "%s",
				          t_order_state_name(stats.index));
			/* Only what arrived is read. */
			cr_assert_eq(stats.commits_read, (size_t)(now - prev), "replica %d step %d: read %zu, "
			             "%d arrived", d, i, stats.commits_read, now - prev);
			expect_order(conv, n, want, now, "after a fetch");
			if (i == nrefs - 1)
				final[d] = t_order_ids(conv, &final_n[d]);
			gitchat_conversation_free(conv);
			gitchat_store_free(st);
			prev = now;
		}
		store_free(&dst);
	}
	cr_assert_eq(final_n[0], (size_t)count);
	for (d = 1; d < 3; d++) {
		cr_assert_eq(final_n[d], final_n[0]);
		cr_assert(memcmp(final[d], final[0], final_n[0] * sizeof(git_oid)) == 0);
	}
	for (i = 0; i < 3; i++)
		free(final[i]);
	for (i = 0; i < nrefs; i++)
		free(names[i]);
	t_order_authors_free(au, 4);
	free(n);
	free(want);
	free(in);
	store_free(&src);
}

static void expect_ids(gitchat_store *store, const git_oid *want, size_t n, const char *what)
{
	gitchat_conversation *conv = t_order_load(store, ROOM, 0, NULL);
	size_t got_n, i;
	git_oid *got = t_order_ids(conv, &got_n);

	cr_assert_eq(got_n, n, "%s: %zu messages, expected %zu", what, got_n, n);
	for (i = 0; i < n; i++)
		cr_assert(git_oid_equal(&got[i], &want[i]), "%s: position %zu", what, i);
	free(got);
	gitchat_conversation_free(conv);
}

Test(order_store, a_future_message_is_pulled_back_when_answered)
{
	r_store s = store_new();
	t_order_author au[3];
	git_oid m1, f, m2, m3, d;

	t_order_authors(au, 3);
	m1 = t_order_commit(s.repo, &au[0], ROOM, NULL, 0, 100, NULL);
	f = t_order_commit(s.repo, &au[1], ROOM, &m1, 1, 4000000000LL, NULL);   /* year 2096 */
	m2 = t_order_commit(s.repo, &au[0], ROOM, &m1, 1, 200, NULL);
	m3 = t_order_commit(s.repo, &au[2], ROOM, &m2, 1, 300, NULL);
	t_order_ref(s.repo, NULL, ROOM, au[0].key, &m2);
	t_order_ref(s.repo, NULL, ROOM, au[1].key, &f);
	t_order_ref(s.repo, NULL, ROOM, au[2].key, &m3);
	{
		git_oid want[4] = { m1, m2, m3, f };
		expect_ids(s.store, want, 4, "before the answer");
	}
	/* Carol answers the future message at 250: it moves back to 250. */
	d = t_order_commit(s.repo, &au[2], ROOM, &f, 1, 250, NULL);
	t_order_ref(s.repo, "elsewhere", ROOM, au[2].key, &d);
	{
		git_oid want[5] = { m1, m2, f, d, m3 };
		gitchat_conversation_stats st;
		gitchat_conversation *conv = t_order_load(s.store, ROOM, 0, &st);
		cr_assert_eq(st.index, GITCHAT_CONVERSATION_INDEX_UPDATED);
		cr_assert_eq(st.commits_read, 1);
		gitchat_conversation_free(conv);
		expect_ids(s.store, want, 5, "after the answer");
	}
	t_order_authors_free(au, 3);
	store_free(&s);
}

Test(order_store, a_backdated_message_comes_after_its_parents)
{
	r_store s = store_new();
	t_order_author au[2];
	git_oid p, b, q;

	t_order_authors(au, 2);
	p = t_order_commit(s.repo, &au[0], ROOM, NULL, 0, 1000, NULL);
	q = t_order_commit(s.repo, &au[1], ROOM, NULL, 0, 500, NULL);
	b = t_order_commit(s.repo, &au[0], ROOM, &p, 1, 5, NULL);      /* stamped before its parent */
	t_order_ref(s.repo, NULL, ROOM, au[0].key, &b);
	t_order_ref(s.repo, NULL, ROOM, au[1].key, &q);
	{
		git_oid want[3] = { p, b, q };
		expect_ids(s.store, want, 3, "back-dated");
	}
	t_order_authors_free(au, 2);
	store_free(&s);
}

typedef struct {
	char lines[16][400];
	int n;
} problems;

static int collect(const gitchat_problem *p, void *payload)
{
	problems *pr = payload;
	char hex[GIT_OID_HEXSZ + 1] = "";
	if (p->commit)
		git_oid_tostr(hex, sizeof(hex), p->commit);
	if (pr->n < 16)
		snprintf(pr->lines[pr->n], sizeof(pr->lines[0]), "%s %s %s",
		         p->refname ? p->refname : "-", hex, p->reason);
	pr->n++;
	return 0;
}

Test(order_store, invalid_commits_are_left_out_and_reported_every_time)
{
	r_store s = store_new();
	t_order_author au[3];
	t_order_extra bad = { 0, NULL, NULL, "tampered", 1 };
	git_oid z, x, w, y, other;
	problems first, again;
	gitchat_conversation_options o = GITCHAT_CONVERSATION_OPTIONS_INIT;
	gitchat_conversation *conv;
	gitchat_store *st;
	size_t n, i;
	git_oid *ids;

	t_order_authors(au, 3);
	z = t_order_commit(s.repo, &au[0], ROOM, NULL, 0, 100, NULL);
	x = t_order_commit(s.repo, &au[1], ROOM, &z, 1, 200, &bad);    /* bad signature */
	w = t_order_commit(s.repo, &au[1], ROOM, &x, 1, 300, NULL);    /* valid itself, invalid parent */
	y = t_order_commit(s.repo, &au[0], ROOM, &z, 1, 400, NULL);
	other = t_order_commit(s.repo, &au[2], ROOM, NULL, 0, 50, NULL);
	t_order_ref(s.repo, "mallory", ROOM, au[1].key, &w);
	t_order_ref(s.repo, NULL, ROOM, au[0].key, &y);
	/* Carol's ref holds a message signed by Alice: a problem of the ref. */
	t_order_ref(s.repo, NULL, ROOM, au[2].key, &z);
	t_order_ref(s.repo, "r2", ROOM, au[2].key, &other);

	memset(&first, 0, sizeof(first));
	o.problem_cb = collect;
	o.payload = &first;
	cr_assert_eq(gitchat_conversation_load(&conv, s.store, ROOM, &o), 0);
	ids = t_order_ids(conv, &n);
	cr_assert_eq(n, 3, "z, y and other are the messages");
	cr_assert(git_oid_equal(&ids[0], &other) && git_oid_equal(&ids[1], &z) &&
	          git_oid_equal(&ids[2], &y));
	for (i = 0; i < n; i++)
		cr_assert(!git_oid_equal(&ids[i], &x) && !git_oid_equal(&ids[i], &w));
	free(ids);
	{
		gitchat_conversation_stats stats;
		gitchat_conversation_stats_get(&stats, conv);
		cr_assert_eq(stats.invalid, 2);
	}
	gitchat_conversation_free(conv);
	cr_assert_eq(first.n, 3, "%d problems", first.n);
	{
		int saw_x = 0, saw_w = 0, saw_ref = 0;
		char hx[41], hw[41];
		git_oid_tostr(hx, sizeof(hx), &x);
		git_oid_tostr(hw, sizeof(hw), &w);
		for (i = 0; i < (size_t)first.n; i++) {
			saw_x |= strstr(first.lines[i], hx) == first.lines[i] + 2 &&
			         strstr(first.lines[i], "bad signature") != NULL;
			saw_w |= strstr(first.lines[i], hw) != NULL && strstr(first.lines[i], hx) != NULL;
			saw_ref |= strstr(first.lines[i], "not by the log's owner") != NULL;
		}
		cr_assert(saw_x && saw_w && saw_ref, "%s | %s | %s", first.lines[0], first.lines[1],
		          first.lines[2]);
	}
	/* The warm index reports exactly the same. */
	st = reopen(&s);
	memset(&again, 0, sizeof(again));
	o.payload = &again;
	cr_assert_eq(gitchat_conversation_load(&conv, st, ROOM, &o), 0);
	{
		gitchat_conversation_stats stats;
		gitchat_conversation_stats_get(&stats, conv);
		cr_assert_eq(stats.index, GITCHAT_CONVERSATION_INDEX_WARM);
		cr_assert_eq(stats.invalid, 2);
	}
	gitchat_conversation_free(conv);
	cr_assert_eq(again.n, first.n);
	for (i = 0; i < (size_t)first.n; i++)
		cr_assert_str_eq(again.lines[i], first.lines[i]);
	gitchat_store_free(st);
	t_order_authors_free(au, 3);
	store_free(&s);
}

static int stop_at_first(const gitchat_problem *p, void *payload)
{
	(void)p;
	(void)payload;
	return 42;
}

/* A room of one log whose only message has a bad signature: one problem. */
static void one_bad_log(r_store *s, t_order_author *au)
{
	t_order_extra bad = { 0, NULL, NULL, "tampered", 1 };
	git_oid x;

	t_order_authors(au, 1);
	x = t_order_commit(s->repo, &au[0], ROOM, NULL, 0, 100, &bad);
	t_order_ref(s->repo, NULL, ROOM, au[0].key, &x);
}

Test(order_store, a_problem_callback_can_stop_the_load)
{
	r_store s = store_new();
	t_order_author au[1];
	gitchat_conversation_options o = GITCHAT_CONVERSATION_OPTIONS_INIT;
	gitchat_conversation *conv = NULL;

	one_bad_log(&s, au);
	o.problem_cb = stop_at_first;
	cr_assert_eq(gitchat_conversation_load(&conv, s.store, ROOM, &o), 42);
	cr_assert_null(conv);
	o.version = 99;
	cr_assert_eq(gitchat_conversation_load(&conv, s.store, ROOM, &o), GITCHAT_EINVALID);
	cr_assert_eq(gitchat_conversation_load(&conv, s.store, "Bad Room", NULL), GITCHAT_EINVALID);
	t_order_authors_free(au, 1);
	store_free(&s);
}

/* What libgit2's process-wide pack windows are while the load runs: the
 * problem callback is called in the middle of it. */
static int windows_seen(const gitchat_problem *p, void *payload)
{
	size_t *seen = payload;
	(void)p;
	git_libgit2_opts(GIT_OPT_GET_MWINDOW_SIZE, &seen[0]);
	git_libgit2_opts(GIT_OPT_GET_MWINDOW_MAPPED_LIMIT, &seen[1]);
	return 0;
}

Test(order_store, a_load_leaves_the_process_wide_pack_windows_alone)
{
	r_store s = store_new();
	t_order_author au[1];
	gitchat_conversation_options o = GITCHAT_CONVERSATION_OPTIONS_INIT;
	gitchat_conversation *conv = NULL;
	size_t seen[2] = { 0, 0 }, window = 0, limit = 0;

	one_bad_log(&s, au);
	/* The program's own choice, neither libgit2's defaults nor git-chat's. */
	git_libgit2_opts(GIT_OPT_GET_MWINDOW_SIZE, &window);
	git_libgit2_opts(GIT_OPT_GET_MWINDOW_MAPPED_LIMIT, &limit);
	cr_assert_eq(git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)3 << 20), 0);
	cr_assert_eq(git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)77 << 20), 0);
	o.problem_cb = windows_seen;
	o.payload = seen;
	o.flags = GITCHAT_CONVERSATION_NO_INDEX;
	cr_assert_eq(gitchat_conversation_load(&conv, s.store, ROOM, &o), 0);
	cr_assert_eq(seen[0], (size_t)3 << 20, "the window size was %zu during the load", seen[0]);
	cr_assert_eq(seen[1], (size_t)77 << 20, "the mapped limit was %zu during the load", seen[1]);
	gitchat_conversation_free(conv);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, window);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, limit);
	t_order_authors_free(au, 1);
	store_free(&s);
}

Test(order_store, replies_edits_and_reactions_point_at_their_targets)
{
	r_store s = store_new();
	t_order_author au[2];
	git_oid a, b, edit, react, reply, late, early;
	git_oid ghost;
	gitchat_conversation *conv;
	gitchat_conversation_entry e;
	size_t ia, ib, iedit, ireact, ireply, rel[4], total, n;
	gitchat_message *m = NULL;

	t_order_authors(au, 2);
	a = t_order_commit(s.repo, &au[0], ROOM, NULL, 0, 100, NULL);
	b = t_order_commit(s.repo, &au[1], ROOM, &a, 1, 110, NULL);
	{
		t_order_extra x1 = { GITCHAT_MESSAGE_EDIT, &a, NULL, "new text", 0 };
		t_order_extra x2 = { GITCHAT_MESSAGE_REACT, &a, NULL, "\xf0\x9f\x91\x8d", 0 };
		t_order_extra x3 = { 0, NULL, &b, "I agree", 0 };
		git_oid p2[2];
		edit = t_order_commit(s.repo, &au[0], ROOM, &a, 1, 120, &x1);
		p2[0] = b;
		p2[1] = edit;
		react = t_order_commit(s.repo, &au[1], ROOM, p2, 2, 130, &x2);
		reply = t_order_commit(s.repo, &au[0], ROOM, &react, 1, 140, &x3);
	}
	/* A reply to a message this store does not have yet. */
	early = t_order_commit(s.repo, &au[1], ROOM, NULL, 0, 50, NULL);
	{
		t_order_extra x4 = { 0, NULL, &early, "answering something you have not seen", 0 };
		late = t_order_commit(s.repo, &au[1], ROOM, &react, 1, 150, &x4);
	}
	t_order_ref(s.repo, NULL, ROOM, au[0].key, &reply);
	t_order_ref(s.repo, NULL, ROOM, au[1].key, &late);

	conv = t_order_load(s.store, ROOM, 0, NULL);
	n = gitchat_conversation_count(conv);
	cr_assert_eq(n, 6);
	cr_assert_eq(gitchat_conversation_find(&ia, conv, &a), 0);
	cr_assert_eq(gitchat_conversation_find(&ib, conv, &b), 0);
	cr_assert_eq(gitchat_conversation_find(&iedit, conv, &edit), 0);
	cr_assert_eq(gitchat_conversation_find(&ireact, conv, &react), 0);
	cr_assert_eq(gitchat_conversation_find(&ireply, conv, &reply), 0);
	cr_assert_eq(gitchat_conversation_entry_get(&e, conv, iedit), 0);
	cr_assert_eq(e.kind, GITCHAT_MESSAGE_EDIT);
	cr_assert_eq(e.target, ia);
	cr_assert_eq(e.reply_to, GITCHAT_NO_INDEX);
	cr_assert(!memcmp(e.key, gitchat_key_public(au[0].key), 32));
	cr_assert_eq(e.time, 120);
	cr_assert_eq(gitchat_conversation_entry_get(&e, conv, ireact), 0);
	cr_assert_eq(e.kind, GITCHAT_MESSAGE_REACT);
	cr_assert_eq(e.target, ia);
	cr_assert_eq(gitchat_conversation_entry_get(&e, conv, ireply), 0);
	cr_assert_eq(e.reply_to, ib);
	cr_assert_eq(e.target, GITCHAT_NO_INDEX);
	cr_assert_eq(gitchat_conversation_related_get(&total, conv, ia, rel, 4), 0);
	cr_assert_eq(total, 2);
	cr_assert_eq(rel[0], iedit);
	cr_assert_eq(rel[1], ireact);
	cr_assert_eq(gitchat_conversation_related_get(&total, conv, ia, rel, 1), 0);
	cr_assert_eq(total, 2, "the total, even when fewer fit");
	cr_assert_eq(gitchat_conversation_related_get(&total, conv, ib, rel, 4), 0);
	cr_assert_eq(total, 0);
	/* The last one answers a message we lack: no index for it. */
	cr_assert_eq(gitchat_conversation_entry_get(&e, conv, n - 1), 0);
	cr_assert(git_oid_equal(e.id, &late));
	cr_assert_eq(e.reply_to, GITCHAT_NO_INDEX);
	cr_assert_eq(gitchat_conversation_message_load(&m, conv, iedit), 0);
	cr_assert_str_eq(m->text, "new text");
	cr_assert(git_oid_equal(&m->target, &a));
	cr_assert_str_eq(m->author_name, "Author A");
	cr_assert_str_eq(m->room, ROOM);
	cr_assert_eq(m->parent_count, 1);
	gitchat_message_free(m);
	memset(&ghost, 0x5a, sizeof(ghost));
	cr_assert_eq(gitchat_conversation_find(&ia, conv, &ghost), GITCHAT_ENOTFOUND);
	cr_assert_eq(gitchat_conversation_entry_get(&e, conv, n), GITCHAT_ENOTFOUND);
	cr_assert_eq(gitchat_conversation_message_load(&m, conv, n), GITCHAT_ENOTFOUND);
	gitchat_conversation_free(conv);

	/* The message it answers arrives: the reply now points at it. */
	t_order_ref(s.repo, "friend", ROOM, au[1].key, &early);
	conv = t_order_load(s.store, ROOM, 0, NULL);
	cr_assert_eq(gitchat_conversation_count(conv), 7);
	cr_assert_eq(gitchat_conversation_find(&ib, conv, &early), 0);
	cr_assert_eq(gitchat_conversation_find(&ia, conv, &late), 0);
	cr_assert_eq(gitchat_conversation_entry_get(&e, conv, ia), 0);
	cr_assert_eq(e.reply_to, ib);
	gitchat_conversation_free(conv);
	t_order_authors_free(au, 2);
	store_free(&s);
}

Test(order_store, an_empty_room)
{
	r_store s = store_new();
	gitchat_conversation *conv = t_order_load(s.store, ROOM, 0, NULL);
	gitchat_conversation_entry e;

	cr_assert_eq(gitchat_conversation_count(conv), 0);
	cr_assert_eq(gitchat_conversation_entry_get(&e, conv, 0), GITCHAT_ENOTFOUND);
	gitchat_conversation_free(conv);
	conv = t_order_load(s.store, ROOM, 0, NULL);
	cr_assert_eq(gitchat_conversation_count(conv), 0);
	gitchat_conversation_free(conv);
	store_free(&s);
}

/* The merger reads commits through the object database's backends, not
 * git_odb_read: a room read whole must not fill libgit2's object cache
 * (up to 256 MiB of commits read once, docs/benchmarks.md). If a libgit2
 * built another way made message/objects.c fall back to git_odb_read, the
 * result would still be right, only slower and larger: this is the test
 * that notices. */
Test(order_store, a_whole_room_is_read_past_libgit2s_object_cache)
{
	r_store s = store_new();
	t_order_author au[3];
	int count = 150;
	t_order_node *n = calloc((size_t)count, sizeof(*n));
	t_rng r = { 4242 };
	gitchat_conversation *conv;
	gitchat_conversation_stats st;
	gitchat_store *fresh;
	ssize_t before = 0, after = 0, max = 0;

	t_order_authors(au, 3);
	t_order_random_dag(n, count, 3, &r);
	write_dag(n, count, au, s.repo);
	fresh = reopen(&s);
	cr_assert_eq(git_libgit2_opts(GIT_OPT_GET_CACHED_MEMORY, &before, &max), 0);
	conv = t_order_load(fresh, ROOM, GITCHAT_CONVERSATION_NO_INDEX, &st);
	cr_assert_eq(st.commits_read, (size_t)count);
	cr_assert_eq(git_libgit2_opts(GIT_OPT_GET_CACHED_MEMORY, &after, &max), 0);
	/* 150 signed commits are about 100 KB; a few tips may be peeled. */
	cr_assert_lt(after - before, 8 * 1024,
	             "reading the room cached %zd bytes in libgit2's object cache",
	             after - before);
	gitchat_conversation_free(conv);
	gitchat_store_free(fresh);
	t_order_authors_free(au, 3);
	free(n);
	store_free(&s);
}
