/*
 * The readers (log, export, verify) on a room that is not there: an error
 * that names the rooms there are, and nothing written; and log's
 * new-messages rule, only on a terminal or when asked.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>

#include "testchat.h"


/* The rooms named in the error, and what to do next; nothing on stdout. */
static void assert_unknown_room(t_run r, const char *what)
{
	cr_assert_eq(r.status, 128, "%s: exit %d\n%s", what, r.status, r.err);
	cr_assert_str_eq(r.out, "", "%s printed: %s", what, r.out);
	t_assert_contains(r.err, "fatal: no room 'genral'");
	t_assert_contains(r.err, "general, random");
	t_assert_contains(r.err, "'git chat rooms'");
	cr_assert_eq(t_count_lines(r.err), 1, "%s", r.err);
}

Test(readers, unknown_room_is_an_error_for_readers)
{
	const char *dir = t_scratch();
	char *key, *store = t_two_rooms(dir, &key), *snap = t_snapshot(store);
	char *page = t_path(dir, "page.html");
	t_run r;

	assert_unknown_room(r = t_chatv(store, "log", "-r", "genral"), "log");
	t_run_free(&r);
	assert_unknown_room(r = t_chatv(store, "log", "-r", "genral", "--format=json"), "log json");
	t_run_free(&r);
	assert_unknown_room(r = t_chatv(store, "verify", "-r", "genral"), "verify");
	t_run_free(&r);
	assert_unknown_room(r = t_chatv(store, "export", "-r", "genral", "-o", page), "export");
	t_run_free(&r);
	/* No page, not even a temporary one, and the store as it was. */
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		cr_assert(d);
		while ((e = readdir(d)))
			cr_assert(strncmp(e->d_name, "page.html", 9) != 0, "left behind: %s", e->d_name);
		closedir(d);
	}
	cr_assert_str_eq(t_snapshot(store), snap);

	/* The rooms that exist still read; a new room is created by send. */
	r = t_chatv(store, "log", "-r", "random");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "elsewhere");
	t_run_free(&r);
	r = t_chatv(store, "verify", "-r", "general");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(store, "send", "--key", key, "-r", "genral", "-m", "a new room");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	r = t_chatv(store, "log", "-r", "genral");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "a new room");
	t_run_free(&r);
}

Test(readers, unknown_room_in_an_empty_store_says_there_are_none)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	const char *cmds[][4] = { { "log", "-r", "general", NULL },
	                          { "verify", "-r", "general", NULL } };

	for (size_t i = 0; i < 2; i++) {
		t_run r = t_chat(store, NULL, cmds[i]);
		cr_assert_eq(r.status, 128, "%s: %d %s", cmds[i][0], r.status, r.err);
		t_assert_contains(r.err, "no room 'general' in this store");
		t_assert_contains(r.err, "no rooms yet");
		t_assert_contains(r.err, "'git chat rooms'");
		t_run_free(&r);
	}
	/* verify of the whole (empty) store is not about a room: still fine. */
	t_run r = t_chatv(store, "verify");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
}

Test(readers, new_messages_rule_only_on_a_terminal_or_when_asked)
{
	const char *dir = t_scratch();
	char *store = t_store(dir, "store");
	char *alice = t_keygen(dir, "alice", 1), *bob = t_keygen(dir, "bob", 1);
	t_run r;

	free(t_send(store, alice, "general", "one"));
	free(t_send(store, bob, "general", "two"));
	r = t_chatv(store, "log", "--key", alice, "--mark-read");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_run_free(&r);
	free(t_send(store, bob, "general", "three"));
	free(t_send(store, bob, "general", "four"));

	/* A pipe: no rule (and the marker stays). */
	r = t_chatv(store, "log", "--key", alice, "-n", "4", "--color=never");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "four");
	cr_assert_eq(strstr(r.out, "── new"), NULL, "%s", r.out);
	t_run_free(&r);
	/* The same through a shell pipe, as the trial ran it. */
	r = t_sh("GIT_DIR='%s' '%s' log --key '%s' -n 4 | cat", store, GITCHAT_BIN, alice);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(strstr(r.out, "── new"), NULL, "%s", r.out);
	t_run_free(&r);
	/* --mark-read asks to read: the rule shows what it reads, before "three". */
	r = t_chatv(store, "log", "--key", alice, "-n", "4", "--color=never", "--mark-read");
	cr_assert_eq(r.status, 0, "%s", r.err);
	t_assert_contains(r.out, "  two\n── new ─");
	cr_assert(strstr(r.out, "── new") < strstr(r.out, "three"), "%s", r.out);
	t_run_free(&r);

	/* The help and the docs say when. */
	r = t_chatv(store, "log", "--help");
	t_assert_contains(r.out, "piped output has none unless --mark-read");
	t_run_free(&r);
}
