/*
 * Offline (issue 3, item 2): A and B each write 50 messages with no
 * connection and exchange them only through a stick directory (A syncs to
 * it, B syncs from and to it, A syncs again); then both sync with a server
 * (git daemon). Every replica renders the same conversation, and the graph
 * shows the concurrency: merge parents where one had seen the other.
 */
#include "testsync.h"
#include "servers.h"

static void write_messages(const t_person *p, const char *tag, int from, int to)
{
	char text[64];
	for (int i = from; i < to; i++) {
		snprintf(text, sizeof(text), "%s %d, written offline", tag, i);
		t_person_send(p, "general", text);
	}
}

Test(sync_offline, fifty_and_fifty_through_a_stick_then_a_server, .timeout = 400)
{
	char *dir = t_scratch_copy(), *root = t_path(dir, "srv"), *stick, *url;
	t_server *daemon;
	t_person a, b, c;
	char *ja, *jb, *jc, *merges, *graph, *own_b;
	t_run r;

	t_mkdir(root);
	t_mkdir(t_path(dir, "media"));
	stick = t_path(dir, "media/stick.git");
	t_person_init(&a, dir, "Alice");
	t_person_init(&b, dir, "Bob");
	t_person_init(&c, dir, "Carol");    /* only ever meets the server */

	/* 50 each, no connection at all */
	write_messages(&a, "A", 0, 50);
	write_messages(&b, "B", 0, 50);
	/* the stick goes A -> B -> A */
	t_person_sync_ok(&a, stick);
	r = t_person_sync(&b, stick, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(t_contains(r.out, "received 50 new messages (general: 50), 1 log pushed"),
	          "%s", r.out);
	t_run_free(&r);
	r = t_person_sync(&a, stick, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(t_contains(r.out, "received 50 new messages"), "%s", r.out);
	t_run_free(&r);
	ja = t_person_log_json(&a, "general");
	cr_assert_eq(t_count_lines(ja), 100);
	cr_assert_str_eq(ja, t_person_log_json(&b, "general"));
	/* two chains written side by side: nobody had seen the other */
	cr_assert_str_eq(t_git_out(a.store, "rev-list --min-parents=2 --glob=refs/chat"), "");
	cr_assert_eq(t_count_lines(t_git_out(a.store, "rev-list --glob=refs/chat")), 100);

	/* each answers, offline again: now both had seen everything, and the
	 * graph records it with merge parents (own head first) */
	t_person_send(&a, "general", "A: read all of yours");
	t_person_send(&b, "general", "B: read all of yours too");
	own_b = t_person_ref(&b, "general");
	merges = t_git_out(b.store, "log -1 --format=%%P %s", own_b);
	cr_assert_eq(strlen(merges), 82, "B's answer has two parents: %s", merges);
	cr_assert_str_eq(t_git_out(b.store, "rev-parse %s~1", own_b),
	                 t_git_out(b.store, "log -1 --format=%%H --grep='^B 49,' %s", own_b));

	/* then both meet a server; a third person gets it all from there */
	daemon = t_server_start(T_SERVER_DAEMON, root);
	free(t_server_new_repo(daemon, "team.git"));
	url = t_keep(t_server_url(daemon, "team.git"));
	t_person_sync_ok(&a, url);
	t_person_sync_ok(&b, url);
	t_person_sync_ok(&c, url);
	t_person_sync_ok(&a, url);
	ja = t_person_log_json(&a, "general");
	jb = t_person_log_json(&b, "general");
	jc = t_person_log_json(&c, "general");
	cr_assert_eq(t_count_lines(ja), 102, "%zu messages", t_count_lines(ja));
	cr_assert_str_eq(ja, jb);
	cr_assert_str_eq(ja, jc);
	cr_assert_str_eq(t_refs(a.store, "refs/chat"), t_refs(c.store, "refs/chat"));
	merges = t_git_out(c.store, "rev-list --min-parents=2 --glob=refs/chat");
	cr_assert_eq(t_count_lines(merges), 2, "merges: %s", merges);
	graph = t_git_out(c.store, "log --graph --oneline --glob=refs/chat");
	cr_assert(t_contains(graph, "|\\"), "no merge drawn:\n%s", graph);
	t_store_sound(stick);
	t_store_sound(a.store);
	t_store_sound(c.store);
	t_verify_commits(c.store);
	t_server_stop(daemon);
}
