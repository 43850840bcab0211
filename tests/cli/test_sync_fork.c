/*
 * Forks (issue 3, item 4): one key writes on two stores without syncing;
 * after a sync both branches are kept and shown, a warning names the
 * author, and the author's next send heals the fork (both heads become
 * parents): one head again, every message shown once.
 */
#include "testsync.h"

static char *parents_of(const char *gitdir, const char *id)
{
	return t_git_out(gitdir, "log -1 --format=%%P %s", id);
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
	char *dir = t_scratch_copy();
	t_person d1, d2;
	char *a1, *a2, *b2, *a3, *j1, *j2, *ref, *par;
	t_run r;

	t_person_init(&d1, dir, "Alice");
	t_mkdir(t_path(dir, "phone"));
	t_person_init_key(&d2, t_path(dir, "phone"), "Alice", &d1);
	cr_assert_str_eq(d1.hex, d2.hex);

	a1 = t_person_send(&d1, "general", "one");
	t_person_sync_ok(&d2, d1.store);
	a2 = t_person_send(&d1, "general", "two, from the laptop");
	b2 = t_person_send(&d2, "general", "two, from the phone");
	ref = t_person_ref(&d1, "general");

	/* the laptop sees the fork; nothing is rejected, nothing forced */
	r = t_person_sync(&d1, d2.store, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.err, "warning:"), "%s", r.err);
	cr_assert(t_contains(r.err, "fork of"), "%s", r.err);
	cr_assert(t_contains(r.err, "Alice"), "the warning names the author: %s", r.err);
	cr_assert(t_contains(r.err, d1.fp), "and her key: %s", r.err);
	cr_assert(t_contains(r.err, b2), "and the remote's commit: %s", r.err);
	cr_assert(t_contains(r.out, "1 fork"), "%s", r.out);
	/* the fork's commit is a message too (the library tells the kinds of
	 * all it received, not only of the logs it fast-forwarded) */
	cr_assert(t_contains(r.out, "received 1 new message (general: 1)"), "%s", r.out);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(d1.store, ref), a2);
	cr_assert_str_eq(t_ref_value(d2.store, ref), b2, "a fork must never be pushed over");

	r = t_person_sync(&d2, d1.store, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.err, "fork of"), "%s", r.err);
	t_run_free(&r);

	/* both branches kept and shown, each message once, the same everywhere */
	j1 = t_person_log_json(&d1, "general");
	j2 = t_person_log_json(&d2, "general");
	cr_assert_eq(t_count_lines(j1), 3, "%s", j1);
	cr_assert(t_contains(j1, "from the laptop") && t_contains(j1, "from the phone"));
	cr_assert_str_eq(j1, j2);
	cr_assert_eq(t_count_lines(t_refs(d1.store, "refs/chat-remotes")), 1);
	cr_assert(t_contains(t_refs(d1.store, "refs/chat-remotes"), b2));
	t_store_sound(d1.store);

	/* a known fork is still told about on the next sync */
	r = t_person_sync(&d1, d2.store, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(t_contains(r.err, "fork of"), "%s", r.err);
	t_run_free(&r);

	/* the next send heals: both heads are its parents */
	a3 = t_person_send(&d1, "general", "three, seen both");
	par = parents_of(d1.store, a3);
	cr_assert(t_contains(par, a2) && t_contains(par, b2), "parents of the heal: %s", par);
	cr_assert_eq(strncmp(par, a2, 40), 0, "the first parent is the own head");

	t_person_sync_ok(&d1, d2.store);
	t_person_sync_ok(&d2, d1.store);
	cr_assert_str_eq(t_ref_value(d1.store, ref), a3);
	cr_assert_str_eq(t_ref_value(d2.store, ref), a3);
	cr_assert_str_eq(t_refs(d1.store, "refs/chat-remotes"), "", "fork record not pruned");
	cr_assert_str_eq(t_refs(d2.store, "refs/chat-remotes"), "");
	j1 = t_person_log_json(&d1, "general");
	j2 = t_person_log_json(&d2, "general");
	cr_assert_eq(t_count_lines(j1), 4, "%s", j1);
	cr_assert_eq(count_lines_with(j1, "from the phone"), 1);
	cr_assert_str_eq(j1, j2);
	r = t_person_sync(&d1, d2.store, NULL);
	cr_assert(!t_contains(r.err, "fork"), "healed, yet: %s", r.err);
	cr_assert(t_contains(r.out, "up to date"), "%s", r.out);
	t_run_free(&r);
	t_store_sound(d1.store);
	t_store_sound(d2.store);
	t_verify_commits(d2.store);
	(void)a1;
}

Test(sync_fork, fork_through_a_server_healed_from_the_other_store)
{
	char *dir = t_scratch_copy(), *srv = t_path(dir, "server.git");
	t_person d1, d2, bob;
	char *a2, *b2, *c3, *ref, *par, *jb, *j1, *j2;
	t_run r;

	t_person_init(&d1, dir, "Alice");
	t_mkdir(t_path(dir, "phone"));
	t_person_init_key(&d2, t_path(dir, "phone"), "Alice", &d1);
	t_person_init(&bob, dir, "Bob");
	t_person_send(&d1, "general", "one");
	t_person_sync_ok(&d1, srv);
	t_person_sync_ok(&d2, srv);
	t_person_sync_ok(&bob, srv);
	ref = t_person_ref(&d1, "general");

	a2 = t_person_send(&d1, "general", "two, laptop");
	b2 = t_person_send(&d2, "general", "two, phone");
	t_person_sync_ok(&d1, srv);            /* the server takes a2 */
	t_person_sync_ok(&bob, srv);
	r = t_person_sync(&d2, srv, NULL);     /* the phone finds the fork */
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_assert(t_contains(r.err, "fork of") && t_contains(r.err, a2), "%s", r.err);
	t_run_free(&r);
	cr_assert_str_eq(t_ref_value(srv, ref), a2);
	j2 = t_person_log_json(&d2, "general");
	cr_assert(t_contains(j2, "two, laptop") && t_contains(j2, "two, phone"));

	/* the phone's next message heals it for everyone */
	c3 = t_person_send(&d2, "general", "three");
	par = parents_of(d2.store, c3);
	cr_assert(t_contains(par, b2) && t_contains(par, a2), "%s", par);
	t_person_sync_ok(&d2, srv);
	cr_assert_str_eq(t_ref_value(srv, ref), c3);
	t_person_sync_ok(&d1, srv);
	t_person_sync_ok(&bob, srv);
	cr_assert_str_eq(t_ref_value(d1.store, ref), c3);
	cr_assert_str_eq(t_ref_value(bob.store, ref), c3);
	cr_assert_str_eq(t_refs(d2.store, "refs/chat-remotes"), "");
	j1 = t_person_log_json(&d1, "general");
	j2 = t_person_log_json(&d2, "general");
	jb = t_person_log_json(&bob, "general");
	cr_assert_eq(t_count_lines(j1), 4, "%s", j1);
	cr_assert_str_eq(j1, j2);
	cr_assert_str_eq(j1, jb);
	t_store_sound(srv);
}
