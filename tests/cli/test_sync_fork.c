/*
 * Forks (issue 3, item 4): one key writes on two stores without syncing;
 * after a sync both branches are kept and shown, a warning names the
 * author, and the author's next send heals the fork (both heads become
 * parents): one head again, every message shown once.
 */
#include "test_sync_common.h"

static char *parents_of(const char *gitdir, const char *id)
{
	return tp_git(gitdir, "log -1 --format=%%P %s", id);
}

static size_t count_lines_with(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

Test(sync_fork, two_devices_sync_directly_then_heal)
{
	char *dir = tp_scratch();
	tp_person d1, d2;
	char *a1, *a2, *b2, *a3, *j1, *j2, *ref, *par;
	t_run r;

	tp_person_init(&d1, dir, "Alice");
	t_mkdir(t_path(dir, "phone"));
	tp_person_init_key(&d2, t_path(dir, "phone"), "Alice", &d1);
	cr_assert_str_eq(d1.hex, d2.hex);

	a1 = tp_send(&d1, "general", "one");
	tp_sync_ok(&d2, d1.store);
	a2 = tp_send(&d1, "general", "two, from the laptop");
	b2 = tp_send(&d2, "general", "two, from the phone");
	ref = tp_logref(&d1, "general");

	/* the laptop sees the fork; nothing is rejected, nothing forced */
	r = tp_sync(&d1, d2.store, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(tp_contains(r.err, "warning:"), "%s", r.err);
	cr_assert(tp_contains(r.err, "fork of"), "%s", r.err);
	cr_assert(tp_contains(r.err, "Alice"), "the warning names the author: %s", r.err);
	cr_assert(tp_contains(r.err, d1.fp), "and her key: %s", r.err);
	cr_assert(tp_contains(r.err, b2), "and the remote's commit: %s", r.err);
	cr_assert(tp_contains(r.out, "1 fork"), "%s", r.out);
	/* the fork's commit is a message too (the library tells the kinds of
	 * all it received, not only of the logs it fast-forwarded) */
	cr_assert(tp_contains(r.out, "received 1 new message (general: 1)"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(tp_ref(d1.store, ref), a2);
	cr_assert_str_eq(tp_ref(d2.store, ref), b2, "a fork must never be pushed over");

	r = tp_sync(&d2, d1.store, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(tp_contains(r.err, "fork of"), "%s", r.err);
	t_run_free(&r);

	/* both branches kept and shown, each message once, the same everywhere */
	j1 = tp_log_json(&d1, "general");
	j2 = tp_log_json(&d2, "general");
	cr_assert_eq(t_count_lines(j1), 3, "%s", j1);
	cr_assert(tp_contains(j1, "from the laptop") && tp_contains(j1, "from the phone"));
	cr_assert_str_eq(j1, j2);
	cr_assert_eq(t_count_lines(tp_refs(d1.store, "refs/chat-remotes")), 1);
	cr_assert(tp_contains(tp_refs(d1.store, "refs/chat-remotes"), b2));
	tp_store_sound(d1.store);

	/* a known fork is still told about on the next sync */
	r = tp_sync(&d1, d2.store, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(tp_contains(r.err, "fork of"), "%s", r.err);
	t_run_free(&r);

	/* the next send heals: both heads are its parents */
	a3 = tp_send(&d1, "general", "three, seen both");
	par = parents_of(d1.store, a3);
	cr_assert(tp_contains(par, a2) && tp_contains(par, b2), "parents of the heal: %s", par);
	cr_assert_eq(strncmp(par, a2, 40), 0, "the first parent is the own head");

	tp_sync_ok(&d1, d2.store);
	tp_sync_ok(&d2, d1.store);
	cr_assert_str_eq(tp_ref(d1.store, ref), a3);
	cr_assert_str_eq(tp_ref(d2.store, ref), a3);
	cr_assert_str_eq(tp_refs(d1.store, "refs/chat-remotes"), "", "fork record not pruned");
	cr_assert_str_eq(tp_refs(d2.store, "refs/chat-remotes"), "");
	j1 = tp_log_json(&d1, "general");
	j2 = tp_log_json(&d2, "general");
	cr_assert_eq(t_count_lines(j1), 4, "%s", j1);
	cr_assert_eq(count_lines_with(j1, "from the phone"), 1);
	cr_assert_str_eq(j1, j2);
	r = tp_sync(&d1, d2.store, NULL);
	cr_assert(!tp_contains(r.err, "fork"), "healed, yet: %s", r.err);
	cr_assert(tp_contains(r.out, "up to date"), "%s", r.out);
	t_run_free(&r);
	tp_store_sound(d1.store);
	tp_store_sound(d2.store);
	tp_verify_commits(d2.store);
	(void)a1;
}

Test(sync_fork, fork_through_a_server_healed_from_the_other_store)
{
	char *dir = tp_scratch(), *srv = t_path(dir, "server.git");
	tp_person d1, d2, bob;
	char *a2, *b2, *c3, *ref, *par, *jb, *j1, *j2;
	t_run r;

	tp_person_init(&d1, dir, "Alice");
	t_mkdir(t_path(dir, "phone"));
	tp_person_init_key(&d2, t_path(dir, "phone"), "Alice", &d1);
	tp_person_init(&bob, dir, "Bob");
	tp_send(&d1, "general", "one");
	tp_sync_ok(&d1, srv);
	tp_sync_ok(&d2, srv);
	tp_sync_ok(&bob, srv);
	ref = tp_logref(&d1, "general");

	a2 = tp_send(&d1, "general", "two, laptop");
	b2 = tp_send(&d2, "general", "two, phone");
	tp_sync_ok(&d1, srv);            /* the server takes a2 */
	tp_sync_ok(&bob, srv);
	r = tp_sync(&d2, srv, NULL);     /* the phone finds the fork */
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(tp_contains(r.err, "fork of") && tp_contains(r.err, a2), "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(tp_ref(srv, ref), a2);
	j2 = tp_log_json(&d2, "general");
	cr_assert(tp_contains(j2, "two, laptop") && tp_contains(j2, "two, phone"));

	/* the phone's next message heals it for everyone */
	c3 = tp_send(&d2, "general", "three");
	par = parents_of(d2.store, c3);
	cr_assert(tp_contains(par, b2) && tp_contains(par, a2), "%s", par);
	tp_sync_ok(&d2, srv);
	cr_assert_str_eq(tp_ref(srv, ref), c3);
	tp_sync_ok(&d1, srv);
	tp_sync_ok(&bob, srv);
	cr_assert_str_eq(tp_ref(d1.store, ref), c3);
	cr_assert_str_eq(tp_ref(bob.store, ref), c3);
	cr_assert_str_eq(tp_refs(d2.store, "refs/chat-remotes"), "");
	j1 = tp_log_json(&d1, "general");
	j2 = tp_log_json(&d2, "general");
	jb = tp_log_json(&bob, "general");
	cr_assert_eq(t_count_lines(j1), 4, "%s", j1);
	cr_assert_str_eq(j1, j2);
	cr_assert_str_eq(j1, jb);
	tp_store_sound(srv);
}
