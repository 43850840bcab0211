/*
 * Offline (issue 3, item 2): A and B each write 50 messages with no
 * connection and exchange them only through a stick directory (A syncs to
 * it, B syncs from and to it, A syncs again); then both sync with a server
 * (git daemon). Every replica renders the same conversation, and the graph
 * shows the concurrency: merge parents where one had seen the other.
 */
#include "test_sync_common.h"
#include "servers.h"

static void write_messages(const tp_person *p, const char *tag, int from, int to)
{
	char text[64];
	for (int i = from; i < to; i++) {
		snprintf(text, sizeof(text), "%s %d, written offline", tag, i);
		tp_send(p, "general", text);
	}
}

Test(sync_offline, fifty_and_fifty_through_a_stick_then_a_server, .timeout = 400)
{
	char *dir = tp_scratch(), *root = t_path(dir, "srv"), *stick, *url;
	t_server *daemon;
	tp_person a, b, c;
	char *ja, *jb, *jc, *merges, *graph, *own_b;
	t_run r;

	t_mkdir(root);
	t_mkdir(t_path(dir, "media"));
	stick = t_path(dir, "media/stick.git");
	tp_person_init(&a, dir, "Alice");
	tp_person_init(&b, dir, "Bob");
	tp_person_init(&c, dir, "Carol");    /* only ever meets the server */

	/* 50 each, no connection at all */
	write_messages(&a, "A", 0, 50);
	write_messages(&b, "B", 0, 50);
	/* the stick goes A -> B -> A */
	tp_sync_ok(&a, stick);
	r = tp_sync(&b, stick, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(tp_contains(r.out, "received 50 new messages (general: 50), 1 log pushed"),
	          "%s", r.out);
	t_run_free(&r);
	r = tp_sync(&a, stick, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert(tp_contains(r.out, "received 50 new messages"), "%s", r.out);
	t_run_free(&r);
	ja = tp_log_json(&a, "general");
	cr_assert_eq(t_count_lines(ja), 100);
	cr_assert_str_eq(ja, tp_log_json(&b, "general"));
	/* two chains written side by side: nobody had seen the other */
	cr_assert_str_eq(tp_git(a.store, "rev-list --min-parents=2 --glob=refs/chat"), "");
	cr_assert_eq(t_count_lines(tp_git(a.store, "rev-list --glob=refs/chat")), 100);

	/* each answers, offline again: now both had seen everything, and the
	 * graph records it with merge parents (own head first) */
	tp_send(&a, "general", "A: read all of yours");
	tp_send(&b, "general", "B: read all of yours too");
	own_b = tp_logref(&b, "general");
	merges = tp_git(b.store, "log -1 --format=%%P %s", own_b);
	cr_assert_eq(strlen(merges), 82, "B's answer has two parents: %s", merges);
	cr_assert_str_eq(tp_git(b.store, "rev-parse %s~1", own_b),
	                 tp_git(b.store, "log -1 --format=%%H --grep='^B 49,' %s", own_b));

	/* then both meet a server; a third person gets it all from there */
	daemon = t_server_start(T_SERVER_DAEMON, root);
	free(t_server_new_repo(daemon, "team.git"));
	url = tp_keep(t_server_url(daemon, "team.git"));
	tp_sync_ok(&a, url);
	tp_sync_ok(&b, url);
	tp_sync_ok(&c, url);
	tp_sync_ok(&a, url);
	ja = tp_log_json(&a, "general");
	jb = tp_log_json(&b, "general");
	jc = tp_log_json(&c, "general");
	cr_assert_eq(t_count_lines(ja), 102, "%zu messages", t_count_lines(ja));
	cr_assert_str_eq(ja, jb);
	cr_assert_str_eq(ja, jc);
	cr_assert_str_eq(tp_refs(a.store, "refs/chat"), tp_refs(c.store, "refs/chat"));
	merges = tp_git(c.store, "rev-list --min-parents=2 --glob=refs/chat");
	cr_assert_eq(t_count_lines(merges), 2, "merges: %s", merges);
	graph = tp_git(c.store, "log --graph --oneline --glob=refs/chat");
	cr_assert(tp_contains(graph, "|\\"), "no merge drawn:\n%s", graph);
	tp_store_sound(stick);
	tp_store_sound(a.store);
	tp_store_sound(c.store);
	tp_verify_commits(c.store);
	t_server_stop(daemon);
}
